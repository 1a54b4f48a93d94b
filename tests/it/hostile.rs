//! Mail built to break things. None may panic or stop the pipeline: each is
//! either a ticket with what could be read or a refusal with its reason, its
//! raw copy is kept, and the mail behind it is processed normally.

use std::path::Path;
use std::sync::Arc;

use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::Store;

const CONFIG: &str = include_str!("../../config.example.toml");

fn pipeline() -> Pipeline {
    let config = Config::from_toml(CONFIG, Path::new("mailgate.toml"), Path::new("/tmp")).expect("example config");
    Pipeline::new(Store::open_in_memory().expect("store"), Arc::new(config), Arc::new(SystemClock)).expect("pipeline")
}

fn crlf(s: &str) -> Vec<u8> {
    s.replace('\n', "\r\n").into_bytes()
}

fn hostile_mails() -> Vec<(&'static str, Vec<u8>)> {
    let mut garbage_headers = b"From: marie.dupont@ac-exemple.fr\r\nSubject: \xff\xfe\x80 caf\xe9 \x00\x01\r\nX-Junk: \xc3\x28\xa0\xa1\r\n\r\ncorps \xe9\r\n".to_vec();
    garbage_headers.extend_from_slice(&[0x80; 64]);
    let recipients: Vec<String> = (0..10_000).map(|i| format!("agent{i}@ac-exemple.fr")).collect();
    let huge_attachment = {
        let mut m = crlf(
            "From: marie.dupont@ac-exemple.fr\nSubject: Vidéo de la panne\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nvoir la vidéo\n--z\nContent-Type: video/mp4; name=panne.mp4\nContent-Transfer-Encoding: base64\n\n",
        );
        let line = b"AAAAIGZ0eXBpc29tAAACAGlzb21pc28yYXZjMW1wNDEAAAAIZnJlZQAAAAhtZGF0AAAA\r\n";
        m.extend(line.iter().cycle().take(50 * 1024 * 1024 / 3 * 4));
        m.extend_from_slice(b"\r\n--z--\r\n");
        m
    };
    vec![
        ("8-bit garbage in headers", garbage_headers),
        ("a 50 MB attachment", huge_attachment),
        (
            "10,000 recipients",
            crlf(&format!(
                "From: marie.dupont@ac-exemple.fr\nTo: {}\nCc: {}\nSubject: Réunion\n\nx\n",
                recipients.join(", "),
                recipients.join(", ")
            )),
        ),
        (
            "a 100 KB subject",
            crlf(&format!("From: marie.dupont@ac-exemple.fr\nSubject: {}\n\nx\n", "panne ".repeat(17_000))),
        ),
        (
            "an unknown charset",
            crlf(
                "From: marie.dupont@ac-exemple.fr\nSubject: =?x-klingon?Q?Qapla=27?=\nContent-Type: text/plain; charset=x-klingon\n\nnuqneH\n",
            ),
        ),
        (
            "truncated MIME",
            crlf(
                "From: marie.dupont@ac-exemple.fr\nSubject: coupé\nContent-Type: multipart/mixed; boundary=cut\n\n--cut\nContent-Type: text/plain\n\ndébut du mess",
            ),
        ),
        (
            "a boundary that never comes",
            crlf("From: marie.dupont@ac-exemple.fr\nContent-Type: multipart/alternative; boundary=\"\"\n\n--\n--\n"),
        ),
        ("deeply nested multiparts", {
            let mut s = String::from("From: marie.dupont@ac-exemple.fr\nSubject: poupées russes\n");
            for i in 0..200 {
                s.push_str(&format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"));
            }
            s.push_str("Content-Type: text/plain\n\nau fond\n");
            crlf(&s)
        }),
        ("headers only", crlf("From: marie.dupont@ac-exemple.fr\nSubject: rien")),
        ("binary noise", (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect()),
        ("empty", Vec::new()),
    ]
}

#[test]
fn no_hostile_mail_panics_stalls_the_next_or_is_lost() {
    let mut p = pipeline();
    let normal = crlf(
        "From: marie.dupont@ac-exemple.fr\nSubject: Imprimante\nMessage-ID: <normal@ac-exemple.fr>\n\nElle est en panne.\n",
    );
    for (n, (name, raw)) in hostile_mails().into_iter().enumerate() {
        let applied = match p.process("hostile", &format!("h{n}"), &raw) {
            Ok(Processed::Recorded(applied)) => applied,
            other => panic!("{name}: not recorded: {other:?}"),
        };
        assert!(
            applied.ticket.is_some() || applied.reason.is_some(),
            "{name}: neither a ticket nor a reason: {applied:?}"
        );
        // All of it, or its head when it is over the size limit.
        let max = p.intake().config().limits.max_message_bytes as usize;
        let kept = if raw.len() > max { raw.len().min(mailgate::source::OVERSIZED_HEAD_BYTES) } else { raw.len() };
        assert_eq!(p.store().raw_message(applied.message_row).expect("raw copy").len(), kept, "{name}: raw copy kept");
        // The mail behind it goes through untouched.
        let next = p.process("hostile", &format!("n{n}"), &normal).expect("next mail is processed");
        assert!(matches!(next, Processed::Recorded(_)), "{name}: the next mail was not recorded");
    }
}

#[test]
fn the_hostile_mails_get_the_outcome_a_person_would_expect() {
    let mut p = pipeline();
    let mails = hostile_mails();
    let outcome = |p: &mut Pipeline, name: &str| {
        let raw = &mails.iter().find(|(n, _)| *n == name).expect("known case").1;
        match p.process("hostile", name, raw).expect("processed") {
            Processed::Recorded(a) => a,
            Processed::AlreadyRecorded(_) => panic!("{name}: already recorded"),
        }
    };
    let big = outcome(&mut p, "a 50 MB attachment");
    assert!(big.reason.as_deref().is_some_and(|r| r.contains("limits.max_message_bytes")), "{big:?}");

    let long = outcome(&mut p, "a 100 KB subject");
    let title = &p.store().ticket_detail(long.ticket.expect("a ticket")).expect("ticket").title;
    assert!(title.chars().count() <= 255, "the title is capped, not {} chars", title.chars().count());

    let crowd = outcome(&mut p, "10,000 recipients");
    let observers = p.store().ticket_detail(crowd.ticket.expect("a ticket")).expect("ticket").observers.len();
    assert_eq!(observers, 50, "observers are capped by limits.max_observers");

    let empty = outcome(&mut p, "empty");
    assert!(empty.reason.as_deref().is_some_and(|r| r.starts_with("unparseable")), "{empty:?}");

    let truncated = outcome(&mut p, "truncated MIME");
    let text = p.store().ticket_detail(truncated.ticket.expect("a ticket")).expect("ticket").description;
    assert!(text.contains("début du mess"), "what could be read is kept: {text:?}");
}
