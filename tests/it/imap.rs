//! The IMAP source against a real Dovecot started on loopback by the test
//! harness (tests/support/dovecot.rs): mail appended by IMAP, the daemon run
//! as an operator runs it, the mailbox read back over IMAP.

use crate::support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::dovecot::{Dovecot, DovecotOptions};
use support::{Install, mail};

/// The example configuration with the Maildir source replaced by `source`.
fn install_with_source(source: &str) -> Install {
    Install::with_config(|c| {
        let start = c.find("[[sources]]").expect("the example has a source");
        let end = c[start..].find("[institution]").map(|i| start + i).expect("institution follows");
        format!("{}{source}\n\n{}", &c[..start], &c[end..])
    })
}

fn imap_source(dovecot: &Dovecot, extra: &str) -> String {
    format!(
        "[[sources]]\nkind = \"imap\"\nname = \"support\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"support\"\npassword_env = \"MAILGATE_TEST_IMAP_PASSWORD\"\nprocessed_folder = \"Traités\"\nrefused_folder = \"Refusés\"\n{extra}",
        dovecot.imap_port()
    )
}

fn mailgate(install: &Install, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .args(args)
        .env("MAILGATE_TEST_IMAP_PASSWORD", "secret")
        .env_remove("RUST_LOG")
        .output()
        .expect("run mailgate")
}

fn start_daemon(install: &Install, env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailgate"));
    cmd.arg("--config").arg(install.config_path()).arg("run").env("MAILGATE_TEST_IMAP_PASSWORD", "secret");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start the daemon")
}

fn stop_daemon(child: Child) -> String {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let out = child.wait_with_output().expect("daemon exits");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out after {deadline:?} waiting for {what}");
        std::thread::park_timeout(Duration::from_millis(25));
    }
}

