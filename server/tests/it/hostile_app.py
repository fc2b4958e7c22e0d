# A workspace whose server is hostile to the portal: every answer tries to set or clear the
# portal's session cookie, wipe the site's data, widen a service worker's scope over the whole
# portal and raise a password prompt in the portal's name. Its body reports the request headers
# it was given (and the path it was asked for), so a test sees what of the visitor's reached it. Argument: the port.
import http.server
import json
import sys

port = int(sys.argv[1])
SEEN = ["cookie", "authorization", "x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip"]


class Hostile(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        seen = {h: self.headers.get(h) for h in SEEN}
        seen["path"] = self.path
        body = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "campus_session=planted-by-the-app; Path=/")
        self.send_header("Set-Cookie", "__Host-campus_session=planted; Path=/; Secure")
        self.send_header("Set-Cookie", "campus_pass=planted-pass; Path=/")
        self.send_header("Set-Cookie", "wide=1; Path=/; Domain=localhost")
        self.send_header("Set-Cookie", "app_pref=dark; Path=/")
        self.send_header("Clear-Site-Data", '"cookies", "storage"')
        self.send_header("Service-Worker-Allowed", "/")
        self.send_header("WWW-Authenticate", 'Basic realm="Campus Portal"')
        self.send_header("X-App-Version", "7")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Hostile).serve_forever()
