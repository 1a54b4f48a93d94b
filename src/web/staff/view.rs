//! What the staff pages show of a ticket in a list, in the configured
//! language: its number, title, status, priority, who has it and its age.

use serde::Serialize;

use crate::config::Config;
use crate::store::TicketSummary;
use crate::ticket::{Language, Status, TicketId, display_number};

#[derive(Debug, Serialize)]
pub struct Row {
    pub id: TicketId,
    pub number: String,
    pub title: String,
    pub status: Status,
    pub status_label: &'static str,
    pub priority: u8,
    pub requester: String,
    pub entity: String,
    pub category: String,
    pub handlers: String,
    pub created: String,
}

pub fn rows(config: &Config, language: Language, tickets: &[TicketSummary]) -> Vec<Row> {
    tickets.iter().map(|t| row(config, language, t)).collect()
}

pub fn row(config: &Config, language: Language, t: &TicketSummary) -> Row {
    let mut handlers: Vec<String> = t
        .assigned_groups
        .iter()
        .map(|g| config.group(g).map_or(g.as_str(), |g| g.display_name()).to_string())
        .collect();
    handlers.extend(t.technicians.iter().map(|a| config.technician_name(a).unwrap_or(a).to_string()));
    Row {
        id: t.id,
        number: number(t.id),
        title: t.title.clone(),
        status: t.status,
        status_label: t.status.label(language),
        priority: t.priority,
        requester: t.requester.clone(),
        entity: t.entity.clone(),
        category: t.category.clone().unwrap_or_default(),
        handlers: handlers.join(", "),
        created: when(&t.created_at),
    }
}

/// The number as people say it: 42, not 0000042.
pub fn number(id: TicketId) -> String {
    display_number(id).trim_start_matches('0').to_string()
}

/// "2026-01-05T09:30:00Z" as "2026-01-05 09:30" (UTC).
pub fn when(at: &str) -> String {
    at.get(..16).map_or(at.to_string(), |s| s.replace('T', " "))
}
