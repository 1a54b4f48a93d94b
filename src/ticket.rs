//! The helpdesk's words: a [`Status`] with the labels GLPI users know, the
//! [`Role`] someone plays on a ticket, the [`Event`]s that notify people, and
//! the rules by which a followup moves a ticket's status. Pure: no I/O.

use std::fmt;

use serde::Serialize;

pub type TicketId = i64;

/// The language of notifications and status labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fr,
    En,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }
}

/// A ticket's status, GLPI's life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Assigned,
    Planned,
    Pending,
    Solved,
    Closed,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Assigned,
        Status::Planned,
        Status::Pending,
        Status::Solved,
        Status::Closed,
        Status::Cancelled,
    ];

    /// The stable word stored in the database and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::Planned => "planned",
            Status::Pending => "pending",
            Status::Solved => "solved",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The label users read in subjects, as GLPI writes it.
    pub fn label(self, language: Language) -> &'static str {
        match (language, self) {
            (Language::Fr, Status::New) => "Nouveau",
            (Language::Fr, Status::Assigned) => "En cours (Attribué)",
            (Language::Fr, Status::Planned) => "En cours (Planifié)",
            (Language::Fr, Status::Pending) => "En attente",
            (Language::Fr, Status::Solved) => "Résolu",
            (Language::Fr, Status::Closed) => "Clos",
            (Language::Fr, Status::Cancelled) => "Annulé",
            (Language::En, Status::New) => "New",
            (Language::En, Status::Assigned) => "Processing (assigned)",
            (Language::En, Status::Planned) => "Processing (planned)",
            (Language::En, Status::Pending) => "Pending",
            (Language::En, Status::Solved) => "Solved",
            (Language::En, Status::Closed) => "Closed",
            (Language::En, Status::Cancelled) => "Cancelled",
        }
    }

    /// Closed and cancelled tickets are finished: a reply to one needs a decision.
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// GLPI's two kinds of ticket: something broken, or something wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketType {
    Incident,
    Request,
}

impl TicketType {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketType::Incident => "incident",
            TicketType::Request => "request",
        }
    }

    /// The stored word, or the word users write in either language.
    pub fn parse(s: &str) -> Option<TicketType> {
        match s.trim().to_lowercase().as_str() {
            "incident" => Some(TicketType::Incident),
            "request" | "demande" => Some(TicketType::Request),
            _ => None,
        }
    }

    pub fn label(self, language: Language) -> &'static str {
        match (language, self) {
            (Language::Fr, TicketType::Incident) => "Incident",
            (Language::Fr, TicketType::Request) => "Demande",
            (Language::En, TicketType::Incident) => "Incident",
            (Language::En, TicketType::Request) => "Request",
        }
    }
}

/// GLPI's 1–5 scale for urgency, impact and priority (6, "major", exists for
/// priority only), with its words.
pub fn level_label(level: u8, language: Language) -> &'static str {
    match (language, level) {
        (Language::Fr, 1) => "Très basse",
        (Language::Fr, 2) => "Basse",
        (Language::Fr, 3) => "Moyenne",
        (Language::Fr, 4) => "Haute",
        (Language::Fr, 5) => "Très haute",
        (Language::Fr, _) => "Majeure",
        (Language::En, 1) => "Very low",
        (Language::En, 2) => "Low",
        (Language::En, 3) => "Medium",
        (Language::En, 4) => "High",
        (Language::En, 5) => "Very high",
        (Language::En, _) => "Major",
    }
}

/// The part someone plays in a ticket's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Requester,
    Observer,
    Technician,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Observer => "observer",
            Role::Technician => "technician",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Requester, Role::Observer, Role::Technician].into_iter().find(|r| r.as_str() == s)
    }

    /// Requester-side people see the technicians' answers; technicians see theirs.
    pub fn is_requester_side(self) -> bool {
        matches!(self, Role::Requester | Role::Observer)
    }
}

/// Where an action on a ticket came in: a mail, the web pages, a timer of
/// the daemon (auto-close), or an operator's command. Recorded with each
/// history line, so the audit log says which door a change came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Door {
    Mail,
    Web,
    Timer,
    Cli,
}

impl Door {
    pub const ALL: [Door; 4] = [Door::Mail, Door::Web, Door::Timer, Door::Cli];

