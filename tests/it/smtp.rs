//! Notifications through a real MTA: a Postfix started on loopback by the
//! harness delivers by LMTP into the same throwaway Dovecot the support
//! mailbox lives in. A requester writes through Postfix, mailgate (run as an
//! operator runs it, from config.imap-smtp.example.toml) reads the support
//! mailbox over IMAP and answers over SMTP, and the test reads the answer
//! from the requester's own mailbox, then replies to it as a mail client does.

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::dovecot::{Dovecot, DovecotOptions};
use support::postfix::{Postfix, PostfixOptions};

const EXAMPLE: &str = include_str!("../../config.imap-smtp.example.toml");
const SUPPORT: &str = "support-informatique@ac-exemple.fr";
const MARIE: &str = "marie.dupont@ac-exemple.fr";
const PEOPLE: [&str; 4] = ["support-informatique", "marie.dupont", "alice.martin", "bruno.leroy"];

/// Dovecot, Postfix in front of it, and a mailgate folder configured from
/// the production example with only the servers' addresses changed.
struct World {
    dovecot: Dovecot,
    postfix: Postfix,
    dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        World::start_with(|config| config)
    }

    /// As [`World::start`], with mailgate's configuration changed by `edit`.
    fn start_with(edit: impl FnOnce(String) -> String) -> World {
        let users = PEOPLE.iter().map(|u| (u.to_string(), format!("pw-{u}"))).collect();
        let dovecot = Dovecot::start(DovecotOptions { users, ..DovecotOptions::default() });
        let postfix = Postfix::start(PostfixOptions {
            lmtp_port: dovecot.lmtp_port(),
            domain: "ac-exemple.fr".into(),
            mailboxes: PEOPLE.iter().map(|u| format!("{u}@ac-exemple.fr")).collect(),
        });
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("imap.password"), "pw-support-informatique\n").expect("password file");
        let config = pointed_at(&[dovecot.imap_port(), postfix.smtp_port()])
            .replace("path = \"/var/lib/mailgate/mailgate.db\"", "path = \"mailgate.db\"")
            .replace(
                "first_delay_seconds = 30\nmax_delay_seconds = 3600",
                "first_delay_seconds = 1\nmax_delay_seconds = 2",
            );
        assert_eq!(config.matches("127.0.0.1").count(), 2, "both servers were pointed at loopback");
        assert!(config.contains("max_delay_seconds = 2"), "retries are quick");
        std::fs::write(dir.path().join("mailgate.toml"), edit(config)).expect("config");
        World { dovecot, postfix, dir }
    }

    fn mailgate(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new(env!("CARGO_BIN_EXE_mailgate"))
            .arg("--config")
            .arg(self.dir.path().join("mailgate.toml"))
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .expect("run mailgate");
        assert!(out.status.success(), "mailgate {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_slice(&self.mailgate(args).stdout).expect("JSON output")
    }

    fn outbox(&self) -> Vec<serde_json::Value> {
        self.json(&["outbox", "list", "--json"]).as_array().cloned().unwrap_or_default()
    }

    /// Sends through Postfix and waits until the support mailbox has it.
    fn write_to_support(&self, raw: &str) {
        let before = self.dovecot.list("support-informatique", "INBOX").len();
        self.postfix.send(MARIE, &[SUPPORT], raw.as_bytes());
        wait_for("the mail in the support mailbox", || {
            self.dovecot.list("support-informatique", "INBOX").len() > before
        });
    }

    /// The mails in `user`'s INBOX, as text.
    fn inbox(&self, user: &str) -> Vec<String> {
        self.dovecot.list(user, "INBOX").into_iter().map(|(_, _, raw)| String::from_utf8_lossy(&raw).into()).collect()
    }

    /// Waits until Postfix has delivered every mail it accepted.
    fn wait_delivered(&self) {
        wait_for("Postfix to deliver all it accepted", || {
            let log = self.postfix.log();
            log.matches("status=sent").count() >= log.matches(": message-id=").count()
        });
    }

    fn wait_inbox(&self, user: &str, count: usize) -> Vec<String> {
        wait_for(&format!("{count} mail(s) for {user}"), || self.inbox(user).len() >= count);
        self.inbox(user)
    }
}

