//! The helpdesk life cycle by mail: what a reply does to its ticket. A
//! technician's reply may carry commands ([`commands`]); a requester's may
//! accept or reject a solution or cancel the request. [`plan`] turns the
//! reply, the ticket as it stands and the configuration into a [`Plan`]: the
//! [`Change`]s to apply and the [`Notice`]s to send, or an [`AutoReply`] to
//! the technician when a command cannot be obeyed, in which case nothing
//! changes. Pure: the store applies the plan in the mail's transaction.

mod answer;
pub mod commands;
mod settle;
mod technician;

pub use technician::plan as technician_plan;

use crate::config::Config;
use crate::mail::Mailbox;
use crate::ticket::{Role, Status, TicketId, TicketType, status_after_followup};
pub use commands::RequesterAction;
pub use settle::settle_waiting_solution;

/// What the life cycle (and `intake::decide`) needs to know of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub id: TicketId,
    pub status: Status,
    pub requester: String,
    pub observers: Vec<String>,
    pub technicians: Vec<String>,
    pub assigned_groups: Vec<String>,
    pub observer_groups: Vec<String>,
    pub urgency: u8,
    pub impact: u8,
    /// Who proposed the latest solution: a re-opened ticket goes back to them.
    pub solver: Option<String>,
}

impl TicketFacts {
    /// The role `address` already plays on this ticket, if any.
    pub fn role_of(&self, address: &str) -> Option<Role> {
        // Addresses are stored lower-cased since they are parsed strictly;
        // a record from before that may not be, and a person is the same
        // person whatever the case their client wrote.
        let same = |a: &String| a.eq_ignore_ascii_case(address);
        if same(&self.requester) {
            Some(Role::Requester)
        } else if self.technicians.iter().any(same) {
            Some(Role::Technician)
        } else if self.observers.iter().any(same) {
            Some(Role::Observer)
        } else {
            None
        }
    }
}

/// One change to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Status(Status),
    AssignTechnician(Mailbox),
    UnassignTechnician(String),
    AssignGroup(String),
    UnassignGroup(String),
    ObserveGroup(String),
    ObservePerson(Mailbox),
    /// Urgency and the priority it gives with the ticket's impact.
    Urgency {
        urgency: u8,
        priority: u8,
    },
    Impact {
        impact: u8,
        priority: u8,
    },
    Category(String),
    Type(TicketType),
    /// Where the problem is (`#lieu`).
    Location(String),
    /// The reply's text is the solution, waiting for the requester.
    ProposeSolution,
    AcceptSolution,
    RejectSolution,
    /// A solution still waiting is settled because the ticket leaves
    /// « Résolu » by another way (see [`settle_waiting_solution`]).
    SettleSolution {
        accepted: bool,
    },
}

/// Who a ticket was just given to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Group(String),
    Technician(Mailbox),
}

/// A notification to send once the changes are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Followup,
    Assigned(Assignee),
    StatusChanged { previous: Status },
    SolutionProposed,
    SolutionAccepted,
    SolutionRejected,
    Closed,
}

/// What a reply does: changes, its text as a followup (when it has one),
/// and the notifications that follow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// The followup's text; empty when the reply was only commands.
    pub text: String,
    /// Hidden from the requester side (`#private`).
    pub private: bool,
    pub notices: Vec<Notice>,
}

/// An answer to the technician instead of any change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoReply {
    /// The commands that could not be obeyed, one line each.
    CommandErrors(Vec<String>),
    Help,
}

/// What `author`, playing `role` on the ticket, does by replying `written`
/// (the reply without its quoted history).
pub fn plan(
    facts: &TicketFacts,
    author: &Mailbox,
    role: Role,
    written: &str,
    config: &Config,
) -> Result<Plan, AutoReply> {
    match role {
        Role::Technician => technician::plan(facts, author, commands::parse(written), config),
        Role::Requester => Ok(requester_plan(facts, author, role, written)),
        Role::Observer => Ok(followup_plan(facts, role, written.trim())),
    }
}

/// The status a ticket goes back to when work on it resumes.
fn in_progress(facts: &TicketFacts) -> Status {
    if facts.technicians.is_empty() && facts.assigned_groups.is_empty() { Status::New } else { Status::Assigned }
}

/// The changes that put a ticket back to work: to the technician who solved
/// it when nobody has it, so that a re-opened ticket never waits unowned.
fn reopen(facts: &TicketFacts) -> Vec<Change> {
    match &facts.solver {
        Some(solver) if facts.technicians.is_empty() => {
            vec![Change::AssignTechnician(Mailbox::new(solver, None)), Change::Status(Status::Assigned)]
        }
        _ => vec![Change::Status(in_progress(facts))],
    }
}

