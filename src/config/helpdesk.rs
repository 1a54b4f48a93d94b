//! What a helpdesk knows beyond the mail itself: the entities (a school, a
//! service) that senders belong to, the groups of technicians tickets are
//! assigned to (the "référents LSU" who answer first, the DSI's BAI that
//! takes escalations), and the ticket defaults of GLPI's life cycle: type,
//! urgency and impact, the priority matrix that turns them into a priority,
//! the category tree, and when a solved ticket closes on its own.

use serde::Serialize;

use super::categories::CategoryTree;
use super::raw::{RawEntity, RawGroup, RawTickets};
use super::{FollowupPolicy, Technician, TicketPolicy};
use crate::ticket::TicketType;

/// A validation failure: the key, and what was expected.
type Invalid = (String, String);

/// A part of the institution, named in ticket subjects
/// (`[GLPI #0000123] Collège Jean Moulin | Nouveau – …`).
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub name: String,
    /// Senders of these domains or their subdomains belong to the entity.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Senders with exactly these addresses belong to it, whatever their domain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

/// Technicians who take tickets together. Referred to by `name` in rules and
/// on tickets, so that a change of members applies to open tickets.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    /// What people read, e.g. "Référents LSU"; the name when absent.
    pub label: Option<String>,
    /// Lower-cased addresses. Members are technicians.
    pub members: Vec<String>,
    /// A list address that reaches every member: notifications to the group
    /// go there instead of to each member.
    pub mail: Option<String>,
}

impl Group {
    /// The label, or the name.
    pub fn display_name(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    pub fn has_member(&self, address: &str) -> bool {
        self.members.iter().any(|m| m == address)
    }

    /// Where a notification to the group goes: its list address, or each member.
    pub fn recipients(&self) -> Vec<&str> {
        match &self.mail {
            Some(mail) => vec![mail.as_str()],
            None => self.members.iter().map(String::as_str).collect(),
        }
    }
}

/// GLPI's priority matrix: the priority (1 to 6) of each urgency (rows, 1 to
/// 5) and impact (columns, 1 to 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PriorityMatrix([[u8; 5]; 5]);

impl PriorityMatrix {
    /// The matrix a fresh GLPI installs (`priority_matrix` in `glpi_configs`).
    pub const GLPI_DEFAULT: PriorityMatrix =
        PriorityMatrix([[1, 1, 2, 2, 2], [1, 2, 2, 3, 3], [2, 2, 3, 4, 4], [2, 3, 4, 4, 5], [2, 3, 4, 5, 5]]);

    /// A matrix from its rows by urgency; every value must be 1 to 6.
    pub fn new(rows: [[u8; 5]; 5]) -> Option<PriorityMatrix> {
        rows.iter().flatten().all(|p| (1..=6).contains(p)).then_some(PriorityMatrix(rows))
    }

    /// The priority of a ticket; urgency and impact are taken as 1 to 5
    /// (anything outside is brought to the nearest end).
    pub fn priority(&self, urgency: u8, impact: u8) -> u8 {
        let at = |level: u8| usize::from(level.clamp(1, 5) - 1);
        self.0[at(urgency)][at(impact)]
    }
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        PriorityMatrix::GLPI_DEFAULT
    }
}

/// The `[tickets]` table: how replies are treated and the life cycle's defaults.
pub(super) fn validate_tickets(raw: &RawTickets) -> Result<TicketPolicy, Invalid> {
    let followup_policy = match raw.followup_policy.as_deref().unwrap_or("actors") {
        "actors" => FollowupPolicy::Actors,
        "institution" => FollowupPolicy::Institution,
        other => {
            return Err((
                "tickets.followup_policy".into(),
                format!("expected \"actors\" or \"institution\", got \"{other}\""),
            ));
        }
    };
    let level = |key: &str, value: Option<u8>| -> Result<u8, Invalid> {
        match value {
            None => Ok(3),
            Some(v @ 1..=5) => Ok(v),
            Some(v) => {
                Err((format!("tickets.{key}"), format!("expected a level from 1 (very low) to 5 (very high), got {v}")))
            }
        }
    };
    let default_type = match raw.default_type.as_deref() {
        None => TicketType::Incident,
        Some(t) => match t {
            "incident" => TicketType::Incident,
            "request" => TicketType::Request,
            other => {
                return Err((
                    "tickets.default_type".into(),
                    format!("expected \"incident\" or \"request\", got \"{other}\""),
                ));
            }
        },
    };
    let categories =
        CategoryTree::new(&raw.categories).map_err(|(i, message)| (format!("tickets.categories[{i}]"), message))?;
    let priority_matrix = match &raw.priority_matrix {
        None => PriorityMatrix::GLPI_DEFAULT,
        Some(rows) => priority_matrix(rows)?,
    };
    let first_number = match raw.first_number {
        None => None,
        Some(n @ 1..=999_999_999) => Some(n),
        Some(n) => {
            return Err((
                "tickets.first_number".into(),
                format!("expected the number of the first ticket, 1 to 999999999 (GLPI's last number + 1), got {n}"),
            ));
        }
    };
    Ok(TicketPolicy {
        first_number,
        // Checked against the groups once they are read.
        dispatcher_group: raw.dispatcher_group.as_ref().map(|g| g.trim().to_string()),
        reopen_on_reply: raw.reopen_on_reply.unwrap_or(true),
        followup_policy,
        cc_as_observers: raw.cc_as_observers.unwrap_or(true),
        auto_close_days: raw.auto_close_days.unwrap_or(7),
        default_urgency: level("default_urgency", raw.default_urgency)?,
        default_impact: level("default_impact", raw.default_impact)?,
        default_type,
        categories,
        priority_matrix,
    })
}

