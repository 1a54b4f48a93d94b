//! A technician's reply: its commands resolved against the configuration
//! (groups, technicians, categories, the priority matrix) and the ticket as
//! it stands. All commands of a reply are obeyed, or none: one that cannot
//! be obeyed makes the whole reply an error answer, so that a technician
//! never has to guess which half of their mail took effect.

use super::TicketFacts;
use super::commands::{Command, CommandBlock, CommandError, ErrorKind, fold};
use super::{Assignee, AutoReply, Change, Notice, Plan};
use crate::config::Config;
use crate::mail::Mailbox;
use crate::policy;
use crate::ticket::{Status, TicketType};

/// What a technician's commands (`block`: read from a mail by
/// [`super::commands::parse`], or given by another door) and text do to the ticket.
pub fn plan(facts: &TicketFacts, author: &Mailbox, block: CommandBlock, config: &Config) -> Result<Plan, AutoReply> {
    if block.commands.contains(&Command::Help) {
        return Err(AutoReply::Help);
    }
    let mut errors = block.errors.clone();
    let mut work = Work { facts, author, config, plan: Plan::default(), status: None, started: None, solve: false };
    for (command, written) in block.commands.iter().zip(&block.written) {
        if let Err(kind) = work.obey(command) {
            errors.push(CommandError::new(written, kind));
        }
    }
    work.plan.text = block.text.clone();
    // The commands as written, for an error about how they combine.
    let as_written = |name: &str| {
        block
            .commands
            .iter()
            .zip(&block.written)
            .find(|(c, _)| c.name() == name)
            .map_or(String::new(), |(_, w)| w.clone())
    };
    let solve = || {
        let status_solves = |c: &Command| matches!(c, Command::Status(w) if status_word(w) == Some(Status::Solved));
        let at = block.commands.iter().position(|c| *c == Command::Solve || status_solves(c));
        at.map_or_else(|| "#solve".to_string(), |i| block.written[i].clone())
    };
    if work.solve && work.plan.text.is_empty() {
        errors.push(CommandError::new(&solve(), ErrorKind::SolveWithoutText));
    }
    if work.solve && work.plan.private {
        errors.push(CommandError::new(&format!("{} {}", solve(), as_written("private")), ErrorKind::SolvePrivate));
    }
    if work.solve && facts.status.is_finished() {
        let status = facts.status.label(config.institution.language);
        errors.push(CommandError::new(&solve(), ErrorKind::SolveFinished(status)));
    }
    if work.solve && work.status.is_some() {
        errors.push(CommandError::new(&format!("{} {}", solve(), as_written("status")), ErrorKind::SolveAndStatus));
    }
    if !errors.is_empty() {
        let language = config.institution.language;
        return Err(AutoReply::CommandErrors(errors.iter().map(|e| e.render(language)).collect()));
    }
    Ok(work.finish())
}

struct Work<'a> {
    facts: &'a TicketFacts,
    author: &'a Mailbox,
    config: &'a Config,
    plan: Plan,
    /// A status asked for by #status.
    status: Option<Status>,
    /// The status #take / #assign imply, when #status says nothing.
    started: Option<Status>,
    solve: bool,
}

