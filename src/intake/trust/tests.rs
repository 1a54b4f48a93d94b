//! The verdict as a table: each row the headers a mail arrives with and
//! what mailgate concludes about its sender.

use super::*;
use crate::mail::parse;

fn trust(mode: TrustMode) -> Trust {
    Trust {
        mode,
        authserv_id: "mx.ac-exemple.fr".into(),
        trusted_relays: vec!["10.0.0.25".parse().expect("ip")],
        evidence: vec![crate::config::EvidenceKind::AuthenticationResults],
        ..Trust::OFF
    }
}

fn mail(headers: &str) -> InboundMail {
    let raw = format!("{headers}\nFrom: alice.martin@clg-moulin.ac-exemple.fr\nSubject: #status closed\n\nx\n")
        .replace('\n', "\r\n");
    parse(raw.as_bytes()).expect("parses")
}

#[test]
fn verdicts_table() {
    let genuine_fail =
        "Authentication-Results: mx.ac-exemple.fr; dmarc=fail (p=none) header.from=clg-moulin.ac-exemple.fr";
    let cases: &[(&str, &str, Option<bool>)] = &[
        (
            "the institution's server says dmarc=pass",
            "Authentication-Results: mx.ac-exemple.fr; spf=fail; dmarc=pass header.from=clg-moulin.ac-exemple.fr",
            Some(true),
        ),
        ("the institution's server says dmarc=fail", genuine_fail, Some(false)),
        (
            "a version number after the id is allowed",
            "Authentication-Results: MX.ac-exemple.fr 1; dmarc=pass",
            Some(true),
        ),
        (
            "comments do not hide a result",
            "Authentication-Results: mx.ac-exemple.fr (our mx); dmarc=pass (p=reject sp=reject)",
            Some(true),
        ),
        ("another server's pass is not believed", "Authentication-Results: mx.evil.com; dmarc=pass", Some(false)),
        (
            "a forged pass below the genuine header is ignored",
            &format!("{genuine_fail}\nAuthentication-Results: mx.ac-exemple.fr; dmarc=pass"),
            Some(false),
        ),
        (
            "no DMARC, an aligned DKIM signature passes",
            "Authentication-Results: mx.ac-exemple.fr; dkim=pass header.d=ac-exemple.fr header.s=s1; dmarc=none",
            Some(true),
        ),
        (
            "no DMARC, an unaligned DKIM signature fails",
            "Authentication-Results: mx.ac-exemple.fr; dkim=pass header.d=evil.com",
            Some(false),
        ),
        (
            "no DMARC, an aligned SPF pass passes",
            "Authentication-Results: mx.ac-exemple.fr; spf=pass smtp.mailfrom=bounce@clg-moulin.ac-exemple.fr",
            Some(true),
        ),
        (
            "no DMARC, a failed DKIM signature fails",
            "Authentication-Results: mx.ac-exemple.fr; dkim=fail header.d=ac-exemple.fr",
            Some(false),
        ),
        (
            "a lookalike domain is not aligned",
            "Authentication-Results: mx.ac-exemple.fr; dkim=pass header.d=exemple.fr.evil.com",
            Some(false),
        ),
        ("no header at all fails", "X-Other: 1", Some(false)),
        (
            "mail from a trusted relay passes",
            "Received: from smtp.ac-exemple.fr (smtp.ac-exemple.fr [10.0.0.25])\n\tby imap.ac-exemple.fr with LMTP",
            Some(true),
        ),
        (
            "a trusted address named after by is not the relay",
            "Received: from evil (evil [203.0.113.9])\n\tby x [10.0.0.25]",
            Some(false),
        ),
    ];
    let mut failures = Vec::new();
    for (name, headers, expected) in cases {
        let got = verdict(&mail(headers), &trust(TrustMode::Enforce));
        if got.as_ref().map(Verdict::passed) != *expected {
            failures.push(format!("{name}: got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn with_trust_off_there_is_no_verdict() {
    assert_eq!(verdict(&mail("Authentication-Results: mx.ac-exemple.fr; dmarc=fail"), &trust(TrustMode::Off)), None);
}

#[test]
fn a_verdict_says_how_or_why() {
    let passed = verdict(&mail("Authentication-Results: mx.ac-exemple.fr; dmarc=pass"), &trust(TrustMode::Report));
    assert_eq!(passed.map(|v| v.record()).as_deref(), Some("pass: dmarc=pass"));
    let failed = verdict(&mail("X: y"), &trust(TrustMode::Report)).expect("a verdict");
    assert_eq!(failed.record(), "fail: no Authentication-Results from mx.ac-exemple.fr");
}
