//! The daily digest (`notifications.digest_at`): once a day, each technician
//! with open tickets gets one mail listing them, so that a ticket nobody
//! took does not wait forgotten in a group's queue. A technician's digest
//! holds the tickets they are a technician of, and the tickets of their
//! groups that no technician has taken, the most urgent first, then the
//! oldest. A ticket with neither group nor technician (no rule filed it,
//! nobody took it) is in every technician's digest, or only in the
//! dispatchers' (`tickets.dispatcher_group`) when there are some, so that
//! no ticket falls through. Someone with nothing open gets nothing.
//!
//! Who gets what is decided here, pure, from the open tickets and the
//! configured staff, and so is the mail. The store reads the tickets and
//! writes the outbox rows in one transaction with the day's record, so a
//! restart never sends a day's digest twice. A digest is about many
//! tickets: its Message-ID names none, so a reply to it cannot thread onto
//! one of them (it opens a ticket of its own, see `intake::decide`).

use std::sync::atomic::{AtomicU64, Ordering};

use minijinja::Value;
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use super::{Notification, Notifier, Person};
use crate::config::{Config, TimeOfDay};
use crate::mail::parse::sha256_hex;
use crate::ticket::{Event, Language, Status, TicketId, display_number, level_label};

/// Someone who may get a digest: every `[[technicians]]` entry and every
/// member of a group, with the groups they belong to. A group's list address
/// (`groups.mail`) is not a person and gets none: its members do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub person: Person,
    /// Group names, as configured.
    pub groups: Vec<String>,
    /// A member of `tickets.dispatcher_group`: finds the tickets nobody has.
    pub dispatcher: bool,
}

/// The people of the configuration who may get a digest, each once, in the
/// order of the file; never mailgate's own address.
pub fn staff(config: &Config) -> Vec<StaffMember> {
    let own = config.notifications.own_address();
    let mut staff: Vec<StaffMember> = Vec::new();
    let technicians = config.technicians.iter().map(|t| t.email.as_str());
    let members = config.groups.iter().flat_map(|g| g.members.iter().map(String::as_str));
    for email in technicians.chain(members) {
        if email == own || staff.iter().any(|s| s.person.email == email) {
            continue;
        }
        staff.push(StaffMember {
            person: Person { email: email.to_string(), name: config.technician_name(email).map(str::to_string) },
            groups: config.groups.iter().filter(|g| g.has_member(email)).map(|g| g.name.clone()).collect(),
            dispatcher: config
                .tickets
                .dispatcher_group
                .as_deref()
                .and_then(|name| config.group(name))
                .is_some_and(|g| g.has_member(email)),
        });
    }
    staff
}

pub use crate::news::OpenTicket;

/// One ticket of a digest, and the reader's group through which it is
/// theirs when no technician has taken it (None: they are its technician,
/// or nobody has it: see `unowned`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub ticket: &'a OpenTicket,
    pub group: Option<&'a str>,
    /// Neither a group nor a technician has it: someone must take it.
    pub unowned: bool,
}

/// One person's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest<'a> {
    pub recipient: &'a Person,
    pub lines: Vec<Line<'a>>,
}

/// The digests of `open` tickets for `staff`, in the order of `staff`; no
/// digest for someone with nothing open. Each line is the highest priority
/// first, then the oldest (the smallest number among equals).
pub fn select<'a>(staff: &'a [StaffMember], open: &'a [OpenTicket]) -> Vec<Digest<'a>> {
    let mut digests = Vec::new();
    let dispatched = staff.iter().any(|s| s.dispatcher);
    for member in staff {
        let email = &member.person.email;
        let finds_unowned = member.dispatcher || !dispatched;
        let mut lines: Vec<Line<'a>> = open
            .iter()
            .filter_map(|ticket| {
                if ticket.technicians.iter().any(|t| t.eq_ignore_ascii_case(email)) {
                    return Some(Line { ticket, group: None, unowned: false });
                }
                if !ticket.technicians.is_empty() {
                    return None;
                }
                if ticket.assigned_groups.is_empty() {
                    return finds_unowned.then_some(Line { ticket, group: None, unowned: true });
                }
                let group =
                    member.groups.iter().find(|g| ticket.assigned_groups.iter().any(|a| a.eq_ignore_ascii_case(g)));
                group.map(|g| Line { ticket, group: Some(g.as_str()), unowned: false })
            })
            .collect();
        if lines.is_empty() {
            continue;
        }
        lines.sort_by(|a, b| {
            (b.ticket.priority.cmp(&a.ticket.priority))
                .then_with(|| a.ticket.created_at.cmp(&b.ticket.created_at))
                .then_with(|| a.ticket.id.cmp(&b.ticket.id))
        });
        digests.push(Digest { recipient: &member.person, lines });
    }
    digests
}

