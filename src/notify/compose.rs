//! Turning a ticket event into finished notifications: the GLPI subject
//! `[GLPI #0000123] Entity | Status – Title`, a Message-ID that names the
//! ticket, threading headers, and the text and HTML bodies with the
//! "write above this line" separator on top. Pure: the outbox row it
//! produces is written by the store in the transaction of the change.

use std::sync::atomic::{AtomicU64, Ordering};

use super::bounds::{self, MAX_TITLE_CHARS};
use super::digest::StaffMember;
use super::recipients::{Audience, GroupAudience, recipients};
use super::{Notification, Person, TemplateError, Templates, TicketContext, Trigger, story};

mod context;
mod links;
mod sample;
use crate::config::Config;
use crate::intake::thread::MessageIds;
use crate::mail::parse::sha256_hex;
use crate::mail::reply::{SEPARATOR_EN, SEPARATOR_FR};
use crate::ticket::{Event, Language, display_number};
use links::TicketLinks;
pub(crate) use sample::sample_context;

/// Everything needed to compose notifications, prepared once per configuration.
pub struct Notifier {
    pub(super) templates: Templates,
    pub(super) language: Language,
    pub(super) tag: String,
    /// The institution's name.
    pub(super) entity: String,
    pub(super) links: TicketLinks,
    pub(super) ids: MessageIds,
    own_address: String,
    technicians: Vec<Person>,
    groups: Vec<GroupAudience>,
    /// Group name → the label people read ("Référents LSU").
    group_labels: Vec<(String, String)>,
    /// Who may get the daily digest.
    pub(super) staff: Vec<StaffMember>,
    notify_technicians_on_new: bool,
    auto_close_days: u32,
    /// The most bytes of files one notification carries.
    max_attachment_bytes: u64,
    /// How many earlier public followups a notification quotes.
    history_followups: usize,
}

impl Notifier {
    pub fn new(config: &Config) -> Result<Notifier, TemplateError> {
        let language = config.institution.language;
        Ok(Notifier {
            templates: Templates::load(config.notifications.templates_dir.as_deref(), language)?,
            language,
            tag: config.institution.subject_tag.clone(),
            entity: config.institution.name.clone(),
            links: TicketLinks::new(config)?,
            ids: MessageIds::new(&config.notifications.instance, &config.notifications.message_id_domain()),
            own_address: config.notifications.own_address(),
            technicians: config
                .technicians
                .iter()
                .map(|t| Person { email: t.email.clone(), name: Some(t.name.clone()) })
                .collect(),
            groups: config
                .groups
                .iter()
                .map(|g| GroupAudience {
                    name: g.name.clone(),
                    // The list address reads as the group; a member by name.
                    people: g
                        .recipients()
                        .into_iter()
                        .map(|email| Person {
                            email: email.to_string(),
                            name: if g.mail.as_deref() == Some(email) {
                                Some(g.display_name().to_string())
                            } else {
                                config.technician_name(email).map(str::to_string)
                            },
                        })
                        .collect(),
                })
                .collect(),
            group_labels: config.groups.iter().map(|g| (g.name.clone(), g.display_name().to_string())).collect(),
            staff: super::digest::staff(config),
            notify_technicians_on_new: config.notifications.notify_technicians_on_new,
            auto_close_days: config.tickets.auto_close_days,
            max_attachment_bytes: config.notifications.max_attachment_bytes,
            history_followups: config.notifications.history_followups,
        })
    }

    /// A technician, a group member or a group's list address: the staff,
    /// whom the outbox's rate guard never holds.
    pub fn is_staff(&self, address: &str) -> bool {
        self.technicians.iter().chain(self.groups.iter().flat_map(|g| &g.people)).any(|p| p.email == address)
            || self.staff.iter().any(|s| s.person.email == address)
    }

    /// How many earlier public followups a notification quotes.
    pub fn history_followups(&self) -> usize {
        self.history_followups
    }

    /// mailgate's own address: the author of what the daemon does by itself.
    pub fn own_address(&self) -> &str {
        &self.own_address
    }

    /// The Message-ID every notification of `ticket` refers to.
    pub fn thread_root(&self, ticket: crate::ticket::TicketId) -> String {
        self.ids.thread_root(ticket)
    }

