//! Turning a ticket event into finished notifications: the GLPI subject
//! `[GLPI #0000123] Entity | Status – Title`, a Message-ID that names the
//! ticket, threading headers, and the text and HTML bodies with the
//! "write above this line" separator on top. Pure: the outbox row it
//! produces is written by the store in the transaction of the change.

use std::sync::atomic::{AtomicU64, Ordering};

use minijinja::{Value, context};
use serde::Serialize;

use super::recipients::{Audience, recipients};
use super::{Notification, Person, TemplateError, Templates, TicketContext, Trigger};
use crate::config::Config;
use crate::intake::thread::{notification_message_id, thread_root_message_id};
use crate::mail::parse::sha256_hex;
use crate::mail::reply::{SEPARATOR_EN, SEPARATOR_FR};
use crate::store::OutboxRow;
use crate::ticket::{Event, Language, Role, Status, display_number};

/// Everything needed to compose notifications, prepared once per configuration.
pub struct Notifier {
    templates: Templates,
    language: Language,
    tag: String,
    entity: String,
    ticket_url: String,
    domain: String,
    own_address: String,
    technicians: Vec<Person>,
    notify_technicians_on_new: bool,
}

impl Notifier {
    pub fn new(config: &Config) -> Result<Notifier, TemplateError> {
        let language = config.institution.language;
        Ok(Notifier {
            templates: Templates::load(config.notifications.templates_dir.as_deref(), language)?,
            language,
            tag: config.institution.subject_tag.clone(),
            entity: config.institution.name.clone(),
            ticket_url: config.institution.ticket_url.clone(),
            domain: config.notifications.message_id_domain(),
            own_address: config.notifications.own_address(),
            technicians: config
                .technicians
                .iter()
                .map(|t| Person { email: t.email.clone(), name: Some(t.name.clone()) })
                .collect(),
            notify_technicians_on_new: config.notifications.notify_technicians_on_new,
        })
    }

    /// The entity new tickets are filed under.
    pub fn entity(&self) -> &str {
        &self.entity
    }

    /// `[GLPI #0000123] Entity | Status – Title`, on one line whatever the
    /// title holds, so that no text from a mail can start a new header.
    pub fn subject(&self, ticket: &TicketContext) -> String {
        let subject = format!(
            "[{} #{}] {} | {} – {}",
            self.tag,
            display_number(ticket.id),
            ticket.entity,
            ticket.status.label(self.language),
            ticket.title
        );
        subject.split(|c: char| c.is_control()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }

    pub fn ticket_url(&self, ticket: crate::ticket::TicketId) -> String {
        self.ticket_url.replace("{id}", &ticket.to_string())
    }

    /// The HTML alternative of a queued notification: the layout around its
    /// text, with the ticket link as a button.
    pub fn html(&self, row: &OutboxRow) -> String {
        let separator = self.separator();
        let text = row.body_text.strip_prefix(separator).unwrap_or(&row.body_text).trim_start();
        self.templates.render_html(&context! {
            text,
            separator,
            subject => &row.subject,
            url => self.ticket_url(row.ticket_id),
            tag => &self.tag,
            language => self.language.code(),
            ticket => context! { number => display_number(row.ticket_id) },
        })
    }

    fn separator(&self) -> &'static str {
        match self.language {
            Language::Fr => SEPARATOR_FR,
            Language::En => SEPARATOR_EN,
        }
    }

    /// One notification per recipient of `event`.
    pub fn notifications(
        &self,
        event: Event,
        ticket: &TicketContext,
        trigger: &Trigger,
        at: &str,
    ) -> Vec<Notification> {
        let audience = Audience {
            technicians: &self.technicians,
            notify_technicians_on_new: self.notify_technicians_on_new,
            own_address: &self.own_address,
        };
        let subject = self.subject(ticket);
        let url = self.ticket_url(ticket.id);
        let separator = self.separator();
        let root = thread_root_message_id(ticket.id, &self.domain);
        let mut references: Vec<String> = ticket.origin_message_id.iter().cloned().collect();
        references.push(root);
        recipients(event, ticket, trigger, &audience)
            .into_iter()
            .map(|(recipient, role)| {
                let context = self.context(ticket, trigger, &recipient, role, &url, &subject, separator);
                let text = format!("{separator}\n\n{}\n", self.templates.render_text(event, &context).trim_end());
                Notification {
                    ticket: ticket.id,
                    event,
                    message_id: notification_message_id(
                        ticket.id,
                        event,
                        &nonce(ticket.id, event, &recipient.email, trigger, at),
                        &self.domain,
                    ),
                    recipient: recipient.email,
                    subject: subject.clone(),
                    text,
                    in_reply_to: Some(trigger.message_id.clone()),
                    references: references.clone(),
                }
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn context(
        &self,
        ticket: &TicketContext,
        trigger: &Trigger,
        recipient: &Person,
        role: Role,
        url: &str,
        subject: &str,
        separator: &str,
    ) -> Value {
        Value::from_serialize(TemplateContext {
            ticket: TicketForTemplate {
                number: display_number(ticket.id),
                status_label: ticket.status.label(self.language),
                inner: ticket,
            },
            url,
            subject,
            separator,
            tag: &self.tag,
            institution: &self.entity,
            language: self.language.code(),
            recipient,
            recipient_role: role,
            author: Person::from(&trigger.author),
            followup: trigger.followup.as_deref().unwrap_or(""),
        })
    }
}

#[derive(Serialize)]
struct TicketForTemplate<'a> {
    number: String,
    status_label: &'static str,
    #[serde(flatten)]
    inner: &'a TicketContext,
}

#[derive(Serialize)]
struct TemplateContext<'a> {
    ticket: TicketForTemplate<'a>,
    url: &'a str,
    subject: &'a str,
    separator: &'a str,
    tag: &'a str,
    institution: &'a str,
    language: &'a str,
    recipient: &'a Person,
    recipient_role: Role,
    author: Person,
    followup: &'a str,
}

/// A Message-ID part unique to this notification: two notifications never
/// share one, even for the same event and recipient.
fn nonce(ticket: crate::ticket::TicketId, event: Event, recipient: &str, trigger: &Trigger, at: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed =
        format!("{ticket}|{}|{recipient}|{}|{at}|{n}|{}", event.as_str(), trigger.message_id, std::process::id());
    sha256_hex(seed.as_bytes())[..16].to_string()
}

/// A ticket with every field filled, to check templates at load.
pub(crate) fn sample_context(language: Language) -> Value {
    let person = Person { email: "marie.dupont@example.org".into(), name: Some("Marie Dupont".into()) };
    let ticket = TicketContext {
        id: 123,
        title: "Imprimante en panne".into(),
        description: "Elle ne s'allume plus.".into(),
        status: Status::New,
        entity: "Institution".into(),
        requester: person.clone(),
        observers: vec![person.clone()],
        technicians: vec![person.clone()],
        created_at: "2026-01-01T00:00:00Z".into(),
        origin_message_id: None,
    };
    let context = Value::from_serialize(TemplateContext {
        ticket: TicketForTemplate {
            number: display_number(123),
            status_label: Status::New.label(language),
            inner: &ticket,
        },
        url: "https://helpdesk.example/ticket/123",
        subject: "[GLPI #0000123] Institution | Nouveau – Imprimante en panne",
        separator: SEPARATOR_FR,
        tag: "GLPI",
        institution: "Institution",
        language: language.code(),
        recipient: &person,
        recipient_role: Role::Requester,
        author: person.clone(),
        followup: "Texte du suivi",
    });
    context! { text => "Texte", ..context }
}
