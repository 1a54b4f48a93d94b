//! Who may write to the support address: senders of the institution's
//! domains (or their subdomains), minus blocked addresses. Comparison is on
//! the decoded, lower-cased address, so `Marie.Dupont@AC-EXEMPLE.FR` is the
//! same person, and `ac-exemple.fr.evil.com` is not the institution.

use crate::config::Institution;
use crate::mail::Mailbox;

/// Why a sender is not served, as recorded; `None` when the sender is served.
pub fn refusal(from: Option<&Mailbox>, institution: &Institution) -> Option<String> {
    let Some(from) = from else {
        return Some("no sender address in From".into());
    };
    if institution.blocked_addresses.contains(&from.address) {
        return Some(format!("sender {} is blocked (institution.blocked_addresses)", from.address));
    }
    let domain = from.domain();
    if domain.is_empty() || from.local_part().is_empty() {
        return Some(format!("sender \"{}\" is not a mail address", from.address));
    }
    if is_institutional(domain, &institution.allowed_domains) {
        None
    } else {
        Some(format!("sender domain {domain} is not in institution.allowed_domains"))
    }
}

/// `domain` is one of `allowed` or a subdomain of one (`clg-moulin.ac-exemple.fr`).
pub fn is_institutional(domain: &str, allowed: &[String]) -> bool {
    let domain = domain.trim_end_matches('.').to_lowercase();
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
            subject_tag: "GLPI".into(),
            ticket_url: "https://helpdesk/{id}".into(),
            language: Language::Fr,
        }
    }

    #[test]
    fn sender_policy_table() {
        let cases: [(&str, Option<&str>, Option<&str>); 9] = [
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
            ("address without domain is refused", Some("marie"), Some("not a mail address")),
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