/// Whether the day's digest is due at `local_now`: once the wall clock
/// shows `at` or later. Whether it already went is the store's record.
pub fn is_due(local_now: OffsetDateTime, at: TimeOfDay) -> bool {
    (local_now.hour(), local_now.minute()) >= (at.hour, at.minute)
}

/// The day a digest is recorded under: the local date, YYYY-MM-DD.
pub fn day_of(local_now: OffsetDateTime) -> String {
    let date = local_now.date();
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A ticket line as templates see it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct LineForTemplate {
    number: String,
    title: String,
    status_label: &'static str,
    priority_label: &'static str,
    entity: String,
    url: String,
    /// Local dates, YYYY-MM-DD.
    created_on: String,
    updated_on: String,
    /// The label of the reader's group, when the ticket is theirs through it.
    group: Option<String>,
    /// Nobody has the ticket (no group, no technician): someone must take it.
    unowned: bool,
}

#[derive(Serialize)]
struct DigestContext<'a> {
    tickets: Vec<LineForTemplate>,
    recipient: &'a Person,
    subject: &'a str,
    separator: &'a str,
    tag: &'a str,
    institution: &'a str,
    language: &'a str,
}

impl Notifier {
    /// The people who may get a digest.
    pub fn staff(&self) -> &[StaffMember] {
        &self.staff
    }

    /// `[GLPI] Vos tickets ouverts – 12 tickets`: no ticket token, since the
    /// mail is about several; a reply keeping it names no ticket either.
    pub fn digest_subject(&self, count: usize) -> String {
        let noun = if count == 1 { "ticket" } else { "tickets" };
        match self.language {
            Language::Fr => format!("[{}] Vos tickets ouverts – {count} {noun}", self.tag),
            Language::En => format!("[{}] Your open tickets – {count} {noun}", self.tag),
        }
    }

    /// The finished digest of one person, queued at `local_now` (whose
    /// offset dates the tickets).
    pub fn digest(&self, digest: &Digest<'_>, local_now: OffsetDateTime) -> Notification {
        let offset = local_now.offset();
        let at = crate::clock::rfc3339(local_now);
        let tickets = digest
            .lines
            .iter()
            .map(|line| {
                let t = line.ticket;
                LineForTemplate {
                    number: display_number(t.id),
                    title: super::bounds::one_line(&t.title, super::bounds::MAX_TITLE_CHARS),
                    status_label: t.status.label(self.language),
                    priority_label: level_label(t.priority, self.language),
                    entity: t.entity.clone(),
                    url: self.ticket_url(t.id, &digest.recipient.email, &at),
                    created_on: local_date(&t.created_at, offset, self.language),
                    updated_on: local_date(&t.updated_at, offset, self.language),
                    group: line.group.map(|g| self.group_label(g)),
                    unowned: line.unowned,
                }
            })
            .collect();
        let subject = self.digest_subject(digest.lines.len());
        let separator = self.separator();
        let context = Value::from_serialize(DigestContext {
            tickets,
            recipient: digest.recipient,
            subject: &subject,
            separator,
            tag: &self.tag,
            institution: &self.entity,
            language: self.language.code(),
        });
        let body = self.templates.render_text(Event::DailyDigest, &context);
        Notification {
            ticket: None,
            event: Event::DailyDigest,
            recipient: digest.recipient.email.clone(),
            subject,
            text: format!("{separator}\n\n{}\n", body.trim_end()),
            message_id: self.ids.digest(&nonce(&digest.recipient.email, &at)),
            in_reply_to: None,
            references: Vec::new(),
            attachments: Vec::new(),
            link: None,
        }
    }
}

/// The date of a stored time on the local calendar, as a person writes it
/// (« 21 février 2026 »); the stored text's own date when it cannot be read.
fn local_date(stored: &str, offset: UtcOffset, language: Language) -> String {
    match OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339) {
        Ok(t) => super::story::prose_date(t.to_offset(offset).date(), language),
        Err(_) => stored.get(..10).unwrap_or(stored).to_string(),
    }
}

/// A Message-ID part unique to this digest.
fn nonce(recipient: &str, at: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    sha256_hex(format!("digest|{recipient}|{at}|{n}|{}", std::process::id()).as_bytes())[..16].to_string()
}

/// The digest lines of the template sample: the sample ticket, and a second
/// one reached through a group.
pub(super) fn sample_lines(language: Language) -> Vec<LineForTemplate> {
    let line = |id: TicketId, title: &str, priority: u8, group: Option<&str>| LineForTemplate {
        number: display_number(id),
        title: title.into(),
        status_label: Status::Assigned.label(language),
        priority_label: level_label(priority, language),
        entity: "Institution".into(),
        url: format!("https://helpdesk.example/ticket/{id}"),
        created_on: "2026-01-01".into(),
        updated_on: "2026-01-02".into(),
        group: group.map(str::to_string),
        unowned: false,
    };
    vec![line(123, "Imprimante en panne", 4, None), line(124, "Wi-Fi salle 12", 3, Some("Référents LSU"))]
}

#[cfg(test)]
mod tests;
