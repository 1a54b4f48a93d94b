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
fn a_refused_mail_committed_before_a_crash_goes_to_the_refused_folder_next_time() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let install = install_with_source(&imap_source(&dovecot, ""));
    dovecot.append(
        "support",
        "INBOX",
        &mail("From: quelqu.un@gmail.com\nSubject: Bonjour\nMessage-ID: <crash-2@gmail.com>", "Spam"),
    );

    let daemon = start_daemon(&install, &[("MAILGATE_FAULT", "kill-before-ack")]);
    let out = daemon.wait_with_output().expect("the daemon dies");
    assert!(!out.status.success(), "killed at the fault point");
    assert_eq!(outcomes(&install), ["refused"], "recorded before the crash");

    let out = mailgate(&install, &["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dovecot.list("support", "INBOX").is_empty());
    assert!(dovecot.list("support", "Traités").is_empty(), "not filed as processed");
    assert_eq!(dovecot.list("support", "Refusés").len(), 1, "filed by its recorded outcome");
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

fn messages(install: &Install) -> Vec<serde_json::Value> {
    let out = mailgate(install, &["messages", "list", "--json"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// A mail of about `size` bytes: a request with a long log pasted in.
fn large_request(id: &str, size: usize) -> Vec<u8> {
    let line = "2026-03-02 08:30:00 ERREUR impression file bloquée sur le serveur\r\n";
    request(id, "Journal").into_iter().chain(line.repeat(size / line.len()).into_bytes()).collect()
}

#[test]
fn an_over_limit_mail_is_refused_with_its_size_moved_and_only_its_head_downloaded() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let install = install_with_source(&imap_source(&dovecot, ""));
    let config = std::fs::read_to_string(install.config_path()).expect("config");
    std::fs::write(install.config_path(), config.replace("max_message_bytes = 31457280", "max_message_bytes = 100000"))
        .expect("config");
    let big = large_request("big-1", 400_000);
    dovecot.append("support", "INBOX", &big);
    dovecot.append("support", "INBOX", &request("small-1", "Souris"));

    let out = mailgate(&install, &["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let recorded = messages(&install);
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let refused = &recorded[0];
    assert_eq!(refused["outcome"], "refused");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&format!("message is {} bytes", big.len())), "the real size is told: {reason}");
    assert!(reason.contains("limits.max_message_bytes"), "{reason}");
    assert_eq!(recorded[1]["outcome"], "ticket_created", "the mail behind it is taken as usual");
    let raw = mailgate(&install, &["messages", "raw", "1"]).stdout;
    assert!(raw.len() <= 64 * 1024, "only the head was downloaded and kept: {} bytes", raw.len());
    assert!(!raw.is_empty() && big.starts_with(&raw), "the head is the mail's first bytes");
    let moved = dovecot.list("support", "Refusés");
    assert_eq!(moved.len(), 1, "the refused mail is filed");
    assert_eq!(moved[0].2.len(), big.len(), "and kept whole on the server");
}

#[test]
fn a_server_that_never_greets_ends_run_once_within_its_timeout_with_exit_75() {
    // Accepts TCP connections (the kernel completes them) and says nothing.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let port = silent.local_addr().expect("address").port();
    let install = install_with_source(&format!(
        "[[sources]]\nkind = \"imap\"\nname = \"support\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nusername = \"support\"\npassword_env = \"MAILGATE_TEST_IMAP_PASSWORD\"\ntimeout_seconds = 2\n"
    ));
    let started = Instant::now();
    let out = mailgate(&install, &["run", "--once"]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "EX_TEMPFAIL: {stderr}");
    assert!(took < Duration::from_secs(15), "ended within its timeout, took {took:?}");
    assert!(stderr.contains("no answer to the greeting") && stderr.contains("within 2 s"), "{stderr}");
    assert!(!stderr.contains("secret"), "the password never shows: {stderr}");
}

/// Resumes every process it stopped, even when the test fails.
struct Stopped(Vec<u32>);

impl Drop for Stopped {
    fn drop(&mut self) {
        for pid in &self.0 {
            let _ = Command::new("kill").arg("-CONT").arg(pid.to_string()).status();
        }
    }
}

#[test]
fn a_server_stalled_in_mid_session_fails_the_pass_within_the_timeout_and_the_daemon_reconnects() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    // 5 s: quick to notice, yet above what a loaded test machine takes.
    let install = install_with_source(&imap_source(&dovecot, "poll_seconds = 1\nidle = false\ntimeout_seconds = 5\n"));
    dovecot.append("support", "INBOX", &request("stall-1", "Avant le blocage"));
    let daemon = start_daemon(&install, &[]);
    // Watched over IMAP: the CLI would race the daemon's first migration.
    wait_for("the first mail to be filed", Duration::from_secs(30), || dovecot.list("support", "Traités").len() == 1);

    // The daemon's session is logged in and idle between polls: freeze the
    // server process that serves it, as a wedged server would be.
    let frozen = Stopped(dovecot.imap_processes());
    assert!(!frozen.0.is_empty(), "the daemon's session has an imap process");
    for pid in &frozen.0 {
        assert!(Command::new("kill").arg("-STOP").arg(pid.to_string()).status().is_ok_and(|s| s.success()));
    }
    // A new session gets a new process, which answers.
    dovecot.append("support", "INBOX", &request("stall-2", "Après le blocage"));
    wait_for("the second mail, through a new session", Duration::from_secs(30), || {
        dovecot.list("support", "Traités").len() == 2
    });
    drop(frozen);
    let log = stop_daemon(daemon);
    assert_eq!(tickets(&install).len(), 2);
    assert!(log.contains("no answer to") && log.contains("within 5 s"), "the stall is named: {log}");
}

#[test]
fn without_folders_a_mail_a_colleague_read_first_is_still_recorded() {
    let dovecot = Dovecot::start(DovecotOptions::default());
    let source =
        imap_source(&dovecot, "").replace("processed_folder = \"Traités\"\nrefused_folder = \"Refusés\"\n", "");
    let install = install_with_source(&source);
    dovecot.append("support", "INBOX", &request("shared-1", "Écran"));
    assert!(mailgate(&install, &["run", "--once"]).status.success());

    // While mailgate is down, a colleague opens the next mail first.
    dovecot.append("support", "INBOX", &request("shared-2", "Clavier"));
    let uid = dovecot.list_uids("support", "INBOX").into_iter().max().expect("a uid");
    dovecot.add_flag("support", "INBOX", uid, "\\Seen");
    assert!(dovecot.list("support", "INBOX").iter().all(|(_, flags, _)| flags.iter().any(|f| f == "\\Seen")));

    let out = mailgate(&install, &["run", "--once"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(outcomes(&install), ["ticket_created", "ticket_created"], "the read mail is recorded too");
    assert!(mailgate(&install, &["run", "--once"]).status.success());
    assert_eq!(outcomes(&install).len(), 2, "and nothing is taken twice");
}
