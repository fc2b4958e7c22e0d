//! What an offering runs: a program and its arguments, never a shell line. Arguments may hold
//! placeholders the driver fills when it starts the resource:
//!
//! | placeholder  | becomes                                                              |
//! |--------------|----------------------------------------------------------------------|
//! | `{port}`     | the TCP port it must listen on (inside its sandbox, on 127.0.0.1)    |
//! | `{host}`     | the address to listen on with `{port}`: always `127.0.0.1`           |
//! | `{socket}`   | the Unix socket it must listen on, for programs that can             |
//! | `{home}`     | the person's home, which holds the resource's files                  |
//! | `{base_url}` | the path it is served under on its own host: `/`                     |
//!
//! A template listens on exactly one of `{port}` and `{socket}`. Stored as a JSON array of
//! strings, program first; each argument is passed as it is, so no value a person or an
//! operator types is ever read by a shell.

use serde::{Deserialize, Serialize};

pub const PLACEHOLDERS: [&str; 5] = ["{port}", "{host}", "{socket}", "{home}", "{base_url}"];

/// Longest program name or argument, and most arguments: a command line, not a script.
const MAX_ARG: usize = 8000;
const MAX_ARGS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub program: String,
    pub args: Vec<String>,
}

/// How the program is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listens {
    /// On the Unix socket it is given: the proxy connects to it directly.
    Socket,
    /// On a TCP port inside its sandbox: a gate turns that into the socket.
    Port,
}

/// What goes into the placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Values<'a> {
    pub port: u16,
    pub socket: &'a str,
    pub home: &'a str,
    pub base_url: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Enter the program to run")]
    NoProgram,
    #[error("The program must be a name or an absolute path, without spaces or placeholders")]
    BadProgram,
    #[error(
        "{0} is not a placeholder: use {{port}}, {{host}}, {{socket}}, {{home}} or {{base_url}}"
    )]
    UnknownPlaceholder(String),
    #[error("The arguments must listen on {{port}} or on {{socket}}: the portal's proxy reaches the program there")]
    Unreachable,
    #[error("Use {{port}} or {{socket}}, not both: the program listens in one place")]
    TwoPlaces,
    #[error("Each argument can be at most 8,000 characters, and there can be at most 40")]
    TooLong,
    #[error("An argument cannot hold a line break or a NUL character")]
    ControlCharacter,
    #[error("Its command is an old shell line: an operator must enter it again as a program and arguments")]
    ShellLine,
}

impl Template {
    /// From the operator's form: the program, and one argument per line (blank lines are
    /// dropped; surrounding spaces are kept out).
    pub fn from_form(program: &str, args: &str) -> Result<Template, TemplateError> {
        Template::new(program, lines(args))
    }

    /// From a program and its arguments as they are (the JSON API).
    pub fn new(program: &str, args: Vec<String>) -> Result<Template, TemplateError> {
        let t = Template {
            program: program.trim().to_owned(),
            args,
        };
        t.check()?;
        Ok(t)
    }

    /// As stored: a JSON array, program first. Anything else is an old shell line.
    pub fn from_stored(raw: &str) -> Result<Template, TemplateError> {
        let parts: Vec<String> = serde_json::from_str(raw).map_err(|_| TemplateError::ShellLine)?;
        let mut parts = parts.into_iter();
        let program = parts.next().ok_or(TemplateError::NoProgram)?;
        let t = Template {
            program,
            args: parts.collect(),
        };
        t.check()?;
        Ok(t)
    }

    pub fn to_stored(&self) -> String {
        let mut all = vec![self.program.clone()];
        all.extend(self.args.iter().cloned());
        serde_json::to_string(&all).expect("strings serialise")
    }