impl Work<'_> {
    fn obey(&mut self, command: &Command) -> Result<(), ErrorKind> {
        match command {
            Command::Take => {
                if !self.facts.technicians.contains(&self.author.address) {
                    self.plan.changes.push(Change::AssignTechnician(self.author.clone()));
                }
                self.start_work();
            }
            Command::Assign(target) => self.assign(target)?,
            Command::Observer(target) => self.observe(target)?,
            Command::Status(word) => match status_word(word) {
                Some(Status::Solved) => self.solve = true,
                Some(status) => self.status = Some(status),
                None => return Err(ErrorKind::Status),
            },
            Command::Solve => self.solve = true,
            Command::Private => self.plan.private = true,
            Command::Urgency(word) => {
                let urgency = level(word).ok_or(ErrorKind::Level)?;
                let priority = self.config.tickets.priority_matrix.priority(urgency, self.facts.impact);
                self.plan.changes.push(Change::Urgency { urgency, priority });
            }
            Command::Impact(word) => {
                let impact = level(word).ok_or(ErrorKind::Level)?;
                let priority = self.config.tickets.priority_matrix.priority(self.facts.urgency, impact);
                self.plan.changes.push(Change::Impact { impact, priority });
            }
            Command::Category(path) => {
                let path = self
                    .config
                    .tickets
                    .categories
                    .resolve_in(path, self.config.institution.language)
                    .map_err(ErrorKind::Category)?;
                self.plan.changes.push(Change::Category(path));
            }
            Command::Type(word) => {
                let kind = TicketType::parse(word).ok_or(ErrorKind::Type)?;
                self.plan.changes.push(Change::Type(kind));
            }
            Command::Cancel => self.status = Some(Status::Cancelled),
            Command::Location(place) => {
                let place = place.trim();
                if place.chars().count() > 200 {
                    return Err(ErrorKind::LocationTooLong);
                }
                self.plan.changes.push(Change::Location(place.to_string()));
            }
            Command::For(_) => return Err(ErrorKind::ForOnTicket),
            Command::Help => {}
        }
        Ok(())
    }

    /// `#assign dsi-bai` escalates to a group: the groups and technicians
    /// in charge until now stay on the ticket as observers. `#assign
    /// someone@…` adds a technician beside those in charge.
    fn assign(&mut self, target: &str) -> Result<(), ErrorKind> {
        if let Some(group) = self.config.group(target) {
            let name = group.name.clone();
            if self.facts.assigned_groups.iter().any(|g| g.eq_ignore_ascii_case(&name)) {
                return Ok(());
            }
            for g in &self.facts.assigned_groups {
                self.plan.changes.push(Change::UnassignGroup(g.clone()));
                self.plan.changes.push(Change::ObserveGroup(g.clone()));
            }
            for t in &self.facts.technicians {
                self.plan.changes.push(Change::UnassignTechnician(t.clone()));
                self.plan.changes.push(Change::ObservePerson(Mailbox::new(t, None)));
            }
            // A #take earlier in the same reply hands over too.
            let took = self
                .plan
                .changes
                .iter()
                .position(|c| matches!(c, Change::AssignTechnician(m) if m.address == self.author.address));
            if let Some(i) = took {
                self.plan.changes.remove(i);
                self.plan.changes.push(Change::ObservePerson(self.author.clone()));
            }
            self.plan.changes.push(Change::AssignGroup(name.clone()));
            self.plan.notices.push(Notice::Assigned(Assignee::Group(name)));
        } else {
            let address = address_in(target).map(|m| m.address).filter(|a| self.config.is_technician(a));
            let Some(address) = address else {
                return Err(ErrorKind::Assign(self.config.groups.iter().map(|g| g.name.clone()).collect()));
            };
            if !self.facts.technicians.contains(&address) {
                let name = self.config.technician_name(&address);
                let who = Mailbox::new(&address, name);
                self.plan.changes.push(Change::AssignTechnician(who.clone()));
                self.plan.notices.push(Notice::Assigned(Assignee::Technician(who)));
            }
        }
        self.start_work();
        Ok(())
    }

    fn observe(&mut self, target: &str) -> Result<(), ErrorKind> {
        if let Some(group) = self.config.group(target) {
            if !self.facts.observer_groups.iter().any(|g| g.eq_ignore_ascii_case(&group.name)) {
                self.plan.changes.push(Change::ObserveGroup(group.name.clone()));
            }
            return Ok(());
        }
        let who = address_in(target).ok_or_else(|| ErrorKind::Observer("not one mail address".into()))?;
        if let Some(reason) = policy::refusal(Some(&who), &self.config.institution) {
            return Err(ErrorKind::Observer(reason));
        }
        if !self.facts.observers.contains(&who.address) {
            self.plan.changes.push(Change::ObservePerson(who));
        }
        Ok(())
    }

    /// Taking or assigning a new ticket puts it in progress.
    fn start_work(&mut self) {
        if self.facts.status == Status::New {
            self.started = Some(Status::Assigned);
        }
    }

    fn finish(mut self) -> Plan {
        let previous = self.facts.status;
        if self.solve {
            self.plan.changes.push(Change::ProposeSolution);
            self.plan.changes.push(Change::Status(Status::Solved));
            self.plan.notices.push(Notice::SolutionProposed);
            return self.plan;
        }
        // A plain answer on a ticket nobody has taken takes it, when the
        // author is of the group in charge (or no group is): a technician
        // who only observes, or another group's, adds a note and no more.
        let untaken = self.facts.technicians.is_empty() && !self.plan.changes.iter().any(is_assignment);
        let in_charge = self.facts.assigned_groups.is_empty()
            || self
                .facts
                .assigned_groups
                .iter()
                .any(|g| self.config.group(g).is_some_and(|g| g.has_member(&self.author.address)));
        let observing = self.facts.observers.contains(&self.author.address);
        if untaken && in_charge && !observing && self.plan.changes.is_empty() && !self.plan.text.is_empty() {
            self.plan.changes.push(Change::AssignTechnician(self.author.clone()));
            self.start_work();
        }
        let status = self.status.or(self.started);
        if let Some(status) = status.filter(|s| *s != previous) {
            self.plan.changes.push(Change::Status(status));
            if status == Status::Closed {
                self.plan.notices.push(Notice::Closed);
            } else if self.plan.text.is_empty() || self.plan.private {
                self.plan.notices.push(Notice::StatusChanged { previous });
            }
        }
        // A recipient hears once per reply, from the first notice that
        // reaches them: an assignee reads the note in the assignment, so a
        // public followup comes last; a private one comes first, so that the
        // staff read the note and the requester side only the status.
        if !self.plan.text.is_empty() {
            if self.plan.private {
                self.plan.notices.insert(0, Notice::Followup);
            } else {
                self.plan.notices.push(Notice::Followup);
            }
        }
        self.plan
    }
}

