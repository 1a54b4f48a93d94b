//! An action on a ticket that does not come by mail: a button or a form of
//! the web pages (or an operator's command). It is planned by the same
//! functions as the matching mail ([`lifecycle::requester_answer`] for the
//! requester side's answers and followups, [`lifecycle::technician_plan`]
//! for a technician's commands) and applied by the same [`apply_reply`], so
//! that its history and notifications are those of the mail, but for the
//! door recorded in the history. Its notifications answer no mail: they
//! refer to the ticket's thread root, as the auto-close's do.

use super::{Reply, apply_reply};
use crate::config::Config;
use crate::lifecycle::commands::{self, Command, RequesterAction};
use crate::lifecycle::{self, AutoReply, Plan, TicketFacts};
use crate::mail::{Attachment, Mailbox};
use crate::notify::Notifier;
use crate::store::{StoreError, Tx};
use crate::ticket::{Door, Role, TicketId};

/// One action on a ticket, from a door that is not a mail.
#[derive(Debug, Clone)]
pub struct Act {
    pub ticket: TicketId,
    /// Who acts: for the web, the address the personal link was made for.
    pub author: Mailbox,
    /// The role they act in; checked against the ticket and the configuration.
    pub role: Role,
    pub what: ActRequest,
    /// The followup's text: the reason of a refusal, a cancellation's word,
    /// the solution of `#solve`; may be empty.
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub door: Door,
}

/// What the action asks for, as the matching mail would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActRequest {
    /// A followup ("Ajouter un suivi"); `private` is a technician's only.
    Followup {
        private: bool,
    },
    AcceptSolution,
    RejectSolution,
    /// « Annuler ma demande »: the requester's only.
    Cancel,
    /// A technician's commands, as read from a mail (`#take`, `#solve`…).
    Commands(Vec<Command>),
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted {
    pub ticket: TicketId,
    /// The followup written, when the action had text or files.
    pub followup: Option<i64>,
    pub notifications: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("there is no ticket #{0}")]
    NoTicket(TicketId),
    /// The author may not act so on this ticket (not its requester, not a
    /// technician...): a web page should not have offered it.
    #[error("{0}")]
    NotAllowed(String),
    /// A technician's commands that cannot be obeyed; nothing was changed.
    /// One line per command, in the configured language, as the mail answer says.
    #[error("the commands were not applied: {}", .0.join("; "))]
    Commands(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The plan of `act` on the ticket as it stands: the same as the matching
/// mail's. Pure.
pub fn plan(facts: &TicketFacts, act: &Act, config: &Config) -> Result<Plan, ActError> {
    let who = &act.author.address;
    let allowed = match act.role {
        Role::Requester => facts.role_of(who) == Some(Role::Requester),
        Role::Observer => facts.role_of(who) == Some(Role::Observer),
        Role::Technician => config.is_technician(who),
    };
    if !allowed {
        return Err(ActError::NotAllowed(format!(
            "{who} is not {} of ticket #{}",
            match act.role {
                Role::Requester => "the requester",
                Role::Observer => "an observer",
                Role::Technician => "a technician who may act on",
            },
            facts.id
        )));
    }
    let refused = |what: &str| Err(ActError::NotAllowed(format!("{what} on ticket #{}", facts.id)));
    let answer = |action| Ok(lifecycle::requester_answer(facts, &act.author, act.role, action, &act.text, &act.text));
    match (&act.what, act.role) {
        (ActRequest::Commands(given), Role::Technician) => technician(facts, act, given.clone(), config),
        (ActRequest::Followup { private }, Role::Technician) => {
            let given = if *private { vec![Command::Private] } else { Vec::new() };
            technician(facts, act, given, config)
        }
        (ActRequest::Cancel, Role::Technician) => technician(facts, act, vec![Command::Cancel], config),
        (ActRequest::Followup { private: false }, _) => answer(None),
        (ActRequest::AcceptSolution, Role::Requester) => answer(Some(RequesterAction::Accept)),
        (ActRequest::RejectSolution, Role::Requester) => answer(Some(RequesterAction::Reject)),
        (ActRequest::Cancel, Role::Requester) => answer(Some(RequesterAction::Cancel)),
        (ActRequest::Followup { private: true }, _) => refused("only a technician may write a private followup"),
        (ActRequest::Commands(_), _) => refused("only a technician may give commands"),
        (ActRequest::AcceptSolution | ActRequest::RejectSolution | ActRequest::Cancel, _) => {
            refused("only the requester may answer a solution or cancel the request")
        }
    }
}

fn technician(facts: &TicketFacts, act: &Act, given: Vec<Command>, config: &Config) -> Result<Plan, ActError> {
    match lifecycle::technician_plan(facts, &act.author, commands::given(given, &act.text), config) {
        Ok(plan) => Ok(plan),
        Err(AutoReply::CommandErrors(lines)) => Err(ActError::Commands(lines)),
        Err(AutoReply::Help) => Err(ActError::NotAllowed("#help is answered by mail only".into())),
    }
}

/// Reads the ticket, plans `act` and applies the plan, in the transaction
/// of `tx` (whose door is the act's).
pub fn run(tx: &Tx<'_>, act: &Act, config: &Config, notifier: &Notifier, at: &str) -> Result<Acted, ActError> {
    let facts = tx.ticket_facts(act.ticket)?.ok_or(ActError::NoTicket(act.ticket))?;
    let plan = plan(&facts, act, config)?;
    let reply = Reply {
        ticket: act.ticket,
        author: &act.author,
        role: act.role,
        plan: &plan,
        message_row: None,
        files: &act.attachments,
        at,
        answered: notifier.thread_root(act.ticket),
        quote: true,
    };
    let replied = apply_reply(tx, &reply, notifier)?;
    Ok(Acted { ticket: act.ticket, followup: replied.followup, notifications: replied.notifications })
}