/// The example with its n-th server (IMAP, then SMTP) at 127.0.0.1 on
/// `ports[n]`, in plain text, and no SMTP login: the local MTA trusts
/// loopback, as a relay that trusts the host does.
fn pointed_at(ports: &[u16]) -> String {
    let mut server = 0;
    let mut smtp_section = false;
    let mut lines = Vec::new();
    for line in EXAMPLE.lines() {
        smtp_section |= line.starts_with("[notifications]");
        let key = line.split('=').next().unwrap_or_default().trim();
        match key {
            "host" => {
                server += 1;
                lines.push("host = \"127.0.0.1\"".to_string());
            }
            "port" => lines.push(format!("port = {}", ports[server - 1])),
            "tls" => lines.push("tls = \"none\"".to_string()),
            "username" | "password_file" if smtp_section => {}
            _ => lines.push(line.to_string()),
        }
    }
    lines.join("\n")
}

fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Duration::from_secs(30);
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out after {deadline:?} waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(25));
    }
}

/// The value of header `name` in a raw mail, unfolded.
fn header(mail: &str, name: &str) -> Vec<String> {
    let head = mail.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.split("\r\n")
        .filter(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_string())
        .collect()
}

fn request(id: &str, subject: &str, extra: &str) -> String {
    format!(
        "From: Marie Dupont <{MARIE}>\r\nTo: {SUPPORT}\r\n{extra}Subject: {subject}\r\nMessage-ID: <{id}@mail.ac-exemple.fr>\r\n\
         Date: Mon, 3 Mar 2025 10:12:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Bonjour,\r\nl'imprimante du secrétariat ne répond plus.\r\nMarie\r\n"
    )
}

#[test]
fn a_request_is_acknowledged_by_mail_and_the_reply_to_it_lands_on_the_same_ticket() {
    let world = World::start();
    world.write_to_support(&request("r1", "Imprimante en panne", ""));
    world.mailgate(&["run", "--once"]);

    let ack = world.wait_inbox("marie.dupont", 1).remove(0);
    let subject = header(&ack, "Subject").join(" ");
    assert!(subject.contains("[GLPI #0000001]"), "{subject}");
    let text = mail_parser::MessageParser::default()
        .parse(ack.as_bytes())
        .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
        .unwrap_or_default();
    assert!(text.contains("ticket.form.php?id=1"), "the link to the ticket: {text}");
    assert_eq!(header(&ack, "Reply-To"), [format!("\"Support informatique\" <{SUPPORT}>")]);
    assert_eq!(header(&ack, "Auto-Submitted"), ["auto-generated"]);
    assert_eq!(header(&ack, "In-Reply-To"), ["<r1@mail.ac-exemple.fr>"], "answers the request");
    let ack_id = header(&ack, "Message-ID").remove(0);
    assert!(ack_id.starts_with("<mailgate-support-informatique.1.ticket_new."), "{ack_id}");
    assert_eq!(world.wait_inbox("alice.martin", 1).len(), 1, "the technicians hear of the new ticket");

    // Marie answers from her client: the subject is hers, the threading
    // headers are the client's.
    let reply = format!(
        "From: Marie Dupont <{MARIE}>\r\nTo: {SUPPORT}\r\nSubject: toujours en panne\r\nMessage-ID: <r2@mail.ac-exemple.fr>\r\n\
         In-Reply-To: {ack_id}\r\nReferences: <r1@mail.ac-exemple.fr> {ack_id}\r\nDate: Mon, 3 Mar 2025 11:00:00 +0100\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nElle ne marche toujours pas.\r\n\r\n\
         Le lun. 3 mars 2025, Support a écrit :\r\n> Votre demande a été enregistrée.\r\n"
    );
    world.write_to_support(&reply);
    world.mailgate(&["run", "--once"]);
    let ticket = world.json(&["tickets", "show", "1", "--json"]);
    let followups = ticket["followups"].as_array().cloned().unwrap_or_default();
    assert_eq!(followups.len(), 1, "{ticket}");
    assert_eq!(followups[0]["body"].as_str().map(str::trim), Some("Elle ne marche toujours pas."));
    assert_eq!(world.json(&["tickets", "list", "--json"]).as_array().map(Vec::len), Some(1), "no second ticket");
}

