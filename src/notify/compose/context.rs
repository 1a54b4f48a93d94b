//! The values a notification's template sees: the ticket with its labels in
//! the configured language, the recipient and their role, the trigger's
//! author, followup and assignee, built once per recipient.

use minijinja::Value;
use serde::Serialize;

use super::super::bounds::{self, MAX_NAME_CHARS};
use super::super::{Person, TicketContext, Trigger};
use super::Notifier;
use crate::lifecycle::Assignee;
use crate::ticket::{Role, display_number, level_label};

impl Notifier {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn context(
        &self,
        ticket: &TicketContext,
        trigger: &Trigger,
        recipient: &Person,
        role: Role,
        url: &str,
        subject: &str,
        separator: &str,
    ) -> Value {
        let group_label = |name: &String| self.group_label(name);
        let assignee = trigger.assignee.as_ref().map(|a| match a {
            Assignee::Group(name) => AssigneeForTemplate { name: group_label(name), email: None, group: true },
            Assignee::Technician(m) => AssigneeForTemplate {
                name: bounds::one_line(m.display(), MAX_NAME_CHARS),
                email: Some(m.address.clone()),
                group: false,
            },
        });
        Value::from_serialize(TemplateContext {
            ticket: TicketForTemplate {
                number: display_number(ticket.id),
                status_label: ticket.status.label(self.language),
                type_label: ticket.ticket_type.label(self.language),
                urgency_label: level_label(ticket.urgency, self.language),
                impact_label: level_label(ticket.impact, self.language),
                priority_label: level_label(ticket.priority, self.language),
                assigned_group_labels: ticket.assigned_groups.iter().map(group_label).collect(),
                observer_group_labels: ticket.observer_groups.iter().map(group_label).collect(),
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
            private: trigger.private,
            assignee,
            previous_status_label: trigger.previous_status.map(|s| s.label(self.language)),
            errors: &trigger.errors,
            auto_close_days: self.auto_close_days,
            automatic: trigger.author.address.eq_ignore_ascii_case(&self.own_address),
        })
    }
}

#[derive(Serialize)]
pub(super) struct AssigneeForTemplate {
    pub(super) name: String,
    pub(super) email: Option<String>,
    pub(super) group: bool,
}

#[derive(Serialize)]
pub(super) struct TicketForTemplate<'a> {
    pub(super) number: String,
    pub(super) status_label: &'static str,
    pub(super) type_label: &'static str,
    pub(super) urgency_label: &'static str,
    pub(super) impact_label: &'static str,
    pub(super) priority_label: &'static str,
    pub(super) assigned_group_labels: Vec<String>,
    pub(super) observer_group_labels: Vec<String>,
    #[serde(flatten)]
    pub(super) inner: &'a TicketContext,
}

#[derive(Serialize)]
pub(super) struct TemplateContext<'a> {
    pub(super) ticket: TicketForTemplate<'a>,
    pub(super) url: &'a str,
    pub(super) subject: &'a str,
    pub(super) separator: &'a str,
    pub(super) tag: &'a str,
    pub(super) institution: &'a str,
    pub(super) language: &'a str,
    pub(super) recipient: &'a Person,
    pub(super) recipient_role: Role,
    pub(super) author: Person,
    pub(super) followup: &'a str,
    pub(super) private: bool,
    pub(super) assignee: Option<AssigneeForTemplate>,
    pub(super) previous_status_label: Option<&'static str>,
    pub(super) errors: &'a [String],
    pub(super) auto_close_days: u32,
    /// mailgate did it by itself (the automatic close), no person.
    pub(super) automatic: bool,
}