    pub fn as_str(self) -> &'static str {
        match self {
            Door::Mail => "mail",
            Door::Web => "web",
            Door::Timer => "timer",
            Door::Cli => "cli",
        }
    }

    pub fn parse(s: &str) -> Option<Door> {
        Door::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// What happened to a ticket that someone should hear about, or the daily
/// digest of several. Each event has one template per language under
/// `templates/<lang>/<event>.txt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Acknowledgment to the requester side: the ticket exists, here is its number.
    TicketNew,
    /// To the group or technicians in charge: a new ticket arrived.
    TicketNewStaff,
    /// A followup written by someone on the ticket.
    Followup,
    /// To a technician or group: the ticket is theirs now.
    Assigned,
    /// A status changed without a followup to carry the news.
    StatusChanged,
    /// A technician's solution, which the requester accepts or rejects.
    SolutionProposed,
    SolutionAccepted,
    SolutionRejected,
    /// Closed by a technician, or automatically after the approval delay.
    Closed,
    /// To a technician whose commands could not be obeyed.
    CommandError,
    /// To a technician who wrote `#help`: the commands.
    Help,
    /// To each technician with open tickets, once a day: the list. About
    /// many tickets, so its outbox row names none.
    DailyDigest,
    /// To a sender whose mail was refused, saying why (an outside address
    /// when `institution.refusal_reply` is on; a colleague's mail over the
    /// attachment limit). About no ticket.
    RefusalReply,
    /// A personal link asked for on the web (a ticket's page, « Mes
    /// demandes », a technician's sign-in), mailed to the address it was
    /// made for. About no ticket in its threading.
    PersonalLink,
}

impl Event {
    pub const ALL: [Event; 14] = [
        Event::TicketNew,
        Event::TicketNewStaff,
        Event::Followup,
        Event::Assigned,
        Event::StatusChanged,
        Event::SolutionProposed,
        Event::SolutionAccepted,
        Event::SolutionRejected,
        Event::Closed,
        Event::CommandError,
        Event::Help,
        Event::DailyDigest,
        Event::RefusalReply,
        Event::PersonalLink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::TicketNew => "ticket_new",
            Event::TicketNewStaff => "ticket_new_staff",
            Event::Followup => "followup",
            Event::Assigned => "assigned",
            Event::StatusChanged => "status_changed",
            Event::SolutionProposed => "solution_proposed",
            Event::SolutionAccepted => "solution_accepted",
            Event::SolutionRejected => "solution_rejected",
            Event::Closed => "closed",
            Event::CommandError => "command_error",
            Event::Help => "help",
            Event::DailyDigest => "daily_digest",
            Event::RefusalReply => "refusal_reply",
            Event::PersonalLink => "personal_link",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// The status a ticket takes when `author_role` adds a followup, or `None`
/// when it keeps its status. Mirrors what GLPI users expect: an answer from
/// the requester side ends a wait; only the requester's re-opens a solved,
/// closed or cancelled ticket (an observer's "merci" must not). A
/// technician's answer changes a status only by command.
pub fn status_after_followup(current: Status, author_role: Role, has_technician: bool) -> Option<Status> {
    let in_progress = if has_technician { Status::Assigned } else { Status::New };
    match (current, author_role) {
        (Status::Pending, Role::Requester | Role::Observer) => Some(in_progress),
        (Status::Solved | Status::Closed | Status::Cancelled, Role::Requester) => Some(in_progress),
        _ => None,
    }
}

/// The ticket number as users see it in subjects: seven digits, zero-padded.
pub fn display_number(id: TicketId) -> String {
    format!("{id:07}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_word() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn french_labels_are_glpis() {
        let labels: Vec<_> = Status::ALL.iter().map(|s| s.label(Language::Fr)).collect();
        assert_eq!(
            labels,
            ["Nouveau", "En cours (Attribué)", "En cours (Planifié)", "En attente", "Résolu", "Clos", "Annulé"]
        );
    }

    #[test]
    fn followup_transitions() {
        use Role::*;
        use Status::*;
        let cases = [
            ("requester answer ends a wait", Pending, Requester, true, Some(Assigned)),
            ("requester answer re-opens a solved ticket", Solved, Requester, true, Some(Assigned)),
            ("re-opened unassigned ticket goes back to new", Closed, Requester, false, Some(New)),
            ("an observer's answer ends a wait too", Pending, Observer, true, Some(Assigned)),
            ("an observer's answer does not re-open a closed ticket", Closed, Observer, true, None),
            ("nor a solved one", Solved, Observer, true, None),
            ("requester answer keeps an assigned ticket assigned", Assigned, Requester, true, None),
            ("technician answer keeps a pending ticket pending", Pending, Technician, true, None),
            ("a technician's answer alone does not re-open", Closed, Technician, true, None),
        ];
        for (name, current, role, has_tech, expected) in cases {
            assert_eq!(status_after_followup(current, role, has_tech), expected, "{name}");
        }
    }

    #[test]
    fn ticket_numbers_are_zero_padded_to_seven_digits() {
        assert_eq!(display_number(123), "0000123");
    }
}