    fn check(&self) -> Result<(), TemplateError> {
        if self.program.is_empty() {
            return Err(TemplateError::NoProgram);
        }
        if self.program.contains(char::is_whitespace)
            || self.program.contains('{')
            || (self.program.contains('/') && !self.program.starts_with('/'))
        {
            return Err(TemplateError::BadProgram);
        }
        if self.args.len() > MAX_ARGS
            || self
                .args
                .iter()
                .chain(std::iter::once(&self.program))
                .any(|a| a.chars().count() > MAX_ARG)
        {
            return Err(TemplateError::TooLong);
        }
        if self.args.iter().any(|a| a.contains(['\n', '\r', '\0'])) {
            return Err(TemplateError::ControlCharacter);
        }
        for a in &self.args {
            let mut rest = a.as_str();
            while let Some(open) = rest.find('{') {
                let after = &rest[open..];
                let end = after.find('}').map(|e| e + 1).unwrap_or(after.len());
                let word = &after[..end];
                if !PLACEHOLDERS.contains(&word) {
                    return Err(TemplateError::UnknownPlaceholder(word.to_owned()));
                }
                rest = &after[end..];
            }
        }
        let uses = |p: &str| self.args.iter().any(|a| a.contains(p));
        match (uses("{port}"), uses("{socket}")) {
            (false, false) => Err(TemplateError::Unreachable),
            (true, true) => Err(TemplateError::TwoPlaces),
            _ => Ok(()),
        }
    }

    pub fn listens(&self) -> Listens {
        if self.args.iter().any(|a| a.contains("{socket}")) {
            Listens::Socket
        } else {
            Listens::Port
        }
    }

    /// Whether the program is told its base URL (then the proxy keeps the path prefix).
    pub fn keeps_prefix(&self) -> bool {
        self.args.iter().any(|a| a.contains("{base_url}"))
    }

    /// The argv to run, placeholders filled.
    pub fn render(&self, v: &Values) -> Vec<String> {
        let port = v.port.to_string();
        let mut out = vec![self.program.clone()];
        out.extend(self.args.iter().map(|a| {
            a.replace("{port}", &port)
                .replace("{host}", "127.0.0.1")
                .replace("{socket}", v.socket)
                .replace("{home}", v.home)
                .replace("{base_url}", v.base_url)
        }));
        out
    }

    /// The arguments as the operator's form shows them: one per line.
    pub fn args_text(&self) -> String {
        self.args.join("\n")
    }
}

/// The non-blank lines of a form's arguments box, trimmed: one argument each.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where programs are looked for: the sandbox's PATH, on the machine that checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Programs {
    pub path: Vec<std::path::PathBuf>,
}

