//! What one mail may cost, whoever sent it: a mail over the size limit is
//! never read whole, a mail whose reading never ends is recorded as refused
//! past its budget while the mails behind it go on, a pathological body is
//! stored cut to its bounds, and the same mail delivered many times at once
//! makes one ticket.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Install, mail};

const REQUEST: &str = "From: Marie Dupont <marie.dupont@ac-exemple.fr>\nTo: support-informatique@ac-exemple.fr\nSubject: Imprimante en panne\nMessage-ID: <req-1@ac-exemple.fr>";

/// Waits for `child` with a deadline; a command that hangs fails the test
/// instead of hanging it.
fn wait_with_deadline(mut child: Child, deadline: Duration) -> std::process::Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            panic!("mailgate did not end within {deadline:?}");
        }
        std::thread::yield_now();
    }
}

#[test]
fn a_mail_piped_over_the_size_limit_is_refused_with_its_size_and_only_its_head_is_kept() {
    let install = Install::with_config(|c| c.replace("max_message_bytes = 31457280", "max_message_bytes = 1048576"));
    let big = mail(REQUEST, &"ligne de journal d'erreurs\n".repeat(200_000)); // 5.4 MB
    let out = install.mailgate_with_stdin(&["ingest"], Some(&big));
    assert_eq!(out.status.code(), Some(0), "recorded: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("refused"), "{out:?}");

    let m = &install.json(&["messages", "list"])[0];
    assert_eq!(m["outcome"], "refused");
    assert_eq!(m["size"], big.len(), "the real size is recorded: {m}");
    assert!(m["reason"].as_str().unwrap().contains("over limits.max_message_bytes"), "{m}");
    let raw = install.mailgate(&["messages", "raw", "1"]).stdout;
    assert_eq!(raw, big[..mailgate::source::OVERSIZED_HEAD_BYTES], "the head, not the 5 MB");

    // The MTA retries with the same bytes: recognised, not recorded twice.
    let again = install.mailgate_with_stdin(&["ingest"], Some(&big));
    assert!(String::from_utf8_lossy(&again.stdout).contains("already recorded"), "{again:?}");
}

#[test]
fn a_mail_whose_reading_never_ends_is_refused_past_its_budget_and_the_next_goes_through() {
    let install = Install::with_config(|c| c.replace("max_read_seconds = 10", "max_read_seconds = 1"));
    install.deliver("1-stalls.mail", &mail(REQUEST, "Bonjour"));
    install.deliver(
        "2-normal.mail",
        &mail(&REQUEST.replace("req-1@", "req-2@").replace("Imprimante", "Écran"), "L'écran reste noir."),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .args(["run", "--once"])
        .env("MAILGATE_FAULT", "stall-read:1-stalls.mail")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mailgate");
    let out = wait_with_deadline(child, Duration::from_secs(60));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let messages = install.json(&["messages", "list"]);
    assert_eq!(messages[0]["outcome"], "refused");
    assert!(messages[0]["reason"].as_str().unwrap().contains("limits.max_read_seconds (1 s)"), "{messages}");
    assert_eq!(messages[1]["outcome"], "ticket_created", "{messages}");
    let raw = install.mailgate(&["messages", "raw", "1"]).stdout;
    assert_eq!(raw, mail(REQUEST, "Bonjour"), "the stalled mail's raw copy is kept");
}

#[test]
fn a_pathological_html_body_is_stored_within_its_bounds_and_says_it_was_cut() {
    // What is asserted is the size of what is stored, not the time taken:
    // a budget no loaded CI machine can reach keeps the test about that.
    let install = Install::with_config(|c| c.replace("max_read_seconds = 10", "max_read_seconds = 600"));
    let depth = 20_000;
    let html = format!("{}Bonjour{}", "<blockquote><div>niveau ".repeat(depth), "</div></blockquote>".repeat(depth));
    let raw = mail(&format!("{REQUEST}\nContent-Type: text/html; charset=utf-8"), &html);
    let out = install.mailgate_with_stdin(&["ingest"], Some(&raw));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let ticket = install.json(&["tickets", "show", "1"]);
    let description = ticket["description"].as_str().expect("a description");
    assert!(description.len() <= mailgate::mail::parse::MAX_TEXT_BYTES, "{} bytes", description.len());
    let deepest = description.lines().map(|l| l.matches("> ").count()).max().unwrap_or(0);
    assert!(deepest <= mailgate::mail::markup::MAX_QUOTE_DEPTH, "quote prefixes do not multiply: {deepest}");
    let defects = install.json(&["messages", "list"])[0]["defects"].to_string();
    assert!(defects.contains("flattened"), "{defects}");
    let shown = install.ok(&["tickets", "show", "1"]);
    assert!(shown.contains("defects (") && shown.contains("message 1: HTML nested deeper than 48 levels"), "{shown}");
}

#[test]
fn the_same_mail_delivered_fifty_times_at_once_makes_one_ticket_and_one_acknowledgment() {
    let install = Install::new();
    let bytes = mail(REQUEST, "Bonjour, l'imprimante du CDI ne répond plus.");
    // Half the deliveries carry the same bytes (an MTA retrying), half a
    // trace header of their own (the mail reached support@ and an alias).
    let deliveries: Vec<Vec<u8>> = (0..50)
        .map(|n| {
            if n % 2 == 0 {
                bytes.clone()
            } else {
                [format!("Received: from relay{n}.ac-exemple.fr\r\n").as_bytes(), &bytes].concat()
            }
        })
        .collect();
    let children: Vec<Child> = deliveries
        .iter()
        .map(|raw| {
            let mut child = Command::new(env!("CARGO_BIN_EXE_mailgate"))
                .arg("--config")
                .arg(install.config_path())
                .arg("ingest")
                .current_dir(install.path(""))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start mailgate ingest");
            child.stdin.take().expect("stdin").write_all(raw).expect("write the mail");
            child
        })
        .collect();
    let mut outcomes = Vec::new();
    for child in children {
        let out = wait_with_deadline(child, Duration::from_secs(120));
        outcomes.push((out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    // Each delivery is either recorded or told to retry (75), never lost.
    for (code, said) in &outcomes {
        assert!(matches!(code, Some(0) | Some(75)), "{code:?}: {said}");
    }
    let tickets = install.json(&["tickets", "list"]);
    assert_eq!(tickets.as_array().map(Vec::len), Some(1), "{tickets}");
    let created = outcomes.iter().filter(|(_, said)| said.contains("ticket_created")).count();
    assert_eq!(created, 1, "{outcomes:?}");

    // Let one more pass send what is due, then count the mails written.
    install.ok(&["run", "--once"]);
    let outbox = install.json(&["outbox", "list"]);
    let rows = outbox.as_array().expect("rows").len();
    assert_eq!(install.files_in("outbox").len(), rows, "each notification written once: {outbox}");
}

#[test]
fn the_watchdog_hears_from_the_daemon_while_a_mail_is_still_being_read() {
    use std::os::unix::net::UnixDatagram;
    let install = Install::with_config(|c| {
        c.replace("max_read_seconds = 10", "max_read_seconds = 120").replace("poll_seconds = 5", "poll_seconds = 1")
    });
    let socket_path = install.path("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("notify socket");
    socket.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_mailgate"))
        .arg("--config")
        .arg(install.config_path())
        .arg("run")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "400000")
        .env("MAILGATE_FAULT", "stall-read:1-stalls.mail")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the daemon");
    let heard = |what: &str| {
        let mut buf = [0u8; 4096];
        loop {
            match socket.recv(&mut buf) {
                Ok(n) if String::from_utf8_lossy(&buf[..n]).contains(what) => return,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => panic!("no {what} within 30 s: {e}"),
            }
        }
    };
    heard("READY=1");
    install.deliver("1-stalls.mail", &mail(REQUEST, "Bonjour"));
    // Ten pings, two seconds, while the Maildir is polled every second:
    // the mail is taken and stalls, and the writer still answers.
    for _ in 0..10 {
        heard("WATCHDOG=1");
    }
    let recorded = install.json(&["messages", "list"]);
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert_eq!(recorded.as_array().map(Vec::len), Some(0), "the mail was still being read: {recorded}");
}
