//! A throwaway Dovecot on loopback for the IMAP tests: its own folder,
//! configuration, passwd-file, ports and (for TLS) a self-signed certificate
//! made at start; never /etc/dovecot. The server runs in the foreground as a
//! child of the test, so it dies with it. Mail is put in and read back over
//! IMAP by a small synchronous client: test plumbing talking to a real
//! server. It also serves LMTP on loopback, so that a test MTA
//! (tests/support/postfix.rs) can deliver into the users' INBOXes; a
//! recipient address `name@any.domain` is delivered to user `name`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct DovecotOptions {
    /// Also serve implicit TLS, and STARTTLS on the plain port.
    pub tls: bool,
    pub users: Vec<(String, String)>,
}

impl Default for DovecotOptions {
    fn default() -> Self {
        DovecotOptions { tls: false, users: vec![("support".into(), "secret".into())] }
    }
}

pub struct Dovecot {
    dir: tempfile::TempDir,
    child: Option<Child>,
    imap_port: u16,
    imaps_port: Option<u16>,
    lmtp_port: u16,
    ca_file: Option<PathBuf>,
    passwords: Vec<(String, String)>,
}

#[path = "ports.rs"]
mod ports;
pub use ports::free_port;

fn chown(path: &Path, owner: &str) {
    let ok = Command::new("chown").arg(owner).arg(path).status().is_ok_and(|s| s.success());
    assert!(ok, "chown {owner} {}", path.display());
}

