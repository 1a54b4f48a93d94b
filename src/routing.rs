//! Where a new ticket goes: the first `[[rules]]` entry whose conditions all
//! match the mail decides its category, type, urgency and impact (hence its
//! priority, through the matrix), entity, location, group, technician and
//! observers, or refuses the mail; what no rule sets keeps the defaults of
//! `[tickets]`, and the entity comes from the sender's address. This is how
//! a school district files "LSU" requests straight to its functional
//! referents without anyone sorting the queue by hand. Pure: no I/O, so
//! `mailgate rules test` shows exactly what the daemon would do.

use serde::Serialize;

pub use crate::config::ObserverTarget;
use crate::config::{Conditions, Config, Pattern, Rule};
use crate::mail::{InboundMail, Mailbox};
use crate::ticket::TicketType;

/// How much of a text the conditions look at: the beginning of a huge
/// body is enough to recognise it, and matching stays cheap.
pub const MAX_MATCHED_BYTES: usize = 64 * 1024;

/// What routing decided for a new ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// The name of the matched rule; None when no rule matched.
    pub rule: Option<String>,
    /// The reason, when the matched rule refuses the mail.
    pub refuse: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    /// A full path of the category tree.
    pub category: Option<String>,
    pub urgency: u8,
    pub impact: u8,
    pub priority: u8,
    /// The rule's entity, else the sender's (see [`Config::entity_for`]),
    /// else the institution's name.
    pub entity: String,
    pub location: Option<String>,
    /// A configured group's name.
    pub group: Option<String>,
    /// A technician's address.
    pub technician: Option<String>,
    pub observers: Vec<ObserverTarget>,
}

/// Routes `mail` through `config.rules`: the first match wins.
pub fn route(config: &Config, mail: &InboundMail) -> Routing {
    let entity = match &mail.from {
        Some(from) => config.entity_for(from),
        None => config.institution.name.clone(),
    };
    let t = &config.tickets;
    let mut routing = Routing {
        rule: None,
        refuse: None,
        ticket_type: t.default_type,
        category: None,
        urgency: t.default_urgency,
        impact: t.default_impact,
        priority: 0,
        entity,
        location: None,
        group: None,
        technician: None,
        observers: Vec::new(),
    };
    if let Some(rule) = config.rules.iter().find(|r| matches(&r.when, mail)) {
        apply(rule, &mut routing);
    }
    routing.priority = t.priority_matrix.priority(routing.urgency, routing.impact);
    routing
}

fn apply(rule: &Rule, routing: &mut Routing) {
    let then = &rule.then;
    routing.rule = Some(rule.name.clone());
    if let Some(reason) = &then.refuse {
        routing.refuse = Some(reason.clone());
        return;
    }
    routing.ticket_type = then.ticket_type.unwrap_or(routing.ticket_type);
    routing.category = then.category.clone();
    routing.urgency = then.urgency.unwrap_or(routing.urgency);
    routing.impact = then.impact.unwrap_or(routing.impact);
    if let Some(entity) = &then.entity {
        routing.entity = entity.clone();
    }
    routing.location = then.location.clone();
    routing.group = then.group.clone();
    routing.technician = then.technician.clone();
    routing.observers = then.observers.clone();
}

/// Every condition present matches; addresses are tried one at a time.
fn matches(when: &Conditions, mail: &InboundMail) -> bool {
    let from = |p: &Pattern| any_address(p, mail.from.iter());
    let to = |p: &Pattern| any_address(p, mail.to.iter().chain(&mail.cc).chain(&mail.delivered_to));
    let cc = |p: &Pattern| any_address(p, mail.cc.iter());
    let subject = |p: &Pattern| p.is_match(head(&mail.subject));
    let body = |p: &Pattern| p.is_match(head(&mail.text));
    when.from.as_ref().is_none_or(from)
        && when.to.as_ref().is_none_or(to)
        && when.cc.as_ref().is_none_or(cc)
        && when.subject.as_ref().is_none_or(subject)
        && when.body.as_ref().is_none_or(body)
}

fn any_address<'a>(pattern: &Pattern, mut boxes: impl Iterator<Item = &'a Mailbox>) -> bool {
    boxes.any(|m| pattern.is_match(head(&m.address)))
}

/// The first [`MAX_MATCHED_BYTES`] of `text`, cut on a character boundary.
fn head(text: &str) -> &str {
    if text.len() <= MAX_MATCHED_BYTES {
        return text;
    }
    let mut end = MAX_MATCHED_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests;
