//! Applying a [`Decision`]: the mail's record, its raw copy, the ticket or
//! followup, the attachments, the history lines and the notifications, all in
//! ONE transaction. Either the whole effect of a mail is on disk, or none of
//! it is and the source still holds the mail.

use rusqlite::{Connection, params};

use super::changes::{self, ChangeContext};
use super::{Store, StoreError, notification_files, put_blob, tickets};
use crate::intake::trust::Verdict;
use crate::intake::{Decision, Outcome};
use crate::lifecycle::{AutoReply, Change, Notice, Plan};
use crate::mail::{InboundMail, Mailbox, reply};
use crate::notify::{Notifier, Trigger};
use crate::routing::{ObserverTarget, Routing};
use crate::ticket::{Event, Role, Status, TicketId};

/// A mail as handed over by a source, before any decision.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub source: &'a str,
    pub key: &'a str,
    /// The raw copy kept: the whole mail, or only its head when it was over
    /// the size limit.
    pub raw: &'a [u8],
    /// The mail's real size.
    pub size: u64,
    /// RFC 3339, UTC.
    pub at: &'a str,
    /// Set when an operator replays a stored message.
    pub replay_of: Option<i64>,
    /// The sender's authentication verdict, when `[trust]` is on.
    pub trust: Option<&'a Verdict>,
}

/// What applying a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub message_row: i64,
    pub outcome: Outcome,
    pub ticket: Option<TicketId>,
    pub reason: Option<String>,
    pub notifications: usize,
}

impl Store {
    /// Records `received` with its `decision` and every consequence of it.
    /// `mail` is `None` when the bytes could not be parsed or were over the
    /// size limit; the decision is then a refusal and only the record and
    /// the raw copy are written.
    pub fn apply(
        &mut self,
        received: &Received<'_>,
        mail: Option<&InboundMail>,
        decision: &Decision,
        notifier: &Notifier,
    ) -> Result<Applied, StoreError> {
        self.begin_batch()?;
        let conn = &mut self.conn;
        let result = (|| {
            // Dropped uncommitted, the savepoint rolls back this mail alone;
            // the mails before it in the batch stay.
            let savepoint = conn.savepoint()?;
            let applied = apply_in(&savepoint, received, mail, decision, notifier)?;
            savepoint.commit()?;
            Ok(applied)
        })();
        if !self.group_commit {
            self.end_batch(result.is_ok())?;
        }
        result
    }
}