impl Programs {
    /// The program's file, or why there is none: a template naming a program that is not
    /// installed is refused when saved, and its offering shows as unavailable.
    pub fn find(&self, program: &str) -> Result<std::path::PathBuf, String> {
        use std::os::unix::fs::PermissionsExt;
        let executable = |p: &std::path::Path| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        };
        if program.starts_with('/') {
            let p = std::path::PathBuf::from(program);
            return if executable(&p) {
                Ok(p)
            } else {
                Err(format!("{program} is not installed on this machine"))
            };
        }
        self.path
            .iter()
            .map(|d| d.join(program))
            .find(|p| executable(p))
            .ok_or_else(|| format!("{program} is not installed on this machine"))
    }

    /// Whether an offering's stored command can start here: None when it can, else the reason.
    pub fn unavailable(&self, stored: &str) -> Option<String> {
        match Template::from_stored(stored) {
            Err(e) => Some(e.to_string()),
            Ok(t) => self.find(&t.program).err(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            port: 8001,
            socket: "/run/campus/app.sock",
            home: "/home/alice",
            base_url: "/s/cp-3/",
        }
    }

    #[test]
    fn placeholders_are_filled_argument_by_argument() {
        let t = Template::from_form(
            "python3",
            "-m\nhttp.server\n{port}\n--bind\n{host}\n--directory\n{home}/site\n",
        )
        .unwrap();
        assert_eq!(
            t.render(&values()),
            [
                "python3",
                "-m",
                "http.server",
                "8001",
                "--bind",
                "127.0.0.1",
                "--directory",
                "/home/alice/site"
            ]
        );
        assert_eq!(t.listens(), Listens::Port);
        assert!(!t.keeps_prefix());
    }

    #[test]
    fn a_socket_and_a_base_url_are_how_jupyterlab_is_told_where_it_lives() {
        let t = Template::from_form(
            "jupyter-lab",
            "--ServerApp.sock={socket}\n--ServerApp.base_url={base_url}",
        )
        .unwrap();
        assert_eq!(t.listens(), Listens::Socket);
        assert!(t.keeps_prefix());
        assert_eq!(
            t.render(&values())[1..],
            [
                "--ServerApp.sock=/run/campus/app.sock",
                "--ServerApp.base_url=/s/cp-3/"
            ]
        );
    }

    #[test]
    fn a_value_with_spaces_or_shell_characters_stays_one_argument() {
        let t = Template::from_form("sh", "-c\necho $HOME; rm -rf / # {port}").unwrap();
        assert_eq!(t.render(&values()).len(), 3);
        assert_eq!(t.render(&values())[2], "echo $HOME; rm -rf / # 8001");
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        let e = |p: &str, a: &str| Template::from_form(p, a).unwrap_err();
        assert_eq!(e("", "{port}"), TemplateError::NoProgram);
        assert_eq!(e("python3 -m", "{port}"), TemplateError::BadProgram);
        assert_eq!(e("bin/serve", "{port}"), TemplateError::BadProgram);
        assert_eq!(e("{home}/serve", "{port}"), TemplateError::BadProgram);
        assert_eq!(
            e("serve", "{port}\n{workdir}"),
            TemplateError::UnknownPlaceholder("{workdir}".into())
        );
        assert_eq!(
            e("serve", "{port"),
            TemplateError::UnknownPlaceholder("{port".into())
        );
        assert_eq!(e("serve", "--verbose"), TemplateError::Unreachable);
        assert_eq!(e("serve", "{port}\n{socket}"), TemplateError::TwoPlaces);
        assert_eq!(e("serve", &"x".repeat(8001)), TemplateError::TooLong);
        assert_eq!(e("serve", &"{port}\n".repeat(41)), TemplateError::TooLong);
    }

    #[test]
    fn stored_templates_are_json_and_old_shell_lines_are_named_as_such() {
        let t = Template::from_form("/usr/bin/serve", "--port={port}").unwrap();
        assert_eq!(t.to_stored(), r#"["/usr/bin/serve","--port={port}"]"#);
        assert_eq!(Template::from_stored(&t.to_stored()).unwrap(), t);
        assert_eq!(
            Template::from_stored("python3 -m http.server {port}").unwrap_err(),
            TemplateError::ShellLine
        );
        assert_eq!(
            Template::from_stored("[]").unwrap_err(),
            TemplateError::NoProgram
        );
        assert_eq!(t.args_text(), "--port={port}");
    }

    #[test]
    fn programs_are_found_on_the_path_or_said_to_be_missing() {
        let programs = Programs {
            path: vec!["/nonexistent".into(), "/bin".into(), "/usr/bin".into()],
        };
        assert!(programs.find("sh").is_ok());
        assert!(programs.find("/bin/sh").is_ok());
        assert_eq!(
            programs.find("rserver").unwrap_err(),
            "rserver is not installed on this machine"
        );
        assert_eq!(
            programs.find("/etc/passwd").unwrap_err(),
            "/etc/passwd is not installed on this machine",
            "not executable"
        );
        assert_eq!(
            programs
                .unavailable(r#"["rserver","--www-port={port}"]"#)
                .as_deref(),
            Some("rserver is not installed on this machine")
        );
        assert_eq!(programs.unavailable(r#"["sh","-c","x {port}"]"#), None);
        assert!(programs
            .unavailable("sh -c 'x {port}'")
            .unwrap()
            .contains("old shell line"));
    }
}