#[test]
fn notifications_due_while_the_mta_is_down_arrive_exactly_once_when_it_is_back() {
    let mut world = World::start();
    world.write_to_support(&request("down-1", "Accès réseau", ""));
    world.postfix.stop();
    world.mailgate(&["run", "--once"]);
    let waiting = world.outbox();
    assert_eq!(waiting.len(), 3, "the acknowledgment and two technicians: {waiting:?}");
    for row in &waiting {
        assert_eq!(row["state"], "pending", "{row}");
        assert!(row["last_error"].as_str().is_some_and(|e| e.contains("SMTP 127.0.0.1")), "{row}");
    }

    world.postfix.restart();
    wait_for("every notification sent", || {
        world.mailgate(&["run", "--once"]);
        world.outbox().iter().all(|r| r["state"] == "sent")
    });
    for user in ["marie.dupont", "alice.martin", "bruno.leroy"] {
        let inbox = world.wait_inbox(user, 1);
        // One more pass must not send anything again.
        world.mailgate(&["run", "--once"]);
        assert_eq!(world.inbox(user).len(), 1, "{user} got the notification exactly once: {inbox:?}");
    }
    assert!(world.outbox().iter().all(|r| r["attempts"].as_i64() >= Some(2)), "each was retried");
}

#[test]
fn a_recipient_the_server_refuses_is_marked_failed_with_its_answer() {
    let world = World::start();
    world.write_to_support(&request("cc-1", "Imprimante", "Cc: Inconnu <inconnu@ac-exemple.fr>\r\n"));
    world.mailgate(&["run", "--once"]);
    let rows = world.outbox();
    let refused = rows.iter().find(|r| r["to"] == "inconnu@ac-exemple.fr").expect("a row for the observer");
    assert_eq!(refused["state"], "failed", "{refused}");
    let error = refused["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("550") && error.contains("User unknown"), "the server's answer is kept: {error}");
    assert_eq!(rows.iter().filter(|r| r["state"] == "sent").count(), 3, "the others went: {rows:?}");
}

#[test]
fn a_line_break_smuggled_into_a_title_yields_one_clean_subject_header() {
    let world = World::start();
    let subject = "=?utf-8?q?Imprimante=0D=0ABcc=3A_alice.martin@ac-exemple.fr?=";
    world.write_to_support(&request("inj-1", subject, ""));
    world.mailgate(&["run", "--once"]);
    let ack = world.wait_inbox("marie.dupont", 1).remove(0);
    let subjects = header(&ack, "Subject");
    assert_eq!(subjects.len(), 1, "{ack}");
    assert!(header(&ack, "Bcc").is_empty(), "{ack}");
    assert!(!subjects[0].contains('\r') && !subjects[0].contains('\n'));
    // Alice gets the staff notification of a new ticket, and nothing else.
    assert_eq!(world.wait_inbox("alice.martin", 1).len(), 1);
}

fn start_daemon(world: &World) -> Child {
    Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(world.dir.path().join("mailgate.toml"))
        .arg("run")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the daemon")
}

#[test]
fn the_daemon_answers_a_new_mail_by_itself_as_an_operator_runs_it() {
    let world = World::start();
    let daemon = start_daemon(&world);
    world.postfix.send(MARIE, &[SUPPORT], request("live-1", "Écran noir", "").as_bytes());
    let ack = world.wait_inbox("marie.dupont", 1).remove(0);
    let _ = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status();
    let out = daemon.wait_with_output().expect("the daemon exits");
    assert!(out.status.success(), "clean stop: {}", String::from_utf8_lossy(&out.stderr));
    assert!(header(&ack, "Subject").join(" ").contains("[GLPI #0000001]"), "{ack}");
    assert!(world.dovecot.folders("support-informatique").iter().any(|f| f == "Traités"), "filed after processing");
}

/// `config` with `key = from` of the [notifications] section set to `to`.
fn notifications_key(config: String, from: &str, to: &str) -> String {
    let (head, tail) = config.split_at(config.find("[notifications]").expect("a [notifications] section"));
    assert!(tail.contains(from), "{from} in [notifications]");
    format!("{head}{}", tail.replacen(from, to, 1))
}

/// The time a stored RFC 3339 text names.
fn stored_time(text: &str) -> std::time::SystemTime {
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).expect("a stored time");
    std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).expect("after 1970"))
}

