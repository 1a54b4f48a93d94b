//! The inbound loop guard. A responder that sends no robot header and
//! answers every mail (an old vacation script, a ticketing system of a
//! supplier) would trade mails with mailgate forever. Such a loop shows on
//! the inbound side first: one outside address writing, within the hour,
//! more mails than a person does, each of which mailgate would answer.
//! Past `intake.max_mails_per_sender_per_hour`, that sender's further mails
//! are recorded (raw copy kept, reason in `messages list`) and not
//! answered. The staff are never guarded: a technician closing twenty
//! tickets in a morning is work, not a loop. Pure: the pipeline counts.

use super::Decision;
use crate::config::Config;

/// Whether a decision would make mailgate write to the mail's sender or
/// to the people of a ticket.
pub fn answers(decision: &Decision) -> bool {
    matches!(decision, Decision::NewTicket { .. } | Decision::Followup { .. } | Decision::AutoReply { .. })
}

/// `decision`, or the recorded silence that replaces it when `sender`
/// already had `answered_last_hour` mails answered within the hour.
pub fn guard(decision: Decision, sender: Option<&str>, answered_last_hour: u32, config: &Config) -> Decision {
    let limit = config.intake.max_mails_per_sender_per_hour;
    let Some(sender) = sender else { return decision };
    if limit == 0 || !answers(&decision) || config.is_staff_address(sender) || answered_last_hour < limit {
        return decision;
    }
    Decision::Ignore {
        reason: format!(
            "loop guard: {sender} had {answered_last_hour} mails answered in the last hour, \
             intake.max_mails_per_sender_per_hour is {limit}; recorded, not answered \
             (`mailgate messages replay ID` once the loop is stopped)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limit: u32) -> Config {
        let text = format!(
            "[database]\npath = \"x.db\"\n[institution]\nname = \"I\"\nallowed_domains = [\"ac-exemple.fr\"]\n\
             ticket_url = \"https://h/{{id}}\"\n[intake]\nmax_mails_per_sender_per_hour = {limit}\n\
             [notifications]\nfrom = \"support@ac-exemple.fr\"\ntransport = \"file\"\ndir = \"o\"\n\
             [[technicians]]\nemail = \"alice@ac-exemple.fr\"\nname = \"Alice\"\n\
             [[groups]]\nname = \"bai\"\nmembers = [\"bruno@ac-exemple.fr\"]\nmail = \"bai@ac-exemple.fr\"\n"
        );
        Config::from_toml(&text, std::path::Path::new("t.toml"), std::path::Path::new("/tmp")).expect("config")
    }

    fn followup() -> Decision {
        Decision::Followup {
            ticket: 1,
            author: crate::mail::Mailbox::new("x@ac-exemple.fr", None),
            role: crate::ticket::Role::Requester,
            plan: crate::lifecycle::Plan::default(),
        }
    }

    #[test]
    fn a_sender_past_the_hourly_limit_is_recorded_unanswered_and_the_staff_never_are() {
        let cases = [
            ("under the limit", "robot@ac-exemple.fr", 9, 10, true),
            ("at the limit", "robot@ac-exemple.fr", 10, 10, false),
            ("a technician", "alice@ac-exemple.fr", 500, 10, true),
            ("a group member", "bruno@ac-exemple.fr", 500, 10, true),
            ("a group's list", "bai@ac-exemple.fr", 500, 10, true),
            ("0 disables", "robot@ac-exemple.fr", 500, 0, true),
        ];
        for (name, sender, count, limit, answered) in cases {
            let decided = guard(followup(), Some(sender), count, &config(limit));
            assert_eq!(answers(&decided), answered, "{name}: {decided:?}");
        }
        let Decision::Ignore { reason } = guard(followup(), Some("robot@ac-exemple.fr"), 10, &config(10)) else {
            panic!("held")
        };
        assert!(reason.contains("intake.max_mails_per_sender_per_hour is 10"), "{reason}");
    }

    #[test]
    fn what_is_not_answered_anyway_is_left_as_it_is() {
        let refuse = Decision::Refuse { reason: "outside".into() };
        assert_eq!(guard(refuse.clone(), Some("robot@ac-exemple.fr"), 99, &config(1)), refuse);
    }
}