fn requester_plan(facts: &TicketFacts, author: &Mailbox, role: Role, written: &str) -> Plan {
    let action = commands::requester_action(written);
    let text = written.trim();
    // "Accepter, merci !" → "merci !": the answer word is not a followup.
    let said = if action.is_some() { without_first_word(text) } else { text.to_string() };
    requester_answer(facts, author, role, action, &said, text)
}

/// What a requester-side answer does, whichever door it came through (a
/// mail's first word, a web page's button): `action` is the answer (None
/// for a plain followup), `said` the text that goes with it, and `whole`
/// the text as written, kept as a followup when the answer does not apply.
pub fn requester_answer(
    facts: &TicketFacts,
    author: &Mailbox,
    role: Role,
    action: Option<RequesterAction>,
    said: &str,
    whole: &str,
) -> Plan {
    let said = said.trim().to_string();
    let answer = |changes: Vec<Change>, text: String, notice: Notice| Plan {
        changes,
        text,
        private: false,
        notices: vec![notice],
    };
    let accept = |text: String| {
        answer(vec![Change::AcceptSolution, Change::Status(Status::Closed)], text, Notice::SolutionAccepted)
    };
    let reject = |text: String| {
        let changes = std::iter::once(Change::RejectSolution).chain(reopen(facts)).collect();
        answer(changes, text, Notice::SolutionRejected)
    };
    let solved = facts.status == Status::Solved;
    match action {
        Some(RequesterAction::Accept) if solved => accept(said),
        Some(RequesterAction::Reject) if solved => reject(said),
        Some(RequesterAction::Cancel)
            if !facts.status.is_finished() && facts.requester.eq_ignore_ascii_case(&author.address) =>
        {
            answer(vec![Change::Status(Status::Cancelled)], said, Notice::StatusChanged { previous: facts.status })
        }
        // "Merci, ça fonctionne !" accepts; any other answer to a solution
        // says it did not solve the problem.
        None if solved && answer::is_thanks(&said) => accept(said),
        None if solved => reject(said),
        // A late "accepter" (after the automatic close) or a second
        // "#annuler" must not re-open what it meant to end: what follows the
        // word is kept, and nobody is disturbed for the word alone.
        Some(RequesterAction::Accept | RequesterAction::Cancel) if facts.status.is_finished() => {
            let notices = if said.is_empty() { Vec::new() } else { vec![Notice::Followup] };
            Plan { changes: Vec::new(), text: said, private: false, notices }
        }
        _ => followup_plan(facts, role, whole.trim()),
    }
}

/// A plain followup from the requester side: it ends a wait and re-opens a
/// finished ticket (to whoever solved it, when nobody has it); the
/// requester's also rejects a solution, which only the requester may do.
fn followup_plan(facts: &TicketFacts, role: Role, text: &str) -> Plan {
    let has_technician = !facts.technicians.is_empty() || !facts.assigned_groups.is_empty();
    let mut changes = Vec::new();
    let moves = status_after_followup(facts.status, role, has_technician)
        .filter(|_| facts.status != Status::Solved || role == Role::Requester);
    if moves.is_some() {
        if facts.status == Status::Solved {
            changes.push(Change::RejectSolution);
        }
        if facts.status == Status::Pending {
            changes.push(Change::Status(in_progress(facts)));
        } else {
            changes.extend(reopen(facts));
        }
    }
    Plan { changes, text: text.to_string(), private: false, notices: vec![Notice::Followup] }
}

/// The text after an answer's first word, and its punctuation.
fn without_first_word(text: &str) -> String {
    let rest = text.split_once(char::is_whitespace).map_or("", |(_, rest)| rest);
    rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ':' | '!' | ';')).to_string()
}

#[cfg(test)]
mod facts_tests {
    use super::*;

    #[test]
    fn a_person_plays_their_role_whatever_the_case_of_their_address() {
        let facts = TicketFacts {
            id: 1,
            status: Status::Assigned,
            requester: "Secretariat@Clg-Moulin.fr".into(),
            observers: vec!["marie.dupont@ac-exemple.fr".into()],
            technicians: vec!["alice.martin@ac-exemple.fr".into()],
            assigned_groups: Vec::new(),
            observer_groups: Vec::new(),
            urgency: 3,
            impact: 3,
            solver: None,
        };
        let cases = [
            ("secretariat@clg-moulin.fr", Some(Role::Requester)),
            ("MARIE.DUPONT@ac-exemple.fr", Some(Role::Observer)),
            ("Alice.Martin@AC-EXEMPLE.FR", Some(Role::Technician)),
            ("jean@ac-exemple.fr", None),
        ];
        for (address, role) in cases {
            assert_eq!(facts.role_of(address), role, "{address}");
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_answers;