fn apply_in(
    tx: &Connection,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    decision: &Decision,
    notifier: &Notifier,
) -> Result<Applied, StoreError> {
    let raw_sha256 = crate::mail::parse::sha256_hex(received.raw);
    put_blob(tx, &raw_sha256, received.raw)?;
    let reason = match decision {
        Decision::NewTicket { note, .. } => note.clone(),
        Decision::Followup { .. } => None,
        Decision::AutoReply { reply: AutoReply::CommandErrors(errors), .. } => {
            Some(format!("commands not applied, the technician was told why: {}", errors.join("; ")))
        }
        Decision::AutoReply { reply: AutoReply::Help, .. } => Some("#help: the commands were sent back".into()),
        Decision::Refuse { reason }
        | Decision::Ignore { reason }
        | Decision::Quarantine { reason }
        | Decision::Decline { reason, .. } => Some(reason.clone()),
        Decision::Duplicate { of } => Some(format!("same Message-ID and content as message {of}")),
    };
    let quarantined = matches!(decision, Decision::Quarantine { .. });
    let message_row =
        insert_message(tx, received, mail, &raw_sha256, decision.outcome(), reason.as_deref(), quarantined)?;

    let mut ticket = None;
    let mut events = Vec::new();
    match (decision, mail) {
        (
            Decision::NewTicket { title, requester, observers, routing, related, opened_by, previous_number, .. },
            Some(mail),
        ) => {
            let new = NewTicket {
                title,
                requester,
                observers,
                routing,
                related: *related,
                opened_by: opened_by.as_ref(),
                previous_number: *previous_number,
            };
            let id = create_ticket(tx, received.at, mail, &new)?;
            store_attachments(tx, id, None, message_row, mail)?;
            ticket = Some(id);
            events.push((Event::TicketNew, trigger(mail, requester, Role::Requester)));
            // The technician who opened it for someone knows already.
            let staff_trigger = match opened_by {
                Some(technician) => trigger(mail, technician, Role::Technician),
                None => trigger(mail, requester, Role::Requester),
            };
            events.push((Event::TicketNewStaff, staff_trigger));
        }
        (Decision::Followup { ticket: id, author, role, plan }, Some(mail)) => {
            let followup = if plan.text.is_empty() && mail.attachments.is_empty() {
                None
            } else {
                Some(add_followup(tx, received.at, message_row, *id, author, *role, plan)?)
            };
            store_attachments(tx, *id, followup, message_row, mail)?;
            let context = ChangeContext { ticket: *id, author, at: received.at, text: &plan.text, followup };
            changes::apply(tx, &context, &plan.changes)?;
            tx.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?.execute(params![received.at, id])?;
            ticket = Some(*id);
            for notice in &plan.notices {
                events.push(notification_for(notice, mail, author, *role, plan));
            }
        }
        (Decision::AutoReply { ticket: id, author, reply }, Some(mail)) => {
            let mut t = trigger(mail, author, Role::Technician);
            let event = match reply {
                AutoReply::CommandErrors(errors) => {
                    t.errors = errors.clone();
                    Event::CommandError
                }
                AutoReply::Help => Event::Help,
            };
            ticket = Some(*id);
            events.push((event, t));
        }
        (Decision::AutoReply { .. }, None) => {
            return Err(StoreError::Refused("an answer to commands needs a parsed mail".into()));
        }
        (Decision::NewTicket { .. } | Decision::Followup { .. }, None) => {
            return Err(StoreError::Refused("a ticket or followup needs a parsed mail".into()));
        }
        _ => {}
    }

    let unverified = received.trust.is_some_and(|v| !v.passed());
    for (_, trigger) in &mut events {
        trigger.quote = !unverified;
    }
    let mut notifications = 0;
    if let Some(id) = ticket {
        tx.prepare_cached("UPDATE messages SET ticket_id = ?1 WHERE id = ?2")?.execute(params![id, message_row])?;
        let context = tickets::context(tx, id)?;
        // What the notifications carry besides their text: the mail's files
        // that may travel, and the story so far.
        let (files, history) = (
            notification_files::of_mail(tx, message_row)?,
            notification_files::history(tx, id, message_row, notifier.history_followups())?,
        );
        for (_, trigger) in &mut events {
            (trigger.files, trigger.history) = (files.clone(), history.clone());
        }
        // One mail per person per change: the first event that reaches
        // someone is the one they get.
        let mut reached: Vec<String> = Vec::new();
        for (event, trigger) in &events {
            for n in notifier.notifications(*event, &context, trigger, received.at) {
                if reached.contains(&n.recipient) {
                    continue;
                }
                // The last guard: whatever let an address this far, a
                // notification goes only to a plain one.
                if crate::mail::address::plain(&n.recipient).is_err() {
                    tracing::warn!(
                        ticket = id,
                        event = event.as_str(),
                        "notification not queued: its recipient is not a plain address"
                    );
                    continue;
                }
                reached.push(n.recipient.clone());
                super::outbox::insert(tx, &n, received.at)?;
                notification_files::link(tx, tx.last_insert_rowid(), &n.attachments)?;
                notifications += 1;
            }
        }
    }
    if let Decision::Decline { to, notice, .. } = decision
        && decline_answer_due(tx, &to.address, received.at)?
    {
        let subject = mail.map(|m| m.subject.as_str()).unwrap_or("");
        super::outbox::insert(tx, &notifier.refusal(to, notice, subject, received.at), received.at)?;
        notifications += 1;
    }
    Ok(Applied { message_row, outcome: decision.outcome(), ticket, reason, notifications })
}

