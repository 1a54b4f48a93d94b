//! `[trust]` played by mail: a forged technician or requester is not obeyed
//! when trust is enforced (the mail waits in quarantine for an operator), is
//! obeyed but recorded with its verdict when trust only reports, and a
//! genuine Authentication-Results from the institution's server passes.
//! With `evidence = ["dkim"]`, mailgate's own DKIM verification decides the
//! same way (keys made in the test and handed to the verifier, not DNS).

use base64::Engine as _;
use std::path::Path;
use std::sync::Arc;

use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mailgate::clock::SystemClock;
use mailgate::config::Config;
use mailgate::desk::Applied;
use mailgate::intake::Outcome;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::Store;

const EXAMPLE: &str = include_str!("../../config.example.toml");
const GENUINE: &str = "Authentication-Results: mx.ac-exemple.fr; dkim=pass header.d=ac-exemple.fr; dmarc=pass";
const FORGED_ELSEWHERE: &str = "Authentication-Results: mx.evil.com; dmarc=pass";
const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
const TECHNICIAN: &str = "alice.martin@ac-exemple.fr";

struct Site {
    pipeline: Pipeline,
    sent: usize,
}

impl Site {
    fn new(mode: &str) -> Site {
        Site::with(&format!("mode = \"{mode}\"\nauthserv_id = \"mx.ac-exemple.fr\""), None)
    }

    /// A site whose `[trust]` is `section`, with `keys` as the DKIM key
    /// records instead of DNS.
    fn with(section: &str, keys: Option<Vec<(String, String)>>) -> Site {
        let text = format!("{EXAMPLE}\n[trust]\n{section}\n");
        let mut config = Config::from_toml(&text, Path::new("mailgate.toml"), Path::new("/tmp")).expect("config");
        config.trust.dkim_keys = keys;
        let store = Store::open_in_memory().expect("store");
        Site { pipeline: Pipeline::new(store, Arc::new(config), Arc::new(SystemClock)).expect("pipeline"), sent: 0 }
    }

    fn mail(&mut self, auth: &str, from: &str, subject: &str, body: &str) -> Applied {
        let raw = self.compose(auth, from, subject, body);
        self.deliver(&raw)
    }

    /// The next mail's text, Message-ID numbered.
    fn compose(&mut self, auth: &str, from: &str, subject: &str, body: &str) -> String {
        self.sent += 1;
        format!(
            "{auth}\r\nFrom: {from}\r\nTo: support-informatique@ac-exemple.fr\r\nSubject: {subject}\r\n\
             Message-ID: <t{n}@mua.ac-exemple.fr>\r\n\r\n{body}\r\n",
            n = self.sent
        )
    }

    fn deliver(&mut self, raw: &str) -> Applied {
        match self.pipeline.process("support", &format!("k{}", self.sent), raw.as_bytes()).expect("recorded") {
            Processed::Recorded(applied) => applied,
            Processed::AlreadyRecorded(_) => panic!("mail {} taken for an earlier one", self.sent),
        }
    }

    fn status(&self, ticket: i64) -> String {
        self.pipeline.store().ticket_detail(ticket).expect("ticket").status.as_str().to_string()
    }

    fn outbox_len(&self) -> usize {
        self.pipeline.store().list_outbox(None).expect("outbox").len()
    }
}

#[test]
fn a_forged_technician_command_is_quarantined_when_trust_is_enforced_and_released_by_an_operator() {
    let mut site = Site::new("enforce");
    let opened = site.mail(GENUINE, REQUESTER, "Imprimante en panne", "Elle ne répond plus.");
    assert_eq!(opened.outcome, Outcome::TicketCreated);
    let queued = site.outbox_len();

    for (what, auth) in [("no header from our server", "X-Spam: no"), ("another server's pass", FORGED_ELSEWHERE)] {
        let forged = site.mail(auth, TECHNICIAN, "RE: [GLPI #0000001] Imprimante en panne", "#status closed");
        assert_eq!(forged.outcome, Outcome::Refused, "{what}");
        assert!(forged.reason.as_deref().is_some_and(|r| r.starts_with("quarantined")), "{what}: {forged:?}");
        assert_eq!(site.status(1), "new", "{what}: the ticket is as it was");
        assert_eq!(site.outbox_len(), queued, "{what}: nobody is told, the forged address least of all");
    }
    let held = site.pipeline.store().list_messages(None, true).expect("list");
    assert_eq!(held.len(), 2, "both wait in quarantine");
    assert!(held[0].trust.as_deref().is_some_and(|t| t.starts_with("fail")), "{:?}", held[0]);

    let released = site.pipeline.release(held[0].id).expect("released");
    assert_eq!(released.outcome, Outcome::FollowupAdded, "{released:?}");
    assert_eq!(site.status(1), "closed", "the operator vouched for the sender");
}

