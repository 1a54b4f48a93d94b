//! A throwaway Postfix on loopback for the delivery tests: its own folder
//! (configuration, queue, data, log), an SMTP port picked at start, never
//! /etc/postfix nor the system queue. It accepts mail for the addresses it is
//! given in one virtual domain, refuses any other address of that domain at
//! RCPT, and hands what it accepts by LMTP to the throwaway Dovecot of
//! tests/support/dovecot.rs. A deferred mail is retried about every second.
//! A small synchronous SMTP client sends mail into it: test plumbing talking
//! to a real server.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct PostfixOptions {
    /// Dovecot's LMTP port on 127.0.0.1, where every accepted mail goes.
    pub lmtp_port: u16,
    /// The one domain served, e.g. "ac-exemple.fr".
    pub domain: String,
    /// Full addresses accepted; any other address in `domain` gets 550 5.1.1.
    pub mailboxes: Vec<String>,
}

pub struct Postfix {
    dir: tempfile::TempDir,
    smtp_port: u16,
    running: bool,
}

const DEADLINE: Duration = Duration::from_secs(30);

/// The services Postfix needs, none chrooted (the queue folder holds no
/// copy of /etc); the submission port is the only network listener.
const MASTER_CF: &str = "\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
";

// The one home of port picking, shared with Dovecot's harness.
use super::dovecot::free_port;

fn chown(path: &Path, owner: &str) {
    let ok = Command::new("chown").arg(owner).arg(path).status().is_ok_and(|s| s.success());
    assert!(ok, "chown {owner} {}", path.display());
}