/// A declined sender is answered at most once a day: a stranger writing ten
/// times, or a responder answering the answer, is told once.
fn decline_answer_due(tx: &Connection, address: &str, at: &str) -> Result<bool, StoreError> {
    let since = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map(|t| crate::clock::rfc3339(t - std::time::Duration::from_secs(86_400)))
        .unwrap_or_default();
    let told: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM outbox WHERE event = ?1 AND recipient = ?2 AND created_at >= ?3")?
        .query_row(params![Event::RefusalReply.as_str(), address, since], |r| r.get(0))?;
    Ok(told == 0)
}

fn trigger(mail: &InboundMail, author: &Mailbox, role: Role) -> Trigger {
    // A derived id (the mail had none, or an unusable one) names no message
    // a mail client knows: the notification answers nothing rather than it.
    let answered = if mail.message_id_derived { String::new() } else { mail.message_id.clone() };
    Trigger::new(author.clone(), role, answered)
}

/// The event and what its template shows, for one notice of a plan.
fn notification_for(
    notice: &Notice,
    mail: &InboundMail,
    author: &Mailbox,
    role: Role,
    plan: &Plan,
) -> (Event, Trigger) {
    let mut t = trigger(mail, author, role);
    t.followup = Some(plan.text.clone());
    t.private = plan.private;
    let event = match notice {
        Notice::Followup => Event::Followup,
        Notice::Assigned(assignee) => {
            t.assignee = Some(assignee.clone());
            // An assignment is for the staff: private or not, the note goes along.
            t.private = false;
            Event::Assigned
        }
        // A status change or a close carries the reply's text to everyone
        // (a cancellation's reason, a closing word), unless it was private:
        // then the staff read it in the private followup instead.
        Notice::StatusChanged { previous } => {
            t.previous_status = Some(*previous);
            public_only(&mut t);
            Event::StatusChanged
        }
        Notice::SolutionProposed => Event::SolutionProposed,
        Notice::SolutionAccepted => Event::SolutionAccepted,
        Notice::SolutionRejected => Event::SolutionRejected,
        Notice::Closed => {
            public_only(&mut t);
            Event::Closed
        }
    };
    (event, t)
}

/// A notification for everyone: a private text stays out of it.
fn public_only(t: &mut Trigger) {
    if t.private {
        t.followup = None;
    }
    t.private = false;
}

/// What a new ticket is made of.
struct NewTicket<'a> {
    title: &'a str,
    requester: &'a Mailbox,
    observers: &'a [Mailbox],
    routing: &'a Routing,
    related: Option<TicketId>,
    /// The technician who opened it for the requester.
    opened_by: Option<&'a Mailbox>,
    /// Its number in the system mailgate replaced.
    previous_number: Option<u64>,
}

fn create_ticket(tx: &Connection, at: &str, mail: &InboundMail, new: &NewTicket<'_>) -> Result<TicketId, StoreError> {
    let description = reply::before_separator(&mail.text);
    let f = new.routing;
    // A ticket filed to someone is in progress from the start, as in GLPI.
    let status = if f.group.is_some() || f.technician.is_some() { Status::Assigned } else { Status::New };
    tx.prepare_cached(
        "INSERT INTO tickets (title, description, status, type, entity, requester, related_ticket_id, category,
                              urgency, impact, priority, location, rule, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
    )?
    .execute(params![
        new.title,
        description,
        status.as_str(),
        f.ticket_type.as_str(),
        f.entity,
        new.requester.address,
        new.related,
        f.category,
        f.urgency,
        f.impact,
        f.priority,
        f.location,
        f.rule,
        at
    ])?;
    let id = tx.last_insert_rowid();
    tickets::add_actor(tx, id, Role::Requester, new.requester)?;
    let mut detail = match &f.rule {
        Some(rule) => format!("{} (rule {rule})", new.title),
        None => new.title.to_string(),
    };
    // Who opened it: the requester, or the technician acting for them.
    let requester = match new.opened_by {
        Some(technician) => {
            detail.push_str(&format!(" (for {})", new.requester.address));
            &technician.address
        }
        None => &new.requester.address,
    };
    tickets::history(tx, id, at, requester, "created", &detail)?;
    if let Some(n) = new.previous_number {
        tickets::history(tx, id, at, requester, "previous_ticket", &format!("suite de GLPI #{n}"))?;
    }
    for o in new.observers {
        tickets::add_actor(tx, id, Role::Observer, o)?;
        tickets::history(tx, id, at, requester, "observer_added", &o.address)?;
    }
    let mut changes = Vec::new();
    if let Some(group) = &f.group {
        changes.push(Change::AssignGroup(group.clone()));
    }
    if let Some(technician) = &f.technician {
        changes.push(Change::AssignTechnician(Mailbox::new(technician, None)));
    }
    for target in &f.observers {
        // Persons were added with the Cc'd observers above.
        if let ObserverTarget::Group(group) = target {
            changes.push(Change::ObserveGroup(group.clone()));
        }
    }
    // The history names the rule that filed the ticket as the actor.
    let rule = Mailbox { address: format!("rule:{}", f.rule.as_deref().unwrap_or("-")), name: None };
    let context = ChangeContext { ticket: id, author: &rule, at, text: "", followup: None };
    changes::apply(tx, &context, &changes)?;
    Ok(id)
}