#[test]
fn a_crash_after_the_mta_accepted_a_notification_resends_it_at_most_once_with_the_same_message_id() {
    // A short timeout, so that the killed sender's lease (twice the timeout
    // and a margin) runs out within the test.
    let world = World::start_with(|c| notifications_key(c, "timeout_seconds = 60", "timeout_seconds = 2"));
    world.write_to_support(&request("crash-1", "Imprimante", ""));
    let killed = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(world.dir.path().join("mailgate.toml"))
        .args(["run", "--once"])
        .env("MAILGATE_FAULT", "kill-after-send")
        .output()
        .expect("run mailgate");
    assert!(!killed.status.success(), "the fault point killed it");
    let leased: Vec<serde_json::Value> = world.outbox().into_iter().filter(|r| r["state"] == "sending").collect();
    assert!(!leased.is_empty(), "the crash left a row between send and record");
    let lease_ends = leased.iter().map(|r| stored_time(r["lease_until"].as_str().expect("a lease"))).min();
    let lease_ends = lease_ends.expect("a lease");

    // While the killed sender's lease runs, nobody takes its rows.
    world.mailgate(&["run", "--once"]);
    if std::time::SystemTime::now() < lease_ends {
        let still: Vec<serde_json::Value> = world.outbox().into_iter().filter(|r| r["state"] == "sending").collect();
        assert_eq!(still.len(), leased.len(), "the lease holds the killed sender's rows: {still:?}");
    }
    wait_for("the killed sender's lease to run out", || std::time::SystemTime::now() >= lease_ends);
    wait_for("the restart to resume the queue", || {
        world.mailgate(&["run", "--once"]);
        world.outbox().iter().all(|r| r["state"] == "sent")
    });
    world.mailgate(&["run", "--once"]);
    world.wait_delivered();
    for user in ["marie.dupont", "alice.martin", "bruno.leroy"] {
        let ids: Vec<Vec<String>> = world.inbox(user).iter().map(|m| header(m, "Message-ID")).collect();
        assert!(!ids.is_empty() && ids.len() <= 2, "{user}: delivered, and at most once more: {ids:?}");
        assert!(ids.iter().all(|id| *id == ids[0]), "{user}: a resend keeps its Message-ID: {ids:?}");
    }
}

#[test]
fn a_server_that_does_not_offer_starttls_leaves_notifications_pending_and_gets_nothing_in_clear() {
    // The harness's Postfix has no certificate: it offers no STARTTLS.
    let world = World::start_with(|c| notifications_key(c, "tls = \"none\"", "tls = \"starttls\""));
    world.write_to_support(&request("tls-1", "Imprimante", ""));
    world.mailgate(&["run", "--once"]);
    let rows = world.outbox();
    assert_eq!(rows.len(), 3, "the acknowledgment and two technicians: {rows:?}");
    for row in &rows {
        assert_eq!(row["state"], "pending", "retried later, not failed: {row}");
        let error = row["last_error"].as_str().unwrap_or_default();
        assert!(error.contains("did not offer STARTTLS") && error.contains("nothing was sent in clear"), "{error}");
    }
    let log = world.postfix.log();
    assert!(!log.contains("message-id=<mailgate."), "no notification reached the server: {log}");
    assert!(world.inbox("marie.dupont").is_empty());
}