fn priority_matrix(rows: &[Vec<i64>]) -> Result<PriorityMatrix, Invalid> {
    let key = "tickets.priority_matrix";
    if rows.len() != 5 || rows.iter().any(|r| r.len() != 5) {
        return Err((
            key.into(),
            "expected 5 rows (urgency 1 to 5) of 5 priorities each (impact 1 to 5), e.g. GLPI's [[1, 1, 2, 2, 2], [1, 2, 2, 3, 3], [2, 2, 3, 4, 4], [2, 3, 4, 4, 5], [2, 3, 4, 5, 5]]".into(),
        ));
    }
    let mut matrix = [[0u8; 5]; 5];
    for (u, row) in rows.iter().enumerate() {
        for (i, &value) in row.iter().enumerate() {
            matrix[u][i] = u8::try_from(value).ok().filter(|p| (1..=6).contains(p)).ok_or_else(|| {
                (
                    format!("{key}[{u}][{i}]"),
                    format!("expected a priority from 1 to 6 for urgency {} and impact {}, got {value}", u + 1, i + 1),
                )
            })?;
        }
    }
    PriorityMatrix::new(matrix).ok_or_else(|| (key.into(), "expected priorities from 1 to 6".into()))
}

/// A domain as written in the file: `@ac-exemple.fr` and `*.ac-exemple.fr`
/// mean `ac-exemple.fr`. None when it does not look like a domain.
/// Written in ASCII (IDNA), as addresses are compared against it.
pub(super) fn normalize_domain(d: &str) -> Option<String> {
    let d = d.trim().trim_start_matches('@').trim_start_matches("*.").trim_end_matches('.');
    crate::mail::address::plain_domain(d).ok()
}

/// `domain` is `parent` or a subdomain of it (`clg-moulin.ac-exemple.fr`
/// within `ac-exemple.fr`, not `notac-exemple.fr`). Both lower-cased.
pub(super) fn domain_within(domain: &str, parent: &str) -> bool {
    let domain = domain.trim_end_matches('.');
    domain == parent || domain.strip_suffix(parent).is_some_and(|head| head.ends_with('.'))
}

/// A plain address as mailgate compares it (see [`crate::mail::address`]),
/// or None when it is not one: the configuration is held to the rules mail is.
pub(super) fn normalize_address(a: &str) -> Option<String> {
    crate::mail::address::plain(a.trim()).ok()
}

pub(super) fn validate_entities(
    raw: &[RawEntity],
    allowed_domains: &[String],
    warnings: &mut Vec<String>,
) -> Result<Vec<Entity>, Invalid> {
    let mut entities: Vec<Entity> = Vec::new();
    for (i, e) in raw.iter().enumerate() {
        let key = |field: &str| format!("entities[{i}].{field}");
        let name = e.name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err((key("name"), "expected the entity's name, e.g. \"Collège Jean Moulin\"".into()));
        }
        if let Some(other) = entities.iter().find(|o| o.name.to_lowercase() == name.to_lowercase()) {
            return Err((key("name"), format!("expected distinct names, \"{}\" is used twice", other.name)));
        }
        if e.domains.is_empty() && e.addresses.is_empty() {
            return Err((
                key("domains"),
                format!("expected domains or addresses for \"{name}\": with neither, no sender belongs to it"),
            ));
        }
        let mut domains = Vec::new();
        for d in &e.domains {
            let d = normalize_domain(d).ok_or_else(|| {
                (key("domains"), format!("expected domain names like \"clg-moulin.ac-exemple.fr\", got \"{d}\""))
            })?;
            if let Some(owner) = entities.iter().find(|o| o.domains.contains(&d)) {
                return Err((key("domains"), format!("\"{d}\" already belongs to entity \"{}\"", owner.name)));
            }
            if !allowed_domains.iter().any(|a| domain_within(&d, a)) {
                warnings.push(format!(
                    "entities[{i}].domains: \"{d}\" is outside institution.allowed_domains, so its senders are refused before they reach an entity"
                ));
            }
            domains.push(d);
        }
        let mut addresses = Vec::new();
        for a in &e.addresses {
            let a = normalize_address(a)
                .ok_or_else(|| (key("addresses"), format!("expected mail addresses, got \"{a}\"")))?;
            if let Some(owner) = entities.iter().find(|o| o.addresses.contains(&a)) {
                return Err((key("addresses"), format!("\"{a}\" already belongs to entity \"{}\"", owner.name)));
            }
            addresses.push(a);
        }
        entities.push(Entity { name, domains, addresses });
    }
    Ok(entities)
}