fn add_followup(
    tx: &Connection,
    at: &str,
    message_row: i64,
    ticket: TicketId,
    author: &Mailbox,
    role: Role,
    plan: &Plan,
) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO followups (ticket_id, message_row_id, author, author_name, role, body, private, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        ticket,
        message_row,
        author.address,
        author.name,
        role.as_str(),
        plan.text,
        plan.private,
        at
    ])?;
    let followup = tx.last_insert_rowid();
    let detail = if plan.private { format!("{} (private)", role.as_str()) } else { role.as_str().to_string() };
    tickets::history(tx, ticket, at, &author.address, "followup", &detail)?;
    Ok(followup)
}

fn insert_message(
    tx: &Connection,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    raw_sha256: &str,
    outcome: Outcome,
    reason: Option<&str>,
    quarantined: bool,
) -> Result<i64, StoreError> {
    // A mail that could not be parsed is still identified, by its bytes.
    let (message_id, derived, content_hash) = match mail {
        Some(m) => (m.message_id.clone(), m.message_id_derived, m.content_hash.as_str()),
        None => (format!("{}@{}", &raw_sha256[..32], crate::mail::parse::DERIVED_ID_DOMAIN), true, raw_sha256),
    };
    tx.prepare_cached(
        "INSERT INTO messages (source, source_key, message_id, message_id_derived, content_hash, raw_sha256, size,
                               sender, subject, outcome, reason, replay_of, received_at, defects,
                               trust, quarantined)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        received.source,
        received.key,
        message_id,
        derived,
        content_hash,
        raw_sha256,
        i64::try_from(received.size).unwrap_or(i64::MAX),
        mail.and_then(|m| m.from.as_ref()).map(|f| f.address.as_str()),
        mail.map(|m| m.subject.as_str()).unwrap_or(""),
        outcome.as_str(),
        reason,
        received.replay_of,
        received.at,
        mail.filter(|m| !m.defects.is_empty()).map(|m| m.defects.join("\n")),
        received.trust.map(Verdict::record),
        quarantined,
    ])?;
    let row = tx.last_insert_rowid();
    if outcome != Outcome::Duplicate && received.replay_of.is_none() {
        // Fails on a second record of the same mail: the decision that
        // found it new was wrong, and the mail's savepoint rolls back.
        tx.prepare_cached(
            "INSERT INTO message_identities (message_id, content_hash, message_row) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![message_id, content_hash, row])?;
    }
    Ok(row)
}

fn store_attachments(
    tx: &Connection,
    ticket: TicketId,
    followup: Option<i64>,
    message_row: i64,
    mail: &InboundMail,
) -> Result<(), StoreError> {
    for a in &mail.attachments {
        put_blob(tx, &a.sha256, &a.content)?;
        tx.prepare_cached(
            "INSERT INTO attachments (ticket_id, followup_id, message_row_id, filename, content_type, size, sha256, inline,
                                      content_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            ticket,
            followup,
            message_row,
            a.filename,
            a.content_type,
            a.size as i64,
            a.sha256,
            a.inline,
            a.content_id
        ])?;
    }
    Ok(())
}