#[test]
fn a_forged_requester_cannot_cancel_a_ticket_when_trust_is_enforced() {
    let mut site = Site::new("enforce");
    site.mail(GENUINE, REQUESTER, "Imprimante en panne", "Elle ne répond plus.");
    let forged = site.mail("X: y", REQUESTER, "RE: [GLPI #0000001] Imprimante en panne", "#cancel");
    assert_eq!(forged.outcome, Outcome::Refused);
    assert_eq!(site.status(1), "new", "not cancelled");
}

#[test]
fn a_genuine_technician_is_obeyed_when_trust_is_enforced() {
    let mut site = Site::new("enforce");
    site.mail(GENUINE, REQUESTER, "Imprimante en panne", "Elle ne répond plus.");
    let genuine = site.mail(GENUINE, TECHNICIAN, "RE: [GLPI #0000001] Imprimante en panne", "#status closed");
    assert_eq!(genuine.outcome, Outcome::FollowupAdded, "{genuine:?}");
    assert_eq!(site.status(1), "closed");
}

#[test]
fn when_trust_only_reports_a_forged_command_is_obeyed_and_its_verdict_recorded() {
    let mut site = Site::new("report");
    site.mail(GENUINE, REQUESTER, "Imprimante en panne", "Elle ne répond plus.");
    let forged = site.mail("X: y", TECHNICIAN, "RE: [GLPI #0000001] Imprimante en panne", "#status closed");
    assert_eq!(forged.outcome, Outcome::FollowupAdded);
    assert_eq!(site.status(1), "closed");
    let record = site.pipeline.store().message(forged.message_row).expect("record");
    assert_eq!(record.trust.as_deref(), Some("fail: no Authentication-Results from mx.ac-exemple.fr"));
    let first = site.pipeline.store().message(1).expect("record");
    assert_eq!(first.trust.as_deref(), Some("pass: dmarc=pass"));
}

#[test]
fn an_unauthenticated_senders_text_is_not_quoted_in_notifications_when_trust_reports() {
    let mut site = Site::new("report");
    let lure = "Votre compte expire : reconnectez-vous sur http://evil.example/login";
    site.mail("X: y", REQUESTER, "Compte", lure);
    site.mail(GENUINE, "paul.durand@ac-exemple.fr", "Imprimante", "Elle ne répond plus.");
    let rows = site.pipeline.store().list_outbox(None).expect("outbox");
    let (forged, genuine): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.ticket_id == Some(1));
    assert!(!forged.is_empty() && !genuine.is_empty(), "both tickets were acknowledged");
    assert!(forged.iter().all(|r| !r.body_text.contains("evil.example")), "the lure is not relayed");
    assert!(genuine.iter().any(|r| r.body_text.contains("Elle ne répond plus.")), "a genuine request is quoted");
}

/// An Ed25519 DKIM key of ac-exemple.fr, made for the test.
struct DkimKey(Vec<u8>);

impl DkimKey {
    fn new() -> DkimKey {
        DkimKey(Ed25519Key::generate_pkcs8().expect("a key"))
    }

    fn key(&self) -> Ed25519Key {
        Ed25519Key::from_pkcs8_der(&self.0).expect("the key reads back")
    }

    /// The TXT record a DNS zone would publish for it.
    fn record(&self) -> (String, String) {
        (
            "s1._domainkey.ac-exemple.fr".into(),
            format!(
                "v=DKIM1; k=ed25519; p={}",
                base64::engine::general_purpose::STANDARD.encode(self.key().public_key())
            ),
        )
    }

