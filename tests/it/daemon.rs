//! `mailgate run` as systemd runs it: started once, fed mail while running,
//! stopped with SIGTERM.

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