fn tickets(install: &Install) -> Vec<serde_json::Value> {
    let out = mailgate(install, &["tickets", "list", "--json"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn outcomes(install: &Install) -> Vec<String> {
    let out = mailgate(install, &["messages", "list", "--json"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["outcome"].as_str().map(str::to_string))
        .collect()
}

fn request(id: &str, subject: &str) -> Vec<u8> {
    mail(
        &format!(
            "From: Marie Dupont <marie.dupont@ac-exemple.fr>\nTo: support-informatique@ac-exemple.fr\nSubject: {subject}\nMessage-ID: <{id}@ac-exemple.fr>"
        ),
        "Bonjour,\nça ne marche plus.",
    )
}

#[test]
fn mail_in_the_inbox_becomes_tickets_and_is_filed_by_outcome() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let install = install_with_source(&imap_source(&dovecot, ""));
    dovecot.append("support", "INBOX", &request("imap-1", "Imprimante en panne"));
    dovecot.append("support", "INBOX", &mail("From: marie.dupont@ac-exemple.fr\nSubject: RE: [GLPI #0000001] Imprimante\nMessage-ID: <imap-2@ac-exemple.fr>", "Elle refonctionne."));
    dovecot.append(
        "support",
        "INBOX",
        &mail("From: quelqu.un@gmail.com\nSubject: Bonjour\nMessage-ID: <imap-3@gmail.com>", "Spam"),
    );
    dovecot.append("support", "INBOX", &request("imap-1", "Imprimante en panne"));

    let out = mailgate(&install, &["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    assert_eq!(outcomes(&install), ["ticket_created", "followup_added", "refused", "duplicate"]);
    assert_eq!(tickets(&install).len(), 1, "the duplicate delivery opened nothing");
    assert!(dovecot.list("support", "INBOX").is_empty(), "INBOX is emptied");
    assert_eq!(dovecot.list("support", "Traités").len(), 3, "ticket, followup and duplicate are filed as processed");
    let refused = dovecot.list("support", "Refusés");
    assert_eq!(refused.len(), 1);
    assert!(String::from_utf8_lossy(&refused[0].2).contains("imap-3@gmail.com"));
}

#[test]
fn without_folders_mail_is_flagged_seen_and_left_in_place() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let source =
        imap_source(&dovecot, "").replace("processed_folder = \"Traités\"\nrefused_folder = \"Refusés\"\n", "");
    let install = install_with_source(&source);
    dovecot.append("support", "INBOX", &request("seen-1", "Écran"));
    assert!(mailgate(&install, &["run", "--once"]).status.success());
    let inbox = dovecot.list("support", "INBOX");
    assert_eq!(inbox.len(), 1, "never deleted");
    assert!(inbox[0].1.iter().any(|f| f == "\\Seen"), "flags: {:?}", inbox[0].1);
    assert!(mailgate(&install, &["run", "--once"]).status.success());
    assert_eq!(outcomes(&install).len(), 1, "a seen mail is not taken again");
}

#[test]
fn a_crash_between_commit_and_move_records_the_mail_once_and_only_moves_it_next_time() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let install = install_with_source(&imap_source(&dovecot, ""));
    dovecot.append("support", "INBOX", &request("crash-1", "Wi-Fi salle 12"));

    let daemon = start_daemon(&install, &[("MAILGATE_FAULT", "kill-before-ack")]);
    let out = daemon.wait_with_output().expect("the daemon dies");
    assert!(!out.status.success(), "killed at the fault point");
    assert_eq!(dovecot.list("support", "INBOX").len(), 1, "the mail was committed but not moved");
    assert_eq!(tickets(&install).len(), 1);

    let out = mailgate(&install, &["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 already recorded"));
    assert_eq!(tickets(&install).len(), 1, "exactly one ticket");
    assert_eq!(outcomes(&install), ["ticket_created"]);
    assert!(dovecot.list("support", "INBOX").is_empty());
    assert_eq!(dovecot.list("support", "Traités").len(), 1);
}

#[test]
fn idle_brings_new_mail_in_without_polling() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    // A poll every hour: only IDLE can bring the mail in before the deadline.
    let install = install_with_source(&imap_source(&dovecot, "poll_seconds = 3600\n"));
    let daemon = start_daemon(&install, &[]);
    wait_for("the daemon to create its folders", Duration::from_secs(30), || {
        dovecot.folders("support").iter().any(|f| f == "Traités")
    });
    dovecot.append("support", "INBOX", &request("idle-1", "Vidéoprojecteur"));
    wait_for("the ticket", Duration::from_secs(20), || tickets(&install).len() == 1);
    wait_for("the mail to be filed", Duration::from_secs(20), || dovecot.list("support", "Traités").len() == 1);
    let log = stop_daemon(daemon);
    assert!(log.contains("idle=true"), "{log}");
}

#[test]
fn the_daemon_rides_out_a_server_restart_and_logs_it_once() {
    let mut dovecot = Dovecot::start(DovecotOptions::default());
    let install = install_with_source(&imap_source(&dovecot, "poll_seconds = 1\nidle = false\n"));
    let daemon = start_daemon(&install, &[]);
    dovecot.append("support", "INBOX", &request("restart-1", "Avant la coupure"));
    wait_for("the first ticket", Duration::from_secs(30), || tickets(&install).len() == 1);

    dovecot.stop();
    dovecot.restart();
    dovecot.append("support", "INBOX", &request("restart-2", "Après la coupure"));
    wait_for("the second ticket", Duration::from_secs(60), || tickets(&install).len() == 2);
    let log = stop_daemon(daemon);
    assert!(log.contains("mailgate stopped"), "the daemon survived: {log}");
    let failures = log.matches("source failing").count();
    assert!(failures <= 1, "one incident is logged once, not {failures} times:\n{log}");
}

#[test]
fn starttls_and_implicit_tls_work_with_the_institutions_ca() {
    let dovecot = Dovecot::start(DovecotOptions { tls: true, ..DovecotOptions::default() });
    let ca = dovecot.ca_file().expect("a CA file");
    for (mode, port) in [("starttls", dovecot.imap_port()), ("implicit", dovecot.imaps_port().expect("imaps port"))] {
        let source = imap_source(&dovecot, &format!("ca_file = \"{}\"\n", ca.display()))
            .replace("host = \"127.0.0.1\"", "host = \"localhost\"")
            .replace(&format!("port = {}", dovecot.imap_port()), &format!("port = {port}"))
            .replace("tls = \"none\"", &format!("tls = \"{mode}\""));
        let install = install_with_source(&source);
        dovecot.append("support", "INBOX", &request(&format!("tls-{mode}"), "Certificat"));
        let out = mailgate(&install, &["run", "--once"]);
        assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(tickets(&install).len(), 1, "{mode}");
    }
}

#[test]
fn folder_names_with_accents_work_everywhere() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let source = imap_source(&dovecot, "folder = \"Arrivée\"\n");
    let install = install_with_source(&source);
    dovecot.append("support", "Arrivée", &request("accent-1", "Écran"));
    let out = mailgate(&install, &["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dovecot.list("support", "Arrivée").is_empty());
    assert_eq!(dovecot.list("support", "Traités").len(), 1);
    let folders = dovecot.folders("support");
    assert!(folders.iter().any(|f| f == "Traités") && folders.iter().any(|f| f == "Refusés"), "{folders:?}");
}

#[test]
fn a_wrong_password_is_reported_in_one_clear_line() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let install = install_with_source(&imap_source(&dovecot, ""));
    let out = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .args(["run", "--once"])
        .env("MAILGATE_TEST_IMAP_PASSWORD", "wrong")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("login as \"support\" refused"), "{stderr}");
    assert!(stderr.contains("check username and password"), "{stderr}");
    assert!(!stderr.contains("wrong"), "the password never shows: {stderr}");
}

#[test]
fn plain_text_to_a_remote_server_is_refused_at_start() {
    let install = install_with_source(
        "[[sources]]\nkind = \"imap\"\nhost = \"imap.ac-exemple.fr\"\ntls = \"none\"\nusername = \"support\"\npassword = \"x\"",
    );
    let out = mailgate(&install, &["check-config"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sources[0].tls: \"none\" is allowed only to a loopback address")
    );
}
