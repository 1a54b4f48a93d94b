//! The decision for one mail, in the order that keeps robots and strangers
//! out before anything is threaded: duplicate, mailgate's own mail, robots,
//! sender policy, limits, then threading and who may add a followup.

use std::sync::Arc;

use super::caller::{self, Caller};
use super::thread::{self, IdKind, MessageIds, ThreadMatch};
use super::trust::{self, Verdict};
use super::{Decision, RefusalNotice, View};
use crate::config::{Config, FollowupPolicy, TrustMode};
use crate::lifecycle::TicketFacts;
use crate::lifecycle::{self, Change};
use crate::mail::reply;
use crate::mail::subject::SubjectToken;
use crate::mail::{InboundMail, Mailbox, noise};
use crate::policy;
use crate::routing::{self, ObserverTarget};
use crate::ticket::{Language, Role, TicketId};

/// The decision rules bound to one configuration, with what can be prepared
/// once (the compiled subject token) prepared once.
pub struct Intake {
    config: Arc<Config>,
    token: SubjectToken,
    own_address: String,
    ids: MessageIds,
    dkim: Option<trust::dkim::Verifier>,
}

impl Intake {
    pub fn new(config: Arc<Config>) -> Self {
        Intake {
            token: SubjectToken::new(&config.institution.subject_tag),
            own_address: config.notifications.own_address(),
            ids: MessageIds::new(&config.notifications.instance, &config.notifications.message_id_domain()),
            dkim: config.trust.verifies_dkim().then(|| trust::dkim::Verifier::new(&config.trust)),
            config,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The DKIM verifier, when `[trust]` counts DKIM as evidence.
    pub fn dkim(&self) -> Option<&trust::dkim::Verifier> {
        self.dkim.as_ref()
    }

    pub fn decide(&self, mail: &InboundMail, view: &dyn View) -> Decision {
        self.decide_with(mail, view, false)
    }

    /// [`Intake::decide`], with the sender taken as authenticated when
    /// `released` (an operator released the mail from quarantine).
    pub fn decide_with(&self, mail: &InboundMail, view: &dyn View, released: bool) -> Decision {
        if let Some(of) = view.earlier_copy(&mail.message_id, &mail.content_hash) {
            return Decision::Duplicate { of };
        }
        if let Some(decision) = self.screen(mail) {
            return self.tell_outsider(mail, decision);
        }
        if self.config.trust.mode == TrustMode::Enforce
            && !released
            && let Some(Verdict::Fail(why)) = trust::verdict(mail, &self.config.trust)
        {
            return Decision::Quarantine {
                reason: format!(
                    "quarantined: the sender could not be authenticated ({why}); `mailgate messages release` lets it through"
                ),
            };
        }
        let max = self.config.limits.max_attachment_bytes;
        if let Some(big) = mail.attachments.iter().find(|a| a.size as u64 > max) {
            let reason = format!(
                "attachment \"{}\" is {} bytes, over limits.max_attachment_bytes ({max})",
                big.filename, big.size
            );
            let notice = RefusalNotice::TooLarge { filename: big.filename.clone(), size: big.size as u64, limit: max };
            return match mail.from.clone() {
                Some(to) => Decision::Decline { reason, to, notice },
                None => Decision::Refuse { reason },
            };
        }
        let Some(from) = mail.from.clone() else {
            return Decision::Refuse { reason: "no sender address in From".into() };
        };
        match thread::find_ticket(mail, view, &self.token, &self.ids, self.config.first_number()) {
            ThreadMatch::Header(ticket) | ThreadMatch::Subject(ticket) => match view.ticket(ticket) {
                Some(facts) => self.followup_or_new(mail, from, &facts),
                None => self.new_ticket(mail, from, None, None),
            },
            ThreadMatch::UnknownTicket(n) => {
                let note = format!("the subject names ticket #{n}, which does not exist");
                self.new_ticket(mail, from, Some(note), None)
            }
            ThreadMatch::OldSystem(n) => {
                let note = format!(
                    "suite de GLPI #{n}: the thread names ticket {n} of the system mailgate replaced \
                     (below tickets.first_number {}), so it opens a new ticket",
                    self.config.first_number()
                );
                let mut decision = self.new_ticket(mail, from, Some(note), None);
                if let Decision::NewTicket { previous_number, .. } = &mut decision {
                    *previous_number = Some(n);
                }
                decision
            }
            ThreadMatch::OtherMailgate => Decision::Ignore {
                reason: "it answers a notification of another mailgate of this domain; that ticket is not one of ours"
                    .into(),
            },
            ThreadMatch::None => {
                // A person answered the daily digest, which is about many
                // tickets: what they wrote is a request of its own.
                let note = mail.thread_ids().any(|id| self.ids.is_digest(id)).then(|| {
                    "a reply to the daily digest, which names no ticket, so it opens a ticket of its own".to_string()
                });
                self.new_ticket(mail, from, note, None)
            }
        }
    }

    /// A refusal of a plain outside address becomes a [`Decision::Decline`]
    /// when `institution.refusal_reply` is on; anything else stays as decided.
    fn tell_outsider(&self, mail: &InboundMail, decision: Decision) -> Decision {
        let Decision::Refuse { reason } = decision else { return decision };
        let outsider = mail.from.as_ref().filter(|f| {
            crate::mail::address::plain(&f.address).is_ok()
                && !policy::is_institutional(f.domain(), &self.config.institution.allowed_domains)
        });
        match outsider {
            Some(to) if self.config.institution.refusal_reply => {
                Decision::Decline { reason, to: to.clone(), notice: RefusalNotice::Outside }
            }
            _ => Decision::Refuse { reason },
        }
    }

    /// mailgate's own address or one of the aliases that reach it: never
    /// an observer, so never written to.
    fn is_ours(&self, address: &str) -> bool {
        address == self.own_address || self.config.institution.aliases.iter().any(|a| a == address)
    }

    /// The checks that read only headers and configuration: mailgate's own
    /// mail, robots, the sender policy. They run before a mail's body is
    /// read (see [`crate::mail::parse::parse_screened`]), so a stranger's
    /// or a robot's body costs nothing whatever it holds; `decide` runs them
    /// again, in its order.
    pub fn screen(&self, mail: &InboundMail) -> Option<Decision> {
        // Another helpdesk's notification first, named as such.
        if let Some(noise) = noise::other_helpdesk(mail) {
            return Some(Decision::Ignore { reason: noise.reason() });
        }
        if mail.from.as_ref().is_some_and(|f| f.address == self.own_address) || self.ids.is_ours(&mail.message_id) {
            return Some(Decision::Ignore {
                reason: "from mailgate's own address: never answered, so it cannot loop".into(),
            });
        }
        if matches!(
            self.ids.classify(&mail.message_id),
            IdKind::OtherInstance | IdKind::Legacy(_) | IdKind::LegacyDigest
        ) {
            return Some(Decision::Ignore {
                reason: "a notification written by a mailgate of this domain: never answered, so it cannot loop".into(),
            });
        }
        if let Some(noise) = noise::classify(mail, self.config.ignore_lists) {
            return Some(Decision::Ignore { reason: noise.reason() });
        }
        policy::refusal(mail.from.as_ref(), &self.config.institution).map(|reason| Decision::Refuse { reason })
    }

    fn followup_or_new(&self, mail: &InboundMail, from: Mailbox, facts: &TicketFacts) -> Decision {
        // A configured technician acts as one on every ticket, even one they
        // only observe since an escalation; the requester of a ticket is its
        // requester even when they are a technician.
        let role = if facts.requester.eq_ignore_ascii_case(&from.address) {
            Some(Role::Requester)
        } else if self.config.is_technician(&from.address) {
            Some(Role::Technician)
        } else {
            facts.role_of(&from.address).or_else(|| {
                (self.config.tickets.followup_policy == FollowupPolicy::Institution).then_some(Role::Observer)
            })
        };
        let Some(role) = role else {
            let note =
                format!("{} is not an actor of ticket #{}, so the reply opens its own ticket", from.address, facts.id);
            return self.new_ticket(mail, from, Some(note), Some(facts.id));
        };
        if facts.status.is_finished() && role == Role::Requester && !self.config.tickets.reopen_on_reply {
            let note = format!("ticket #{} is {} and tickets.reopen_on_reply is false", facts.id, facts.status);
            return self.new_ticket(mail, from, Some(note), Some(facts.id));
        }
        let written = reply::written_part(&mail.text);
        if written.trim().is_empty() && mail.attachments.is_empty() {
            // Only the quoted mail: nothing to add, and nobody to disturb,
            // but the record says so rather than a followup that is not there.
            return Decision::Ignore {
                reason: format!(
                    "a reply to ticket #{} that held no new text (only the quoted mail): nothing added to the ticket, \
                     nobody notified; its raw copy is kept (`mailgate messages raw ID`)",
                    facts.id
                ),
            };
        }
        match lifecycle::plan(facts, &from, role, &written, &self.config) {
            Ok(mut plan) => {
                plan.changes.extend(self.new_observers(mail, facts).into_iter().map(Change::ObservePerson));
                Decision::Followup { ticket: facts.id, author: from, role, plan }
            }
            Err(reply) => Decision::AutoReply { ticket: facts.id, author: from, reply },
        }
    }

    /// Colleagues in Cc of a later reply join the ticket as observers, as
    /// on the first mail: of the institution, not the staff (who hear as
    /// staff), within `limits.max_observers` counting those already there.
    fn new_observers(&self, mail: &InboundMail, facts: &TicketFacts) -> Vec<Mailbox> {
        let room = self.config.limits.max_observers.saturating_sub(facts.observers.len());
        let requester = Mailbox::new(&facts.requester, None);
        self.observers(mail, &requester)
            .into_iter()
            .filter(|cc| facts.role_of(&cc.address).is_none() && !self.config.is_staff_address(&cc.address))
            .take(room)
            .collect()
    }

    fn new_ticket(
        &self,
        mail: &InboundMail,
        from: Mailbox,
        note: Option<String>,
        related: Option<TicketId>,
    ) -> Decision {
        let (requester, opened_by, note) = self.requester_of(mail, from, note);
        let mut routing = routing::route(&self.config, mail);
        // Opened for a caller: the entity is the caller's, unless a rule named one.
        if let Some(technician) = &opened_by
            && routing.entity == self.config.entity_for(technician)
        {
            routing.entity = self.config.entity_for(&requester);
        }
        if let Some(reason) = routing.refuse {
            let rule = routing.rule.as_deref().unwrap_or("?");
            return Decision::Refuse { reason: format!("rule \"{rule}\": {reason}") };
        }
        let mut observers = self.observers(mail, &requester);
        for target in &routing.observers {
            if let ObserverTarget::Person(address) = target
                && *address != requester.address
                && !self.is_ours(address)
                && !observers.iter().any(|o| o.address == *address)
            {
                observers.push(Mailbox::new(address, None));
            }
        }
        // The bound holds whichever way observers come: no first mail can
        // make mailgate write to more people than this.
        observers.truncate(self.config.limits.max_observers);
        let previous_number = None;
        Decision::NewTicket {
            title: self.title(mail),
            observers,
            requester,
            routing,
            note,
            related,
            opened_by,
            previous_number,
        }
    }

    /// Who a new ticket is for: its sender, or, when a technician forwards
    /// a user's mail or writes `#pour adresse`, that user (of the
    /// institution: an outside address must not receive a ticket's news),
    /// the technician being who opened it.
    fn requester_of(
        &self,
        mail: &InboundMail,
        from: Mailbox,
        note: Option<String>,
    ) -> (Mailbox, Option<Mailbox>, Option<String>) {
        if !self.config.is_technician(&from.address) {
            return (from, None, note);
        }
        let written = reply::written_part(&mail.text);
        let user = match caller::caller(mail, &written) {
            None => return (from, None, note),
            Some(Caller::Named(user) | Caller::Forwarded(user)) => user,
            Some(Caller::Unreadable(target)) => {
                let why = format!("#for \"{target}\" names no one mail address: the technician is the requester");
                return (from, None, Some(why));
            }
        };
        if user.address == from.address || self.is_ours(&user.address) {
            return (from, None, note);
        }
        if let Some(reason) = policy::refusal(Some(&user), &self.config.institution) {
            let why = format!("opened for {} refused ({reason}): the technician is the requester", user.address);
            return (from, None, Some(why));
        }
        (user, Some(from), note)
    }

    /// The subject without prefixes and token; failing that the first line
    /// of the text, so that a ticket list never shows an empty title.
    fn title(&self, mail: &InboundMail) -> String {
        let title = self.token.title(&mail.subject);
        if !title.is_empty() {
            return title;
        }
        let first_line = mail.text.lines().map(str::trim).find(|l| !l.is_empty() && !l.contains("=-=-=-="));
        match first_line {
            Some(line) => self.token.title(&crate::text::one_line(line, 81)),
            None => match self.config.institution.language {
                Language::Fr => "(sans objet)".into(),
                Language::En => "(no subject)".into(),
            },
        }
    }

    /// Colleagues in Cc of the first mail follow the ticket, when they belong
    /// to the institution: an outside address must not receive its updates.
    fn observers(&self, mail: &InboundMail, requester: &Mailbox) -> Vec<Mailbox> {
        if !self.config.tickets.cc_as_observers {
            return Vec::new();
        }
        let mut observers: Vec<Mailbox> = Vec::new();
        for cc in &mail.cc {
            let keep = cc.address != requester.address
                && !self.is_ours(&cc.address)
                && policy::refusal(Some(cc), &self.config.institution).is_none()
                && !observers.iter().any(|o| o.address == cc.address);
            if keep {
                observers.push(cc.clone());
            }
            if observers.len() >= self.config.limits.max_observers {
                break;
            }
        }
        observers
    }
}
