//! mailgate's own DKIM verification as a table: each row a mail signed in
//! the test (Ed25519 keys made here, handed to the verifier instead of
//! DNS) and the verdict it earns.

use base64::Engine as _;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;

use super::*;
use crate::config::{EvidenceKind, TrustMode};
use crate::intake::trust::{Verdict, verdict};
use crate::mail::parse;

const FROM: &str = "alice.martin@clg-moulin.ac-exemple.fr";

/// A signing key of a domain, and the DNS record of its public half.
struct Signer {
    domain: &'static str,
    selector: &'static str,
    pkcs8: Vec<u8>,
}

impl Signer {
    fn new(domain: &'static str, selector: &'static str) -> Signer {
        Signer { domain, selector, pkcs8: Ed25519Key::generate_pkcs8().expect("a key") }
    }

    fn key(&self) -> Ed25519Key {
        Ed25519Key::from_pkcs8_der(&self.pkcs8).expect("the key reads back")
    }

    fn record(&self) -> (String, String) {
        let name = format!("{}._domainkey.{}", self.selector, self.domain);
        (
            name,
            format!(
                "v=DKIM1; k=ed25519; p={}",
                base64::engine::general_purpose::STANDARD.encode(self.key().public_key())
            ),
        )
    }

    /// `raw` with this signer's DKIM-Signature on top; `partial` signs
    /// with `l=` (the body's length at signing).
    fn sign(&self, raw: &str, partial: bool) -> String {
        let signature = DkimSigner::from_key(self.key())
            .domain(self.domain)
            .selector(self.selector)
            .headers(["From", "To", "Subject", "Message-ID"])
            .body_length(partial)
            .sign(raw.as_bytes())
            .expect("signed");
        format!("{}{raw}", signature.to_header())
    }
}

fn unsigned(body: &str) -> String {
    format!(
        "From: {FROM}\r\nTo: support-informatique@ac-exemple.fr\r\nSubject: RE: [GLPI #0000001] Imprimante\r\n\
         Message-ID: <m1@ac-exemple.fr>\r\n\r\n{body}\r\n"
    )
}

fn trust(keys: Vec<(String, String)>, max_signatures: usize) -> Trust {
    Trust {
        mode: TrustMode::Enforce,
        evidence: vec![EvidenceKind::Dkim],
        dkim_max_signatures: max_signatures,
        dkim_keys: Some(keys),
        ..Trust::OFF
    }
}

/// The verdict on `raw` under `trust`, DKIM verified as the reading does.
fn judge(trust: &Trust, raw: &str) -> (Verdict, Evidence) {
    let mut mail = parse(raw.as_bytes()).expect("parses");
    let evidence = Verifier::new(trust).verify(raw.as_bytes());
    mail.dkim = Some(evidence.clone());
    (verdict(&mail, trust).expect("trust is on"), evidence)
}

#[test]
fn signed_mails_table() {
    let academy = Signer::new("ac-exemple.fr", "s1");
    let stranger = Signer::new("evil.example", "s1");
    let unpublished = Signer::new("ac-exemple.fr", "gone");
    let trust = trust(vec![academy.record(), stranger.record()], 3);
    let genuine = academy.sign(&unsigned("#status closed"), false);
    let cases: &[(&str, String, &str)] = &[
        (
            "a genuine signature of the From's parent domain passes",
            genuine.clone(),
            "pass: dkim=pass header.d=ac-exemple.fr",
        ),
        (
            "the same mail with one byte of the body changed fails",
            genuine.replace("#status closed", "#status closer"),
            "fail: dkim=fail header.d=ac-exemple.fr",
        ),
        (
            "a genuine signature of another domain is not aligned",
            stranger.sign(&unsigned("#status closed"), false),
            "fail: dkim=pass header.d=evil.example is not aligned with clg-moulin.ac-exemple.fr",
        ),
        (
            "a signature whose key DNS does not give is a temporary error",
            unpublished.sign(&unsigned("#status closed"), false),
            "fail: dkim=temperror header.d=ac-exemple.fr",
        ),
        (
            "a signature of part of the body (l=) does not count: anything may follow",
            academy.sign(&unsigned("Bonjour"), true).replace("Bonjour\r\n", "Bonjour\r\n#status closed\r\n"),
            "fail: dkim=fail (Insecure 'l=' tag",
        ),
        ("a mail without a signature fails", unsigned("#status closed"), "fail: no DKIM signature"),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, raw, expected)| {
            let (got, evidence) = judge(&trust, raw);
            (!got.record().starts_with(expected)).then(|| format!("{name}: got {:?} from {evidence:?}", got.record()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn only_the_first_signatures_up_to_the_cap_are_verified() {
    let academy = Signer::new("ac-exemple.fr", "s1");
    let junk: Vec<Signer> = (0..4).map(|_| Signer::new("evil.example", "junk")).collect();
    // The genuine signature is at the bottom, under four whose keys are
    // nowhere: a cap of three never reaches it.
    let mut raw = academy.sign(&unsigned("#status closed"), false);
    for signer in &junk {
        raw = signer.sign(&raw, false);
    }
    let (capped, evidence) = judge(&trust(vec![academy.record()], 3), &raw);
    assert_eq!(evidence.signatures.len(), 3, "{evidence:?}");
    assert_eq!(evidence.unverified, 2, "{evidence:?}");
    assert!(!capped.passed(), "{capped:?}");
    assert!(capped.record().ends_with("2 more DKIM-Signature headers not verified (trust.dkim_max_signatures)"));

    let (roomy, evidence) = judge(&trust(vec![academy.record()], 5), &raw);
    assert_eq!((evidence.signatures.len(), evidence.unverified), (5, 0));
    assert!(roomy.passed(), "with room for all five the genuine one is reached: {roomy:?}");
}

#[test]
fn the_signature_headers_past_the_cap_are_removed_and_the_rest_kept_byte_for_byte() {
    let raw = b"DKIM-Signature: a=1;\r\n\tb=2\r\nX: y\r\ndkim-signature: c\r\nDKIM-Signature: d\r\n\r\nbody\r\nDKIM-Signature: not a header\r\n";
    let (kept, left_out) = first_signatures(raw, 1);
    assert_eq!(left_out, 2);
    assert_eq!(
        String::from_utf8(kept.expect("a copy")).expect("utf-8"),
        "DKIM-Signature: a=1;\r\n\tb=2\r\nX: y\r\n\r\nbody\r\nDKIM-Signature: not a header\r\n"
    );
    assert_eq!(first_signatures(b"X: y\r\n\r\nDKIM-Signature: x\r\n", 1), (None, 0), "the body is not headers");
}