/// Waits until `condition` holds, or panics with `what` after the deadline.
fn wait_until(what: impl FnOnce() -> String, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        if Instant::now() > deadline {
            panic!("{}", what());
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

fn process_alive(pid: u32) -> bool {
    // A zombie (state Z) has exited; its parent just has not reaped it yet.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
}

impl Postfix {
    pub fn start(options: PostfixOptions) -> Postfix {
        let dir = tempfile::tempdir().expect("temporary folder");
        // Postfix's processes run as root, postfix and postdrop, and all reach in here.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::create_dir(dir.path().join("queue")).expect("queue folder");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data folder");
        chown(&data, "postfix:postfix");
        let mailboxes: String = options.mailboxes.iter().map(|a| format!("{a} x\n")).collect();
        std::fs::write(dir.path().join("mailboxes"), mailboxes).expect("mailboxes");

        let smtp_port = free_port();
        let d = dir.path().display();
        // The log file must lie under one of these prefixes: its own folder's parent.
        let prefix = dir.path().parent().unwrap_or(Path::new("/")).display();
        let main_cf = format!(
            "# Written by the mailgate test harness.\n\
             compatibility_level = 3.6\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             myhostname = mta.test\n\
             mydomain = test\n\
             myorigin = mta.test\n\
             mydestination =\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\n\
             maillog_file = {d}/postfix.log\n\
             maillog_file_prefixes = {prefix}\n\
             syslog_name = postfix-test\n\
             smtputf8_enable = yes\n\
             relayhost =\n\
             alias_maps =\n\
             alias_database =\n\
             local_recipient_maps =\n\
             biff = no\n\
             virtual_mailbox_domains = {domain}\n\
             virtual_mailbox_maps = texthash:{d}/mailboxes\n\
             virtual_transport = lmtp:inet:127.0.0.1:{lmtp}\n\
             # A mail deferred while Dovecot is down goes out about a second\n\
             # after it is back.\n\
             queue_run_delay = 1s\n\
             minimal_backoff_time = 1s\n\
             maximal_backoff_time = 2s\n\
             # Never hold back a client, nor make it wait on a full queue.\n\
             in_flow_delay = 0s\n\
             smtpd_error_sleep_time = 0s\n\
             smtpd_soft_error_limit = 1000\n\
             smtpd_hard_error_limit = 1000\n\
             smtpd_client_connection_rate_limit = 0\n\
             smtpd_client_connection_count_limit = 0\n",
            domain = options.domain,
            lmtp = options.lmtp_port,
        );
        std::fs::write(dir.path().join("main.cf"), main_cf).expect("main.cf");
        let master_cf = format!("127.0.0.1:{smtp_port} inet n - n - - smtpd\n{MASTER_CF}");
        std::fs::write(dir.path().join("master.cf"), master_cf).expect("master.cf");

        let mut postfix = Postfix { dir, smtp_port, running: false };
        // `postfix start` first creates the queue's subfolders with their
        // owners and modes (what `postfix check` does: no need to run both).
        postfix.restart();
        postfix
    }

    pub fn smtp_port(&self) -> u16 {
        self.smtp_port
    }

    /// Everything Postfix logged (its maillog_file).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }

    /// Starts the server (again): same port, same queue.
    pub fn restart(&mut self) {
        assert!(!self.running, "already running");
        self.postfix("start");
        self.running = true;
        wait_until(
            || format!("postfix did not come up in {DEADLINE:?}:\n{}", self.log()),
            || TcpStream::connect(("127.0.0.1", self.smtp_port)).is_ok(),
        );
    }

    /// Stops the server; waits until its master process is gone and its
    /// port refuses connections.
    pub fn stop(&mut self) {
        self.shut_down("stop");
        wait_until(
            || format!("postfix did not stop in {DEADLINE:?}:\n{}", self.log()),
            || TcpStream::connect(("127.0.0.1", self.smtp_port)).is_err(),
        );
    }

    /// Sends a mail by SMTP; panics, with the reply, on any refusal.
    pub fn send(&self, from: &str, to: &[&str], raw: &[u8]) {
        if let Err(reply) = self.try_send(from, to, raw) {
            panic!("postfix refused the mail: {reply}\n{}", self.log());
        }
    }

    /// Sends a mail by SMTP; the first reply that is neither 2xx nor 3xx
    /// ends the session and is returned after the command it answers, e.g.
    /// `RCPT TO:<x@ac-exemple.fr>: 550 5.1.1 <x@ac-exemple.fr>: Recipient
    /// address rejected: ...`. Every recipient must be accepted.
    pub fn try_send(&self, from: &str, to: &[&str], raw: &[u8]) -> Result<(), String> {
        let mut smtp = SmtpClient::connect(self.smtp_port)?;
        let utf8 = !from.is_ascii() || to.iter().any(|a| !a.is_ascii());
        let result = (|| {
            smtp.command("EHLO client.test")?;
            smtp.command(&format!("MAIL FROM:<{from}>{}", if utf8 { " SMTPUTF8" } else { "" }))?;
            for address in to {
                smtp.command(&format!("RCPT TO:<{address}>"))?;
            }
            smtp.command("DATA")?;
            smtp.data(raw).map(drop)
        })();
        let _ = smtp.command("QUIT");
        result
    }

    /// Runs `postfix -c DIR <action>`; panics with its output and the log
    /// when it fails.
    fn postfix(&self, action: &str) {
        // A file, not a pipe: the master daemon must not inherit our pipe.
        let out_path = self.dir.path().join(format!("postfix-{action}.out"));
        let out = std::fs::File::create(&out_path).expect("output file");
        let status = Command::new("postfix")
            .arg("-c")
            .arg(self.dir.path())
            .arg(action)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("clone"))
            .stderr(out)
            .status()
            .expect("run postfix (apt-get install postfix)");
        if !status.success() {
            let out = std::fs::read_to_string(&out_path).unwrap_or_default();
            panic!("postfix {action} failed ({status}):\n{out}\nlog:\n{}", self.log());
        }
    }

    fn master_pid_file(&self) -> PathBuf {
        self.dir.path().join("queue/pid/master.pid")
    }

    /// `postfix stop` or `abort`, then waits until the master has exited.
    fn shut_down(&mut self, action: &str) {
        if !self.running {
            return;
        }
        let pid = std::fs::read_to_string(self.master_pid_file()).ok().and_then(|p| p.trim().parse::<u32>().ok());
        self.postfix(action);
        self.running = false;
        if let Some(pid) = pid {
            wait_until(
                || format!("postfix master {pid} did not exit in {DEADLINE:?}:\n{}", self.log()),
                || !process_alive(pid),
            );
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if !self.running {
            return;
        }
        // No panic while unwinding: a failing test must report its own failure.
        let pid = std::fs::read_to_string(self.master_pid_file()).ok().and_then(|p| p.trim().parse::<u32>().ok());
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(self.dir.path())
            .arg("abort")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        self.running = false;
        if let Some(pid) = pid {
            let deadline = Instant::now() + DEADLINE;
            while process_alive(pid) && Instant::now() < deadline {
                std::thread::park_timeout(Duration::from_millis(20));
            }
            if process_alive(pid) {
                let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            }
        }
    }
}

/// Just enough SMTP to hand a mail over.
struct SmtpClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl SmtpClient {
    fn connect(port: u16) -> Result<SmtpClient, String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to postfix: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let writer = stream.try_clone().expect("clone");
        let mut c = SmtpClient { reader: BufReader::new(stream), writer };
        c.reply("greeting")?;
        Ok(c)
    }

    /// Reads a (possibly multi-line) reply; Err unless it is 2xx or 3xx.
    fn reply(&mut self, after: &str) -> Result<String, String> {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).map_err(|e| format!("{after}: read: {e}"))?;
            if n == 0 {
                return Err(format!("{after}: connection closed after {reply:?}"));
            }
            reply.push_str(&line);
            // "250-..." continues the reply, "250 ..." (or a bare "250") ends it.
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
        let reply = reply.trim_end().to_string();
        match reply.as_bytes().first() {
            Some(b'2' | b'3') => Ok(reply),
            _ => Err(format!("{after}: {reply}")),
        }
    }

    fn command(&mut self, command: &str) -> Result<String, String> {
        write!(self.writer, "{command}\r\n").map_err(|e| format!("{command}: write: {e}"))?;
        self.reply(command)
    }

    /// The mail, lines ending in CRLF, dot-stuffed, then the final dot.
    fn data(&mut self, raw: &[u8]) -> Result<String, String> {
        let mut out = Vec::with_capacity(raw.len() + 64);
        let body = raw.strip_suffix(b"\n").unwrap_or(raw);
        if !raw.is_empty() {
            for line in body.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.starts_with(b".") {
                    out.push(b'.');
                }
                out.extend_from_slice(line);
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b".\r\n");
        self.writer.write_all(&out).map_err(|e| format!("DATA: write: {e}"))?;
        self.reply("end of DATA")
    }
}
