//! A throwaway mailgate installation for integration tests: a temporary
//! folder holding a configuration (the shipped example, adjusted), a Maildir
//! and the notification folder, and helpers to run the real binary in it.

#![allow(dead_code)]

pub mod browser;
pub mod dovecot;
pub mod http;
pub mod postfix;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const EXAMPLE_CONFIG: &str = include_str!("../../config.example.toml");

pub struct Install {
    pub dir: tempfile::TempDir,
}

impl Install {
    /// The shipped example configuration, as is.
    pub fn new() -> Install {
        Install::with_config(|c| c)
    }

    /// The shipped example with `edit` applied to its text.
    pub fn with_config(edit: impl FnOnce(String) -> String) -> Install {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("mailgate.toml"), edit(EXAMPLE_CONFIG.to_string())).expect("write config");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(dir.path().join("Maildir").join(sub)).expect("create Maildir");
        }
        Install { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config_path(&self) -> PathBuf {
        self.path("mailgate.toml")
    }

    /// Delivers a mail as an MDA does: written in tmp/, renamed into new/.
    pub fn deliver(&self, name: &str, bytes: &[u8]) {
        let tmp = self.path("Maildir/tmp").join(name);
        std::fs::write(&tmp, bytes).expect("write mail");
        std::fs::rename(&tmp, self.path("Maildir/new").join(name)).expect("deliver mail");
    }

    pub fn deliver_fixture(&self, name: &str) {
        self.deliver(name, &fixture(name));
    }

    pub fn files_in(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(rel))
            .map(|d| d.filter_map(Result::ok).filter_map(|e| e.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    pub fn mailgate(&self, args: &[&str]) -> Output {
        self.mailgate_with_stdin(args, None)
    }

    pub fn mailgate_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailgate"));
        cmd.arg("--config").arg(self.config_path()).args(args).current_dir(self.dir.path());
        cmd.env_remove("RUST_LOG").env_remove("MAILGATE_CONFIG");
        cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start mailgate");
        if let Some(bytes) = stdin {
            child.stdin.take().expect("stdin").write_all(bytes).expect("write stdin");
        }
        child.wait_with_output().expect("wait for mailgate")
    }

    /// Runs a command that must succeed and returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.mailgate(args);
        assert!(out.status.success(), "mailgate {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).expect("JSON output")
    }

    /// The notification files written by the file transport, parsed.
    pub fn notifications(&self) -> Vec<mail_parser::Message<'static>> {
        self.files_in("outbox")
            .iter()
            .filter_map(|n| std::fs::read(self.path("outbox").join(n)).ok())
            .filter_map(|b| mail_parser::MessageParser::default().parse(&b).map(|m| m.into_owned()))
            .collect()
    }
}

pub use dovecot::free_port;

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A small mail in CRLF form.
pub fn mail(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\n\n{body}\n").replace('\n', "\r\n").into_bytes()
}
