//! Who may write to the support address: senders of the institution's
//! domains (or their subdomains), minus blocked addresses, with a plain
//! address (see [`crate::mail::address`]: no percent hack, no bang path, no
//! trailing dot). Comparison is on the decoded, lower-cased address, so
//! `Marie.Dupont@AC-EXEMPLE.FR` is the same person, and
//! `ac-exemple.fr.evil.com` is not the institution. The same rule admits Cc
//! observers and `#observer` targets.

use crate::config::Institution;
use crate::mail::{Mailbox, address};

/// Why a sender is not served, as recorded; `None` when the sender is served.
pub fn refusal(from: Option<&Mailbox>, institution: &Institution) -> Option<String> {
    let Some(from) = from else {
        return Some("no sender address in From".into());
    };
    if let Err(e) = address::plain(&from.address) {
        return Some(format!("sender \"{}\" is not a plain mail address: {e}", shown(&from.address)));
    }
    if institution.blocked_addresses.contains(&from.address) {
        return Some(format!("sender {} is blocked (institution.blocked_addresses)", from.address));
    }
    let domain = from.domain();
    if is_institutional(domain, &institution.allowed_domains) {
        None
    } else {
        Some(format!("sender domain {domain} is not in institution.allowed_domains"))
    }
}

/// An address as it may be shown in a reason: one line, bounded.
fn shown(address: &str) -> String {
    crate::text::one_line(address, 80)
}

/// `domain` is one of `allowed` or a subdomain of one (`clg-moulin.ac-exemple.fr`).
pub fn is_institutional(domain: &str, allowed: &[String]) -> bool {
    let domain = domain.to_lowercase();
    allowed.iter().any(|a| {
        domain == *a
            || (domain.len() > a.len()
                && domain.ends_with(a.as_str())
                && domain[..domain.len() - a.len()].ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::Language;

    fn institution() -> Institution {
        Institution {
            name: "Académie d'Exemple".into(),
            allowed_domains: vec!["ac-exemple.fr".into()],
            blocked_addresses: vec!["banni@ac-exemple.fr".into()],
            aliases: vec![],
            refusal_reply: false,
            subject_tag: "GLPI".into(),
            ticket_url: Some("https://helpdesk/{id}".into()),
            language: Language::Fr,
        }
    }

    #[test]
    fn sender_policy_table() {
        let cases: [(&str, Option<&str>, Option<&str>); 14] = [
            ("exact domain is served", Some("marie.dupont@ac-exemple.fr"), None),
            ("subdomain is served", Some("sec@clg-moulin.ac-exemple.fr"), None),
            ("case does not matter", Some("Marie.Dupont@AC-EXEMPLE.FR"), None),
            ("foreign domain is refused", Some("someone@gmail.com"), Some("not in institution.allowed_domains")),
            (
                "lookalike suffix is refused",
                Some("x@ac-exemple.fr.evil.com"),
                Some("not in institution.allowed_domains"),
            ),
            ("glued prefix is refused", Some("x@notac-exemple.fr"), Some("not in institution.allowed_domains")),
            ("blocked address is refused", Some("banni@ac-exemple.fr"), Some("blocked")),
            ("address without domain is refused", Some("marie"), Some("not a plain mail address")),
            ("the percent hack is refused", Some("evil%evil.com@ac-exemple.fr"), Some("not a plain mail address")),
            ("a bang path is refused", Some("evil.com!evil@ac-exemple.fr"), Some("not a plain mail address")),
            ("a trailing dot is refused", Some("jean@ac-exemple.fr."), Some("ends with a dot")),
            ("a space is refused", Some("jean dupont@ac-exemple.fr"), Some("not a plain mail address")),
            ("a NUL is refused", Some("jean\0@ac-exemple.fr"), Some("not a plain mail address")),
            ("no sender is refused", None, Some("no sender")),
        ];
        let inst = institution();
        for (name, from, expected) in cases {
            let mailbox = from.map(|a| Mailbox::new(a, None));
            let got = refusal(mailbox.as_ref(), &inst);
            match expected {
                None => assert_eq!(got, None, "{name}"),
                Some(fragment) => assert!(got.as_deref().is_some_and(|r| r.contains(fragment)), "{name}: got {got:?}"),
            }
        }
    }
}