impl Dovecot {
    pub fn start(options: DovecotOptions) -> Dovecot {
        let dir = tempfile::tempdir().expect("temporary folder");
        // Dovecot's processes run as several users and all reach in here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).expect("mail folder");
        chown(&mail, "mail:mail");
        let passwd = dir.path().join("passwd");
        let lines: String = options.users.iter().map(|(u, p)| format!("{u}:{{PLAIN}}{p}::::::\n")).collect();
        std::fs::write(&passwd, lines).expect("passwd");
        // Read by the auth process, which runs as the dovecot user.
        chown(&passwd, "root:dovecot");
        std::fs::set_permissions(&passwd, std::fs::Permissions::from_mode(0o640)).expect("chmod passwd");

        let imap_port = free_port();
        let lmtp_port = free_port();
        let (imaps_port, ca_file, ssl) = if options.tls {
            let cert =
                rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).expect("certificate");
            let cert_path = dir.path().join("cert.pem");
            let key_path = dir.path().join("key.pem");
            std::fs::write(&cert_path, cert.cert.pem()).expect("cert");
            std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("key");
            let port = free_port();
            let ssl = format!(
                "ssl = yes\nssl_cert = <{}\nssl_key = <{}\nservice imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {port}\n    ssl = yes\n  }}\n}}\n",
                cert_path.display(),
                key_path.display()
            );
            (Some(port), Some(cert_path), ssl)
        } else {
            let ssl = format!(
                "ssl = no\nservice imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap_port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n"
            );
            (None, None, ssl)
        };
        let d = dir.path().display();
        let config = format!(
            "# Written by the mailgate test harness.\n\
             protocols = imap lmtp\n\
             listen = 127.0.0.1\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             info_log_path = {d}/dovecot.log\n\
             # Loopback tests only: plain logins without TLS.\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = plain login\n\
             # LMTP looks recipients up by address: keep the local part,\n\
             # lower-cased, as the user name (a login \"support\" is unchanged).\n\
             auth_username_format = %Ln\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             # Dovecot refuses to store mail as root: use Debian's mail user.\n\
             userdb {{\n  driver = static\n  args = uid=mail gid=mail home={d}/mail/%u\n}}\n\
             mail_uid = mail\n\
             mail_gid = mail\n\
             first_valid_uid = 8\n\
             last_valid_uid = 8\n\
             first_valid_gid = 8\n\
             mail_location = maildir:~/Maildir\n\
             # Loading test mailboxes fast changes nothing a test depends on.\n\
             mail_fsync = never\n\
             # Tell IDLE clients about new mail at once, not every 2 minutes.\n\
             imap_idle_notify_interval = 1 secs\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n\
             service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {lmtp_port}\n  }}\n}}\n\
             {ssl}"
        );
        std::fs::write(dir.path().join("dovecot.conf"), config).expect("dovecot.conf");
        let passwords = options.users.clone();
        let mut dovecot = Dovecot { dir, child: None, imap_port, imaps_port, lmtp_port, ca_file, passwords };
        dovecot.restart();
        dovecot
    }

    pub fn imap_port(&self) -> u16 {
        self.imap_port
    }

    pub fn imaps_port(&self) -> Option<u16> {
        self.imaps_port
    }

    /// Where an MTA delivers by LMTP (plain TCP on 127.0.0.1).
    pub fn lmtp_port(&self) -> u16 {
        self.lmtp_port
    }

    pub fn ca_file(&self) -> Option<PathBuf> {
        self.ca_file.clone()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Starts the server (again): same ports, same mail.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(self.dir.path().join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot (apt-get install dovecot-imapd)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.imap_port, self.lmtp_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if Instant::now() > deadline {
                    panic!("dovecot did not come up in 20 s:\n{}", self.log());
                }
                std::thread::park_timeout(Duration::from_millis(20));
            }
        }
    }

    /// Stops the server and waits until its ports refuse connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.imap_port, self.lmtp_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_ok() {
                assert!(Instant::now() < deadline, "dovecot did not stop in 20 s");
                std::thread::park_timeout(Duration::from_millis(20));
            }
        }
    }

    fn client(&self, user: &str) -> ImapClient {
        let password = self.passwords.iter().find(|(u, _)| u == user).map(|(_, p)| p.clone()).expect("a known user");
        ImapClient::login(self.imap_port, user, &password)
    }

    pub fn append(&self, user: &str, folder: &str, raw: &[u8]) {
        self.append_many(user, folder, std::slice::from_ref(&raw.to_vec()));
    }

    pub fn append_many(&self, user: &str, folder: &str, mails: &[Vec<u8>]) {
        let mut c = self.client(user);
        c.command(&format!("CREATE {}", quoted(folder)), true);
        for raw in mails {
            c.append(folder, raw);
        }
    }

    /// Every mail of `folder`: UID, flags, bytes.
    pub fn list(&self, user: &str, folder: &str) -> Vec<(u32, Vec<String>, Vec<u8>)> {
        let mut c = self.client(user);
        if !c.command(&format!("EXAMINE {}", quoted(folder)), true).0 {
            return Vec::new();
        }
        c.fetch_all()
    }

    pub fn list_uids(&self, user: &str, folder: &str) -> Vec<u32> {
        self.list(user, folder).into_iter().map(|(uid, _, _)| uid).collect()
    }

    /// Sets `flag` (e.g. `\Seen`) on mail `uid` of `folder`, as a
    /// colleague's mail client does.
    pub fn add_flag(&self, user: &str, folder: &str, uid: u32, flag: &str) {
        let mut c = self.client(user);
        c.command(&format!("SELECT {}", quoted(folder)), false);
        c.command(&format!("UID STORE {uid} +FLAGS ({flag})"), false);
    }

    /// The server's per-session `imap` processes (children of the master).
    pub fn imap_processes(&self) -> Vec<u32> {
        let Some(master) = self.child.as_ref().map(Child::id) else { return Vec::new() };
        let out = Command::new("pgrep").args(["-P", &master.to_string(), "-x", "imap"]).output().expect("pgrep");
        String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
    }

    pub fn folders(&self, user: &str) -> Vec<String> {
        let mut c = self.client(user);
        let (_, lines) = c.command("LIST \"\" \"*\"", false);
        lines
            .iter()
            .filter_map(|l| l.strip_prefix("* LIST "))
            .filter_map(|l| l.rsplit_once(' ').map(|(_, name)| name.trim_matches('"').to_string()))
            .map(utf7_imap::decode_utf7_imap)
            .collect()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A mailbox name as IMAP wants it: modified UTF-7, quoted.
fn quoted(folder: &str) -> String {
    format!("\"{}\"", utf7_imap::encode_utf7_imap(folder.to_string()))
}

/// Just enough IMAP to put mail in and read it back.
struct ImapClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl ImapClient {
    fn login(port: u16, user: &str, password: &str) -> ImapClient {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to dovecot");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let writer = stream.try_clone().expect("clone");
        let mut c = ImapClient { reader: BufReader::new(stream), writer, tag: 0 };
        c.line();
        let (ok, lines) = c.command(&format!("LOGIN {user} {password}"), false);
        assert!(ok, "login failed: {lines:?}");
        c
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("read from dovecot");
        line
    }

    /// Sends a command; returns whether it ended OK and the untagged lines.
    fn command(&mut self, command: &str, may_fail: bool) -> (bool, Vec<String>) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").expect("write");
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            assert!(!line.is_empty(), "dovecot closed the connection during {command}");
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                let ok = rest.starts_with("OK");
                assert!(ok || may_fail, "{command} failed: {rest}");
                return (ok, lines);
            }
            lines.push(line.trim_end().to_string());
        }
    }

    fn append(&mut self, folder: &str, raw: &[u8]) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} APPEND {} {{{}}}\r\n", quoted(folder), raw.len()).expect("write");
        let go_ahead = self.line();
        assert!(go_ahead.starts_with('+'), "APPEND refused: {go_ahead}");
        self.writer.write_all(raw).expect("write mail");
        self.writer.write_all(b"\r\n").expect("write");
        loop {
            let line = self.line();
            if let Some(rest) = line.strip_prefix(&format!("{tag} ")) {
                assert!(rest.starts_with("OK"), "APPEND failed: {rest}");
                return;
            }
        }
    }

    fn fetch_all(&mut self) -> Vec<(u32, Vec<String>, Vec<u8>)> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} UID FETCH 1:* (UID FLAGS BODY.PEEK[])\r\n").expect("write");
        let mut out = Vec::new();
        loop {
            let line = self.line();
            if line.starts_with(&format!("{tag} ")) {
                return out;
            }
            let Some(size) = line
                .trim_end()
                .strip_suffix('}')
                .and_then(|l| l.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            else {
                continue;
            };
            let mut body = vec![0; size];
            self.reader.read_exact(&mut body).expect("read literal");
            self.line();
            let uid = line
                .split("UID ")
                .nth(1)
                .and_then(|r| r.split([' ', ')']).next())
                .and_then(|u| u.parse().ok())
                .unwrap_or(0);
            let flags = line
                .split("FLAGS (")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .map(|f| f.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            out.push((uid, flags, body));
        }
    }
}