fn is_assignment(change: &Change) -> bool {
    matches!(change, Change::AssignTechnician(_) | Change::AssignGroup(_))
}

/// A status as technicians write it, in either language.
fn status_word(word: &str) -> Option<Status> {
    match fold(word).trim() {
        "assigned" | "en cours" | "attribue" | "assigne" | "processing" => Some(Status::Assigned),
        "planned" | "planifie" => Some(Status::Planned),
        "pending" | "en attente" | "attente" | "waiting" => Some(Status::Pending),
        "solved" | "resolu" => Some(Status::Solved),
        "closed" | "clos" | "ferme" => Some(Status::Closed),
        "cancelled" | "canceled" | "annule" => Some(Status::Cancelled),
        _ => None,
    }
}

/// 1–5, or GLPI's words for them.
fn level(word: &str) -> Option<u8> {
    let word = fold(word);
    let word = word.trim();
    if let Ok(n) = word.parse::<u8>() {
        return (1..=5).contains(&n).then_some(n);
    }
    match word {
        "tres basse" | "very low" => Some(1),
        "basse" | "low" => Some(2),
        "moyenne" | "medium" => Some(3),
        "haute" | "high" => Some(4),
        "tres haute" | "very high" => Some(5),
        _ => None,
    }
}

/// The one address in `#assign a@b`, `#observer Paul <p@b>`; `None` for a
/// list, a name alone or anything else a mail could not be sent to.
fn address_in(target: &str) -> Option<Mailbox> {
    let target = target.trim();
    let address = match (target.rfind('<'), target.rfind('>')) {
        (Some(open), Some(close)) if open < close => &target[open + 1..close],
        _ => target,
    };
    let valid = address.matches('@').count() == 1
        && !address.starts_with('@')
        && !address.ends_with('@')
        && !address.contains(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '"'));
    valid.then(|| Mailbox::new(address, None))
}
