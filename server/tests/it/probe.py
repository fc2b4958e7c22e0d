# The attacker: a program a person runs as their workspace or web service. It tries what the
# isolation tests name, records how each attempt ended (the errno's name, or what it got), and
# serves that report as JSON on the port it was given. Arguments: the port, then the attempts
# as base64 JSON: {"read": [paths], "list": [dirs], "write": [dirs], "connect": [endpoints],
# "plant": [[link, target]], "markers": [strings]}.
import base64
import errno
import http.server
import json
import os
import socket
import sys

port = int(sys.argv[1])
spec = json.loads(base64.b64decode(sys.argv[2]))


def why(e):
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def attempt(f):
    try:
        return f()
    except Exception as e:  # every failure is an answer
        return why(e)


def read(p):
    with open(p, "rb") as f:
        f.read(64)
    return "ok"


def listing(p):
    os.listdir(p)
    return "ok"


def write(d):
    with open(os.path.join(d, "probe-was-here"), "w") as f:
        f.write("x")
    return "ok"


def connect(target):
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(target[len("unix:"):])
    else:
        host, p = target.rsplit(":", 1)
        s = socket.create_connection((host, int(p)), timeout=3)
    s.sendall(b"GET /api/contents HTTP/1.0\r\nHost: localhost\r\n\r\n")
    first = s.recv(200).split(b"\r\n")[0].decode("latin-1")
    s.close()
    return first or "connected"


def plant(link, target):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(target, link)
    return "ok"


markers = spec.get("markers", [])
environs = []
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                data = f.read()
            if any(m.encode() in data for m in markers):
                environs.append(int(pid))
        except Exception:
            pass

report = {
    "uid": os.getuid(),
    "env": sorted(os.environ),
    "environs_with_markers": environs,
    "read": {p: attempt(lambda p=p: read(p)) for p in spec.get("read", [])},
    "list": {p: attempt(lambda p=p: listing(p)) for p in spec.get("list", [])},
    "write": {p: attempt(lambda p=p: write(p)) for p in spec.get("write", [])},
    "connect": {t: attempt(lambda t=t: connect(t)) for t in spec.get("connect", [])},
    "plant": {l: attempt(lambda l=l, t=t: plant(l, t)) for l, t in spec.get("plant", [])},
}
body = json.dumps(report).encode()


class Report(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Report).serve_forever()
