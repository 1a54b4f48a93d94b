//! The helpdesk as users see it, for the life-cycle scenario tests: mail
//! in through the pipeline on the embedded store and the shipped
//! config.example.toml, notifications read back from the outbox, and a
//! clock the test moves by hand.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailgate::clock::Clock;
use mailgate::config::Config;
use mailgate::desk::Applied;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::Store;
use time::OffsetDateTime;

pub const REQUESTER: &str = "secretariat@clg-moulin.ac-exemple.fr";
pub const REFERENT: &str = "claire.petit@ac-exemple.fr";
pub const OTHER_REFERENT: &str = "julien.moreau@ac-exemple.fr";
pub const BAI: &str = "alice.martin@ac-exemple.fr";
pub const OTHER_BAI: &str = "bruno.leroy@ac-exemple.fr";

/// A clock the test moves by hand.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}

/// The helpdesk as users see it: mail in, notifications out.
pub struct Desk {
    pub pipeline: Pipeline,
    clock: Arc<ManualClock>,
    sent: usize,
    seen_outbox: usize,
}

/// One queued notification, as compared: "event -> recipient | subject".
pub type Queued = String;

impl Desk {
    pub fn new() -> Desk {
        Desk::with_config(|text| text)
    }

    /// The desk on config.example.toml as `edit` changes it.
    pub fn with_config(edit: impl FnOnce(String) -> String) -> Desk {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let text = edit(std::fs::read_to_string(&path).expect("config.example.toml"));
        let config = Config::from_toml(&text, &path, path.parent().expect("folder")).expect("the config loads");
        let clock = Arc::new(ManualClock(Mutex::new(time::macros::datetime!(2026-03-02 08:30 UTC))));
        let store = Store::open_in_memory().expect("store");
        let pipeline = Pipeline::new(store, Arc::new(config), clock.clone()).expect("pipeline");
        Desk { pipeline, clock, sent: 0, seen_outbox: 0 }
    }

    /// Delivers a mail from `from` and returns what it became.
    pub fn mail(&mut self, from: &str, to: &str, subject: &str, in_reply_to: Option<&str>, body: &str) -> Applied {
        self.sent += 1;
        let threading =
            in_reply_to.map(|id| format!("In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n")).unwrap_or_default();
        let raw = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <m{n}@mua.ac-exemple.fr>\r\n{threading}\
             Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
            n = self.sent
        );
        match self.pipeline.process("support", &format!("k{}", self.sent), raw.as_bytes()).expect("recorded") {
            Processed::Recorded(applied) => applied,
            Processed::AlreadyRecorded(_) => panic!("mail {} taken for an earlier one", self.sent),
        }
    }

    /// Delivers a mail written whole (headers, blank line, body) and
    /// returns what it became.
    pub fn deliver(&mut self, raw: &str) -> Applied {
        self.sent += 1;
        let raw = raw.replace("\r\n", "\n").replace('\n', "\r\n");
        match self.pipeline.process("support", &format!("k{}", self.sent), raw.as_bytes()).expect("recorded") {
            Processed::Recorded(applied) => applied,
            Processed::AlreadyRecorded(_) => panic!("mail {} taken for an earlier one", self.sent),
        }
    }

    /// The latest notification `to` received: (Message-ID, subject, text).
    pub fn last_to(&self, to: &str) -> (String, String, String) {
        let rows = self.pipeline.store().list_outbox(None).expect("outbox");
        let last = rows.iter().rev().find(|r| r.recipient == to).expect("a notification");
        (last.message_id.clone(), last.subject.clone(), last.body_text.clone())
    }

    /// Replies to the latest notification `from` received, keeping its
    /// subject (as a mail client does) and quoting it below.
    pub fn reply(&mut self, from: &str, body: &str) -> Applied {
        let rows = self.pipeline.store().list_outbox(None).expect("outbox");
        let last = rows.iter().rev().find(|r| r.recipient == from).expect("a notification to reply to");
        let quoted =
            format!("{body}\r\n\r\nLe 2 mars 2026, Support a écrit :\r\n> {}", last.body_text.replace('\n', "\n> "));
        let (id, subject) = (last.message_id.clone(), format!("RE: {}", last.subject));
        self.mail(from, "support-informatique@ac-exemple.fr", &subject, Some(&id), &quoted)
    }

    /// The notifications queued since the last call, in order.
    pub fn queued(&mut self) -> Vec<Queued> {
        let rows = self.pipeline.store().list_outbox(None).expect("outbox");
        let new: Vec<Queued> = rows[self.seen_outbox..]
            .iter()
            .map(|r| format!("{} -> {} | {}", r.event, r.recipient, r.subject))
            .collect();
        self.seen_outbox = rows.len();
        new
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.clock.0.lock().expect("clock");
        *now += by;
    }

    pub fn detail(&self, id: i64) -> mailgate::store::TicketDetail {
        self.pipeline.store().ticket_detail(id).expect("ticket")
    }

    /// The names of ticket `id`'s groups in `role` ("assigned", "observer").
    pub fn groups(&self, id: i64, role: &str) -> Vec<String> {
        self.detail(id).groups.into_iter().filter(|g| g.role == role).map(|g| g.name).collect()
    }
}

pub fn expect(queued: Vec<Queued>, expected: &[(&str, &str, &str)], step: &str) {
    let expected: Vec<String> = expected.iter().map(|(e, r, s)| format!("{e} -> {r} | {s}")).collect();
    assert_eq!(queued, expected, "{step}");
}