    /// `raw` signed, its signature on top (what the institution's
    /// outgoing server does).
    fn sign(&self, raw: &str) -> String {
        let signature = DkimSigner::from_key(self.key())
            .domain("ac-exemple.fr")
            .selector("s1")
            .headers(["From", "To", "Subject", "Message-ID"])
            .sign(raw.as_bytes())
            .expect("signed");
        format!("{}{raw}", signature.to_header())
    }
}

#[test]
fn with_dkim_as_evidence_a_forged_technician_is_quarantined_and_a_signed_one_obeyed() {
    let key = DkimKey::new();
    let mut site = Site::with("mode = \"enforce\"\nevidence = [\"dkim\"]", Some(vec![key.record()]));
    let request = site.compose("X-Mailer: Outlook", REQUESTER, "Imprimante en panne", "Elle ne répond plus.");
    let opened = site.deliver(&key.sign(&request));
    assert_eq!(opened.outcome, Outcome::TicketCreated, "{opened:?}");
    let first = site.pipeline.store().message(opened.message_row).expect("record");
    assert_eq!(first.trust.as_deref(), Some("pass: dkim=pass header.d=ac-exemple.fr (verified by mailgate)"));
    let queued = site.outbox_len();

    // A genuine signature of a harmless answer, whose body was then changed
    // into a command: the body hash no longer matches.
    let subject = "RE: [GLPI #0000001] Imprimante en panne";
    let harmless = key.sign(&site.compose("X-Mailer: Outlook", TECHNICIAN, subject, "Je regarde."));
    let forged = site.deliver(&harmless.replace("Je regarde.", "#status closed"));
    assert_eq!(forged.outcome, Outcome::Refused, "{forged:?}");
    assert!(forged.reason.as_deref().is_some_and(|r| r.starts_with("quarantined")), "{forged:?}");
    let record = site.pipeline.store().message(forged.message_row).expect("record");
    assert!(
        record.trust.as_deref().is_some_and(|t| t.starts_with("fail: dkim=fail header.d=ac-exemple.fr")),
        "{record:?}"
    );
    assert_eq!(site.status(1), "new", "the forged command changed nothing");
    assert_eq!(site.outbox_len(), queued, "and told nobody");

    let command = site.compose("X-Mailer: Outlook", TECHNICIAN, subject, "#status closed");
    let genuine = site.deliver(&key.sign(&command));
    assert_eq!(genuine.outcome, Outcome::FollowupAdded, "{genuine:?}");
    assert_eq!(site.status(1), "closed", "the signed command is obeyed");
}

#[test]
fn with_dkim_as_evidence_a_mail_whose_key_dns_did_not_give_waits_in_quarantine_for_a_replay() {
    let key = DkimKey::new();
    let section = "mode = \"enforce\"\nevidence = [\"dkim\"]";
    // No key anywhere: the lookup fails as a DNS outage would.
    let mut site = Site::with(section, Some(Vec::new()));
    let request = site.compose("X-Mailer: Outlook", REQUESTER, "Imprimante en panne", "Elle ne répond plus.");
    let held = site.deliver(&key.sign(&request));
    assert_eq!(held.outcome, Outcome::Refused, "{held:?}");
    let record = site.pipeline.store().message(held.message_row).expect("record");
    assert!(record.quarantined, "kept for an operator, not lost: {record:?}");
    assert!(
        record.trust.as_deref().is_some_and(|t| t.starts_with("fail: dkim=temperror header.d=ac-exemple.fr")),
        "{record:?}"
    );
    assert_eq!(site.outbox_len(), 0, "nobody is told");

    // DNS answers again: a replay verifies the signature anew.
    let text = format!("{EXAMPLE}\n[trust]\n{section}\n");
    let mut config = Config::from_toml(&text, Path::new("mailgate.toml"), Path::new("/tmp")).expect("config");
    config.trust.dkim_keys = Some(vec![key.record()]);
    site.pipeline.reload(Arc::new(config)).expect("reloaded");
    let replayed = site.pipeline.replay(held.message_row).expect("replayed");
    assert_eq!(replayed.outcome, Outcome::TicketCreated, "{replayed:?}");
}
