//! The delivery test harness proven end to end: a real Postfix on loopback
//! (tests/support/postfix.rs) takes mail by SMTP and hands it by LMTP to the
//! throwaway Dovecot (tests/support/dovecot.rs), where it is read back from
//! the recipient's INBOX over IMAP. The notification tests build on this.

use crate::support;

use std::time::{Duration, Instant};

use support::dovecot::{Dovecot, DovecotOptions};
use support::mail;
use support::postfix::{Postfix, PostfixOptions};

const DOMAIN: &str = "ac-exemple.fr";

fn dovecot() -> Dovecot {
    Dovecot::start(DovecotOptions {
        tls: false,
        users: vec![("support".into(), "secret".into()), ("marie.dupont".into(), "marie".into())],
    })
}

fn postfix(dovecot: &Dovecot) -> Postfix {
    Postfix::start(PostfixOptions {
        lmtp_port: dovecot.lmtp_port(),
        domain: DOMAIN.into(),
        mailboxes: vec![format!("support@{DOMAIN}"), format!("marie.dupont@{DOMAIN}")],
    })
}

fn wait_for(what: &str, deadline: Duration, condition: impl FnMut() -> bool) {
    assert!(wait_until(deadline, condition), "timed out after {deadline:?} waiting for {what}");
}

/// Whether `condition` came true before `deadline`.
fn wait_until(deadline: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !condition() {
        if start.elapsed() >= deadline {
            return false;
        }
        std::thread::park_timeout(Duration::from_millis(25));
    }
    true
}

fn notification(subject: &str, body: &str) -> Vec<u8> {
    mail(
        &format!(
            "From: Assistance <support@{DOMAIN}>\n\
             To: Marie Dupont <marie.dupont@{DOMAIN}>\n\
             Subject: {subject}\n\
             Date: Mon, 02 Jun 2025 09:30:00 +0200\n\
             Message-ID: <{subject}@mailgate.test>\n\
             MIME-Version: 1.0\n\
             Content-Type: text/plain; charset=utf-8\n\
             Content-Transfer-Encoding: 8bit"
        ),
        body,
    )
}

#[test]
fn a_mail_sent_through_postfix_lands_in_the_recipients_inbox() {
    let dovecot = dovecot();
    let postfix = postfix(&dovecot);
    let raw =
        notification("ticket-42", "Votre demande n° 42 a été prise en compte.\n.une ligne qui commence par un point\n");
    postfix.send(&format!("support@{DOMAIN}"), &[&format!("marie.dupont@{DOMAIN}")], &raw);

    wait_for("the mail in marie.dupont's INBOX", Duration::from_secs(30), || {
        !dovecot.list("marie.dupont", "INBOX").is_empty()
    });
    let inbox = dovecot.list("marie.dupont", "INBOX");
    assert_eq!(inbox.len(), 1, "one mail; postfix log:\n{}", postfix.log());
    let delivered = &inbox[0].2;
    // Postfix and Dovecot only prepend trace headers: the mail follows, byte for byte.
    assert!(
        delivered.ends_with(&raw),
        "headers and body intact:\n{}\n---\n{}",
        String::from_utf8_lossy(delivered),
        String::from_utf8_lossy(&raw)
    );
    let head = String::from_utf8_lossy(delivered);
    assert!(head.contains(&format!("Delivered-To: marie.dupont@{DOMAIN}")), "{head}");
    assert!(dovecot.list("support", "INBOX").is_empty(), "nothing for support");
}

#[test]
fn an_unknown_address_of_the_domain_is_refused_at_rcpt() {
    let dovecot = dovecot();
    let postfix = postfix(&dovecot);
    let raw = notification("unknown", "Personne ici.");
    let refused = postfix
        .try_send(&format!("support@{DOMAIN}"), &[&format!("jean.inconnu@{DOMAIN}")], &raw)
        .expect_err("an unknown recipient is refused");
    assert!(refused.starts_with("RCPT TO:<jean.inconnu@ac-exemple.fr>: 550 5.1.1 "), "{refused}");
    // A known address still goes through.
    postfix.send(&format!("support@{DOMAIN}"), &[&format!("support@{DOMAIN}")], &raw);
    wait_for("the mail in support's INBOX", Duration::from_secs(30), || !dovecot.list("support", "INBOX").is_empty());
}

#[test]
fn a_mail_sent_while_dovecot_is_down_is_delivered_once_when_it_is_back() {
    let mut dovecot = dovecot();
    let postfix = postfix(&dovecot);
    dovecot.stop();

    let raw = notification("queued", "Envoyé pendant la panne.");
    postfix.send(&format!("support@{DOMAIN}"), &[&format!("marie.dupont@{DOMAIN}")], &raw);
    wait_for("postfix to defer the mail", Duration::from_secs(30), || postfix.log().contains("status=deferred"));

    dovecot.restart();
    wait_for("the queued mail in marie.dupont's INBOX", Duration::from_secs(30), || {
        !dovecot.list("marie.dupont", "INBOX").is_empty()
    });
    // Once Postfix has logged the delivery and removed the queue file (two
    // log lines, written one after the other), it has nothing left to retry.
    wait_for("postfix to log the delivery and remove the queue file", Duration::from_secs(30), || {
        let log = postfix.log();
        log.contains("status=sent") && log.contains(" removed")
    });
    let log = postfix.log();
    assert_eq!(log.matches("status=sent").count(), 1, "{log}");
    let inbox = dovecot.list("marie.dupont", "INBOX");
    assert_eq!(inbox.len(), 1, "delivered exactly once:\n{log}");
    assert!(inbox[0].2.ends_with(&raw));
}

#[test]
fn postfix_restarts_on_the_same_port_with_the_same_queue() {
    let mut dovecot = dovecot();
    let mut postfix = postfix(&dovecot);
    let port = postfix.smtp_port();
    dovecot.stop();
    let raw = notification("survivor", "Gardé dans la file pendant l'arrêt.");
    postfix.send(&format!("support@{DOMAIN}"), &[&format!("marie.dupont@{DOMAIN}")], &raw);
    // Stopped once the mail waits in the deferred queue, the queue a
    // restart must keep.
    wait_for("postfix to defer the mail", Duration::from_secs(30), || postfix.log().contains("status=deferred"));

    postfix.stop();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the port is closed");
    assert!(postfix.try_send("a@test", &[&format!("support@{DOMAIN}")], &raw).is_err());
    dovecot.restart();
    postfix.restart();
    assert_eq!(postfix.smtp_port(), port);

    let delivered = wait_until(Duration::from_secs(60), || !dovecot.list("marie.dupont", "INBOX").is_empty());
    assert!(
        delivered,
        "the mail kept in the queue was not delivered after the restart\npostfix log:\n{}\ndovecot log:\n{}",
        postfix.log(),
        dovecot.log()
    );
    wait_for("postfix to log the delivery", Duration::from_secs(30), || postfix.log().contains("status=sent"));
    assert_eq!(dovecot.list("marie.dupont", "INBOX").len(), 1);
}
