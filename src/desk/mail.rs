//! A mail's [`Decision`] recorded: the message and its raw copy, the
//! ticket or followup, the attachments, the history lines and the
//! notifications, all in ONE savepoint. Either the whole effect of a mail
//! is on disk, or none of it is and the source still holds the mail.

use super::{Reply, apply_reply, effects, notify};
use crate::intake::{Decision, Outcome};
use crate::mail::InboundMail;
use crate::notify::Notifier;
use crate::store::{ChangeContext, NewTicketRow, Received, Store, StoreError, Tx};
use crate::ticket::{Door, Event, Role, TicketId};

/// What recording a mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub message_row: i64,
    pub outcome: Outcome,
    pub ticket: Option<TicketId>,
    pub reason: Option<String>,
    pub notifications: usize,
}

/// Records `received` with its `decision` and every consequence of it, in
/// a savepoint of the batch's transaction ([`Store::write`]). `mail` is
/// `None` when the bytes could not be parsed or were over the size limit;
/// the decision is then a refusal and only the record and the raw copy are
/// written.
pub fn record_mail(
    store: &mut Store,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    decision: &Decision,
    notifier: &Notifier,
) -> Result<Applied, StoreError> {
    store.write(Door::Mail, |tx| record_in(tx, received, mail, decision, notifier))
}

fn record_in(
    tx: &Tx<'_>,
    received: &Received<'_>,
    mail: Option<&InboundMail>,
    decision: &Decision,
    notifier: &Notifier,
) -> Result<Applied, StoreError> {
    let reason = effects::reason(decision);
    let quarantined = matches!(decision, Decision::Quarantine { .. });
    let message_row = tx.insert_message(received, mail, decision.outcome(), reason.as_deref(), quarantined)?;
    // Whatever `[trust]` could not authenticate is not quoted under the
    // institution's name.
    let quote = received.trust.is_none_or(|v| v.passed());
    let at = received.at;
    let mut ticket = None;
    let mut notifications = 0;
    match (decision, mail) {
        (
            Decision::NewTicket { title, requester, observers, routing, related, opened_by, previous_number, .. },
            Some(mail),
        ) => {
            let description = effects::description(&mail.text);
            let row = NewTicketRow {
                title,
                description: &description,
                status: effects::initial_status(routing),
                routing,
                requester: &requester.address,
                related: *related,
                at,
            };
            let id = tx.insert_ticket(&row)?;
            tx.add_actor(id, Role::Requester, requester)?;
            for o in observers {
                tx.add_actor(id, Role::Observer, o)?;
            }
            let lines =
                effects::creation_history(title, routing, requester, opened_by.as_ref(), *previous_number, observers);
            for line in &lines {
                tx.history(id, at, &line.actor, line.action, &line.detail)?;
            }
            let (rule, changes) = effects::routing_changes(routing);
            tx.apply_changes(&ChangeContext { ticket: id, author: &rule, at, text: "", followup: None }, &changes)?;
            tx.add_attachments(id, None, Some(message_row), &mail.attachments)?;
            tx.set_message_ticket(message_row, id)?;
            let mut events = effects::new_ticket_events(&effects::answered(mail), requester, opened_by.as_ref());
            let (files, history) =
                (tx.mail_files(message_row)?, tx.recent_followups(id, None, notifier.history_followups())?);
            for (_, t) in &mut events {
                (t.quote, t.files, t.history) = (quote, files.clone(), history.clone());
            }
            notifications = notify(tx, notifier, id, &events, at)?;
            ticket = Some(id);
        }
        (Decision::Followup { ticket: id, author, role, plan }, Some(mail)) => {
            let reply = Reply {
                ticket: *id,
                author,
                role: *role,
                plan,
                message_row: Some(message_row),
                files: &mail.attachments,
                at,
                answered: effects::answered(mail),
                quote,
            };
            notifications = apply_reply(tx, &reply, notifier)?.notifications;
            ticket = Some(*id);
        }
        (Decision::AutoReply { ticket: id, author, reply }, Some(mail)) => {
            tx.set_message_ticket(message_row, *id)?;
            let mut event = effects::auto_reply_event(&effects::answered(mail), author, reply);
            event.1.quote = quote;
            notifications = notify(tx, notifier, *id, std::slice::from_ref(&event), at)?;
            ticket = Some(*id);
        }
        (Decision::AutoReply { .. }, None) => {
            return Err(StoreError::Refused("an answer to commands needs a parsed mail".into()));
        }
        (Decision::NewTicket { .. } | Decision::Followup { .. }, None) => {
            return Err(StoreError::Refused("a ticket or followup needs a parsed mail".into()));
        }
        _ => {}
    }
    if let Decision::Decline { to, notice, .. } = decision {
        let since = effects::decline_window_start(at);
        if tx.notifications_since(Event::RefusalReply.as_str(), &to.address, &since)? == 0 {
            let subject = mail.map(|m| m.subject.as_str()).unwrap_or("");
            tx.queue_notification(&notifier.refusal(to, notice, subject, at), at)?;
            notifications += 1;
        }
    }
    Ok(Applied { message_row, outcome: decision.outcome(), ticket, reason, notifications })
}