    /// The history line of a ticket closed for want of an answer.
    pub fn auto_close_reason(&self) -> &'static str {
        "no answer to the solution within tickets.auto_close_days"
    }

    /// `[GLPI #0000123] Entity | Status – Title`, on one line whatever the
    /// title holds, so that no text from a mail can start a new header, and
    /// with the title bounded ([`bounds::MAX_TITLE_CHARS`]).
    pub fn subject(&self, ticket: &TicketContext) -> String {
        let subject = format!(
            "[{} #{}] {} | {} – {}",
            self.tag,
            display_number(ticket.id),
            ticket.entity,
            ticket.status.label(self.language),
            bounds::one_line(&ticket.title, MAX_TITLE_CHARS)
        );
        subject.split(|c: char| c.is_control()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }

    /// The label people read for a group name ("Référents LSU").
    pub(super) fn group_label(&self, name: &str) -> String {
        self.group_labels
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(name.to_string(), |(_, l)| l.clone())
    }

    pub(super) fn separator(&self) -> &'static str {
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
            groups: &self.groups,
            notify_technicians_on_new: self.notify_technicians_on_new,
            own_address: &self.own_address,
        };
        // Shared by every recipient's text: GLPI's link, or none when each
        // mail ends with its own personal link.
        let url = self.shared_url(ticket.id);
        // Everything a mail put in the ticket or the trigger, bounded once
        // for every recipient.
        let mut ticket = bounds::ticket(ticket, self.language, &url);
        let mut trigger = bounds::trigger(trigger, self.language, &url);
        if !trigger.quote {
            // An unauthenticated sender's words are not relayed: the
            // notification says what happened, the ticket holds the text.
            // Nor are their files.
            ticket.description.clear();
            trigger.followup = None;
            trigger.files.clear();
        }
        // People are greeted and named by the name the configuration gives
        // them, whatever name (or none) a mail gave.
        for person in std::iter::once(&mut ticket.requester).chain(&mut ticket.observers).chain(&mut ticket.technicians)
        {
            self.name_known(person);
        }
        if let Some(name) = self.known_name(&trigger.author.address) {
            trigger.author.name = Some(name.to_string());
        }
        trigger.history.truncate(self.history_followups);
        for h in &mut trigger.history {
            self.name_known(&mut h.author);
        }
        let (ticket, trigger) = (&ticket, &trigger);
        let subject = self.subject(ticket);
        let separator = self.separator();
        let root = self.ids.thread_root(ticket.id);
        let mut references: Vec<String> = ticket.origin_message_id.iter().cloned().collect();
        references.push(root);
        let in_reply_to = Some(trigger.message_id.clone()).filter(|id| !id.is_empty());
        let (files, attachments) = self.files(event, trigger, &url);
        // The same for every recipient: built once.
        let story = match event {
            Event::CommandError | Event::Help | Event::DailyDigest | Event::RefusalReply | Event::PersonalLink => None,
            _ => {
                let groups: Vec<String> = ticket.assigned_groups.iter().map(|g| self.group_label(g)).collect();
                let handlers = story::Handlers { groups: &groups, technicians: &ticket.technicians };
                Some(story::block(self.language, &handlers, &files, &trigger.history))
            }
        };
        recipients(event, ticket, trigger, &audience)
            .into_iter()
            .map(|(mut recipient, role)| {
                self.name_known(&mut recipient);
                if recipient.name.is_none() {
                    // Not configured: the name their own mails gave, if any.
                    recipient.name = ticket_name(ticket, &recipient.email);
                }
                let own_url = self.ticket_url(ticket.id, &recipient.email, at);
                let context = self.context(ticket, trigger, &recipient, role, &own_url, &subject, separator);
                let body = self.templates.render_text(event, &context);
                let body = match &story {
                    Some(block) => story::insert_above_signature(&body, block),
                    None => body,
                };
                let text = format!("{separator}\n\n{}\n", body.trim_end());
                Notification {
                    ticket: Some(ticket.id),
                    event,
                    message_id: self.ids.notification(
                        ticket.id,
                        event,
                        &nonce(ticket.id, event, &recipient.email, trigger, at),
                    ),
                    recipient: recipient.email,
                    subject: subject.clone(),
                    text,
                    in_reply_to: in_reply_to.clone(),
                    references: references.clone(),
                    attachments: attachments.clone(),
                    // A personal link (not GLPI's, the same for everyone).
                    link: Some(own_url).filter(|u| !u.is_empty() && *u != url),
                }
            })
            .collect()
    }

    /// The files a notification of `event` carries: those of the mail when
    /// the notification passes on what the mail said (a new ticket to the
    /// staff, a followup, a solution, a note), attached when they fit in
    /// `notifications.max_attachment_bytes`, else listed. Never on the
    /// acknowledgment (the requester has their own files) or an answer to
    /// commands.
    fn files<'a>(&self, event: Event, trigger: &'a Trigger, url: &'a str) -> (story::Files<'a>, Vec<i64>) {
        let carries = !trigger.files.is_empty()
            && match event {
                Event::TicketNewStaff => true,
                Event::TicketNew
                | Event::CommandError
                | Event::Help
                | Event::DailyDigest
                | Event::RefusalReply
                | Event::PersonalLink => false,
                _ => trigger.followup.is_some(),
            };
        if !carries {
            return (story::Files::None, Vec::new());
        }
        let total: u64 = trigger.files.iter().map(|f| f.size).sum();
        if total <= self.max_attachment_bytes {
            (story::Files::Attached(&trigger.files), trigger.files.iter().map(|f| f.id).collect())
        } else {
            (story::Files::Listed { files: &trigger.files, limit: self.max_attachment_bytes, url }, Vec::new())
        }
    }

    /// The configured name of a technician, group member or group list.
    fn known_name(&self, email: &str) -> Option<&str> {
        self.technicians
            .iter()
            .chain(self.groups.iter().flat_map(|g| &g.people))
            .find(|p| p.email.eq_ignore_ascii_case(email))
            .and_then(|p| p.name.as_deref())
            .filter(|n| !n.is_empty())
    }

    fn name_known(&self, person: &mut Person) {
        if let Some(name) = self.known_name(&person.email) {
            person.name = Some(name.to_string());
        }
    }
}

/// The name a person on `ticket` gave in their mails, when they gave one.
fn ticket_name(ticket: &TicketContext, email: &str) -> Option<String> {
    std::iter::once(&ticket.requester)
        .chain(&ticket.observers)
        .chain(&ticket.technicians)
        .find(|p| p.email.eq_ignore_ascii_case(email))
        .and_then(|p| p.name.clone())
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
