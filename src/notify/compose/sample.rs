//! The sample ticket every template is rendered against at load, so that a
//! misspelt variable stops the start instead of blanking every notification.

use minijinja::{Value, context};

use super::context::{AssigneeForTemplate, TemplateContext, TicketForTemplate};
use crate::mail::reply::SEPARATOR_FR;
use crate::notify::{Person, TicketContext};
use crate::ticket::{Language, Role, Status, TicketType, display_number, level_label};

/// A ticket with every field filled, to check templates at load, and the
/// lines of a daily digest (`tickets`).
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
        assigned_groups: vec!["referents-lsu".into()],
        observer_groups: vec!["dsi-bai".into()],
        ticket_type: TicketType::Incident,
        category: Some("Scolarité > LSU".into()),
        urgency: 3,
        impact: 3,
        priority: 3,
        location: Some("Salle 12".into()),
        created_at: "2026-01-01T00:00:00Z".into(),
        origin_message_id: None,
    };
    let errors = vec!["« #attribuer x » : aucun groupe ni technicien de ce nom".to_string()];
    let context = Value::from_serialize(TemplateContext {
        ticket: TicketForTemplate {
            number: display_number(123),
            status_label: Status::New.label(language),
            type_label: TicketType::Incident.label(language),
            urgency_label: level_label(3, language),
            impact_label: level_label(3, language),
            priority_label: level_label(3, language),
            assigned_group_labels: vec!["Référents LSU".into()],
            observer_group_labels: vec!["DSI - BAI".into()],
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
        private: false,
        assignee: Some(AssigneeForTemplate { name: "Référents LSU".into(), email: None, group: true }),
        previous_status_label: Some(Status::New.label(language)),
        errors: &errors,
        auto_close_days: 7,
        automatic: false,
    });
    let refusal = context! {
        kind => "too_large", filename => "video.mp4", size => "42,0 Mo", limit => "20,0 Mo", subject => "Imprimante",
    };
    let link = context! { kind => "ticket", url => "https://helpdesk.example/t/123?k=abc", valid_for => "90 jours", ticket => "123" };
    context! { text => "Texte", tickets => crate::notify::digest::sample_lines(language), refusal, link, ..context }
}
