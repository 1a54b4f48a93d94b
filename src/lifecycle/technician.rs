//! A technician's reply: its commands resolved against the configuration
//! (groups, technicians, categories, the priority matrix) and the ticket as
//! it stands. All commands of a reply are obeyed, or none: one that cannot
//! be obeyed makes the whole reply an error answer, so that a technician
//! never has to guess which half of their mail took effect.

use super::commands::{self, Command, fold};
use super::{Assignee, AutoReply, Change, Notice, Plan, in_progress};
use crate::config::Config;
use crate::intake::TicketFacts;
use crate::intake::policy;
use crate::mail::Mailbox;
use crate::ticket::{Status, TicketType};

pub(super) fn plan(facts: &TicketFacts, author: &Mailbox, written: &str, config: &Config) -> Result<Plan, AutoReply> {
    let block = commands::parse(written);
    if block.commands.contains(&Command::Help) {
        return Err(AutoReply::Help);
    }
    let mut errors = block.errors.clone();
    let mut work = Work { facts, author, config, plan: Plan::default(), status: None, started: None, solve: false };
    for command in &block.commands {
        if let Err(e) = work.obey(command) {
            errors.push(e);
        }
    }
    work.plan.text = block.text.clone();
    if work.solve && work.plan.text.is_empty() {
        errors.push("#solve: write the solution below the command".into());
    }
    if work.solve && work.plan.private {
        errors.push("#solve and #private: a solution is sent to the requester, it cannot be private".into());
    }
    if work.solve && work.status.is_some() {
        errors.push("#solve and #status: #solve already sets the status to solved".into());
    }
    if !errors.is_empty() {
        return Err(AutoReply::CommandErrors(errors));
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
    fn obey(&mut self, command: &Command) -> Result<(), String> {
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
                None => {
                    return Err(format!(
                        "#status {word}: expected assigned (en cours), planned (planifié), pending (en attente), solved (résolu) or closed (clos)"
                    ));
                }
            },
            Command::Solve => self.solve = true,
            Command::Private => self.plan.private = true,
            Command::Urgency(word) => {
                let urgency = level(word).ok_or_else(|| level_error("urgency", word))?;
                let priority = self.config.tickets.priority_matrix.priority(urgency, self.facts.impact);
                self.plan.changes.push(Change::Urgency { urgency, priority });
            }
            Command::Impact(word) => {
                let impact = level(word).ok_or_else(|| level_error("impact", word))?;
                let priority = self.config.tickets.priority_matrix.priority(self.facts.urgency, impact);
                self.plan.changes.push(Change::Impact { impact, priority });
            }
            Command::Category(path) => {
                let path = self
                    .config
                    .tickets
                    .categories
                    .resolve_in(path, self.config.institution.language)
                    .map_err(|e| format!("#category {path}: {e}"))?;
                self.plan.changes.push(Change::Category(path));
            }
            Command::Type(word) => {
                let kind = TicketType::parse(word)
                    .ok_or_else(|| format!("#type {word}: expected incident or request (demande)"))?;
                self.plan.changes.push(Change::Type(kind));
            }
            Command::Help => {}
        }
        Ok(())
    }

    /// `#assign dsi-bai` escalates to a group: the groups and technicians
    /// in charge until now stay on the ticket as observers. `#assign
    /// someone@…` adds a technician beside those in charge.
    fn assign(&mut self, target: &str) -> Result<(), String> {
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
            let address = fold(target.trim().trim_matches(['<', '>']));
            if !self.config.is_technician(&address) {
                let groups: Vec<&str> = self.config.groups.iter().map(|g| g.name.as_str()).collect();
                return Err(format!(
                    "#assign {target}: no group or technician of that name (groups: {})",
                    if groups.is_empty() { "none configured".to_string() } else { groups.join(", ") }
                ));
            }
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

    fn observe(&mut self, target: &str) -> Result<(), String> {
        if let Some(group) = self.config.group(target) {
            if !self.facts.observer_groups.iter().any(|g| g.eq_ignore_ascii_case(&group.name)) {
                self.plan.changes.push(Change::ObserveGroup(group.name.clone()));
            }
            return Ok(());
        }
        let who = Mailbox::new(target.trim().trim_matches(['<', '>']), None);
        if let Some(reason) = policy::refusal(Some(&who), &self.config.institution) {
            return Err(format!("#observer {target}: not a group, nor an address of the institution ({reason})"));
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
        // A plain answer on a ticket nobody has taken takes it.
        let untaken = self.facts.technicians.is_empty() && !self.plan.changes.iter().any(is_assignment);
        if untaken && self.plan.changes.is_empty() && !self.plan.text.is_empty() {
            self.plan.changes.push(Change::AssignTechnician(self.author.clone()));
            self.start_work();
        }
        // A technician's answer to a ticket left solved or closed re-opens it.
        let status = self.status.or(self.started).or_else(|| {
            (!self.plan.text.is_empty() && matches!(previous, Status::Solved | Status::Closed))
                .then(|| in_progress(self.facts))
        });
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

fn level_error(name: &str, word: &str) -> String {
    format!("#{name} {word}: expected 1 (very low) to 5 (very high)")
}