pub(super) fn validate_groups(raw: &[RawGroup]) -> Result<Vec<Group>, Invalid> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, g) in raw.iter().enumerate() {
        let key = |field: &str| format!("groups[{i}].{field}");
        let name = g.name.trim().to_string();
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains(['@', ',', '#']) {
            return Err((
                key("name"),
                format!(
                    "expected a name without spaces, \"@\", \",\" or \"#\", such as \"referents-lsu\", got \"{}\"",
                    g.name
                ),
            ));
        }
        if groups.iter().any(|o| o.name.to_lowercase() == name.to_lowercase()) {
            return Err((
                key("name"),
                format!("expected distinct names (case does not count), \"{name}\" is used twice"),
            ));
        }
        let mut members: Vec<String> = Vec::new();
        for m in &g.members {
            let m = normalize_address(m)
                .ok_or_else(|| (key("members"), format!("expected mail addresses, got \"{m}\"")))?;
            if !members.contains(&m) {
                members.push(m);
            }
        }
        let mail = match &g.mail {
            None => None,
            Some(m) => Some(
                normalize_address(m).ok_or_else(|| (key("mail"), format!("expected a mail address, got \"{m}\"")))?,
            ),
        };
        if members.is_empty() && mail.is_none() {
            return Err((
                key("members"),
                format!("expected at least one member (or a list address in mail) for group \"{name}\""),
            ));
        }
        let label = g.label.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string);
        groups.push(Group { name, label, members, mail });
    }
    Ok(groups)
}

/// The group named `name`, compared case-insensitively: what `#assign`,
/// rules and notifications all look groups up by.
pub(super) fn find_group<'a>(groups: &'a [Group], name: &str) -> Option<&'a Group> {
    let name = name.trim().to_lowercase();
    groups.iter().find(|g| g.name.to_lowercase() == name)
}

/// Whether `address` (lower-cased) is staff: a listed technician or a
/// member of a group.
pub(super) fn is_staff(technicians: &[Technician], groups: &[Group], address: &str) -> bool {
    technicians.iter().any(|t| t.email == address) || groups.iter().any(|g| g.has_member(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glpis_default_matrix_gives_glpis_priorities() {
        let m = PriorityMatrix::default();
        let cases = [
            ("very low urgency and impact", 1, 1, 1),
            ("medium urgency and impact", 3, 3, 3),
            ("high urgency, medium impact", 4, 3, 4),
            ("very high urgency, very low impact", 5, 1, 2),
            ("very high urgency and impact", 5, 5, 5),
            ("low urgency, very high impact", 2, 5, 3),
            ("out of range is clamped up", 0, 0, 1),
            ("out of range is clamped down", 9, 9, 5),
        ];
        for (name, urgency, impact, expected) in cases {
            assert_eq!(m.priority(urgency, impact), expected, "{name}");
        }
    }

    #[test]
    fn domains_match_themselves_and_their_subdomains_only() {
        let cases = [
            ("the domain", "ac-exemple.fr", true),
            ("a subdomain", "clg-moulin.ac-exemple.fr", true),
            ("a trailing dot", "clg-moulin.ac-exemple.fr.", true),
            ("a glued prefix", "notac-exemple.fr", false),
            ("a lookalike suffix", "ac-exemple.fr.evil.com", false),
        ];
        for (name, domain, expected) in cases {
            assert_eq!(domain_within(domain, "ac-exemple.fr"), expected, "{name}");
        }
    }

    #[test]
    fn a_group_notifies_its_list_address_instead_of_each_member() {
        let mut g = Group {
            name: "dsi-bai".into(),
            label: None,
            members: vec!["a@ac.fr".into(), "b@ac.fr".into()],
            mail: None,
        };
        assert_eq!(g.recipients(), ["a@ac.fr", "b@ac.fr"]);
        assert_eq!(g.display_name(), "dsi-bai");
        g.mail = Some("bai@ac.fr".into());
        g.label = Some("DSI – BAI".into());
        assert_eq!(g.recipients(), ["bai@ac.fr"]);
        assert_eq!(g.display_name(), "DSI – BAI");
    }
}
