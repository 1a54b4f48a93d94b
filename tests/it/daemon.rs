//! `mailgate run` as systemd runs it: started once, fed mail while running,
//! stopped with SIGTERM; and what a pass reads of a Maildir mail over the
//! size limit (its head only).

use crate::support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Install, mail};

/// Waits for `condition` with a deadline, checking it every few milliseconds.
fn wait_for(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[test]
fn the_daemon_takes_mail_delivered_while_it_runs_and_stops_cleanly_on_sigterm() {
    let install = Install::with_config(|c| c.replace("poll_seconds = 5", "poll_seconds = 1"));
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .arg("run")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the daemon");

    wait_for("the daemon to open its database", Duration::from_secs(30), || install.path("mailgate.db").exists());
    install.deliver(
        "1.mail",
        &mail(
            "From: marie.dupont@ac-exemple.fr\nSubject: Vidéoprojecteur salle 3\nMessage-ID: <d-1@ac-exemple.fr>",
            "Il ne s'allume plus.",
        ),
    );
    wait_for("the mail to leave new/", Duration::from_secs(30), || install.files_in("Maildir/cur").len() == 1);
    wait_for("the acknowledgment to be written", Duration::from_secs(30), || !install.files_in("outbox").is_empty());
    let tickets = install.json(&["tickets", "list"]);
    assert_eq!(tickets[0]["title"], "Vidéoprojecteur salle 3");

    let status = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status().expect("kill");
    assert!(status.success());
    let exit = daemon.wait().expect("daemon exits");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut daemon.stderr.take().expect("stderr"), &mut stderr).ok();
    assert!(exit.success(), "exit {exit:?}: {stderr}");
    assert!(stderr.contains("mailgate stopped"), "{stderr}");
}

#[test]
fn an_over_limit_maildir_mail_is_refused_with_its_size_and_only_its_head_is_read() {
    let install = Install::with_config(|c| c.replace("max_message_bytes = 31457280", "max_message_bytes = 100000"));
    let line = "2026-03-02 08:30:00 ERREUR impression file bloquée sur le serveur\r\n";
    let big: Vec<u8> =
        mail("From: marie.dupont@ac-exemple.fr\nSubject: Journal\nMessage-ID: <big-1@ac-exemple.fr>", "")
            .into_iter()
            .chain(line.repeat(6_000).into_bytes())
            .collect();
    install.deliver("1.mail", &big);
    install.deliver(
        "2.mail",
        &mail(
            "From: marie.dupont@ac-exemple.fr\nSubject: Souris\nMessage-ID: <m-2@ac-exemple.fr>",
            "Elle ne marche plus.",
        ),
    );
    install.ok(&["run", "--once"]);

    let messages = install.json(&["messages", "list"]);
    assert_eq!(messages[0]["outcome"], "refused", "{messages}");
    let reason = messages[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&format!("message is {} bytes", big.len())), "the real size is told: {reason}");
    assert_eq!(messages[1]["outcome"], "ticket_created", "the mail behind it is taken as usual");
    let raw = install.mailgate(&["messages", "raw", "1"]).stdout;
    assert!(raw.len() <= 64 * 1024, "only the head was read and kept: {} bytes", raw.len());
    assert!(!raw.is_empty() && big.starts_with(&raw), "the head is the mail's first bytes");
    assert_eq!(install.files_in("Maildir/cur").len(), 2, "both are acknowledged");
}
