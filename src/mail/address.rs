//! What mailgate takes for a mail address, wherever one enters (From, Cc,
//! `#observer`, the configuration) and before any notification is addressed:
//! `local@domain`, nothing else. RFC 5322 allows much more than people use,
//! and relays act on the rest: Postfix's defaults for local domains turn
//! `evil%evil.com@ac-exemple.fr` (the percent hack) and
//! `evil.com!evil@ac-exemple.fr` (a bang path) into mail for evil.com, so an
//! address that passed the allowlist as institutional would make mailgate a
//! relay. lettre's parser checks the syntax (dot-atom or quoted local part,
//! a valid domain); this module then keeps only dot-atom local parts without
//! `%` or `!`, domains without a trailing dot or address literal, and writes
//! the domain in ASCII (IDNA), lower-cased, so comparisons are exact.

use std::str::FromStr;

/// Why a text is not a plain mail address; the text itself is not
/// repeated (the caller shows it, neutralised).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("not of the form local@domain")]
    Syntax,
    #[error("the local part carries '{0}', which relays may route elsewhere")]
    Routing(char),
    #[error("the local part is quoted or carries spaces or control characters")]
    Quoted,
    #[error("the local part is not ASCII")]
    NonAscii,
    #[error("the domain ends with a dot")]
    TrailingDot,
    #[error("the domain is an address literal or has no dot")]
    NotAHostName,
    #[error("the domain is not a valid (internationalised) domain name")]
    Domain,
}

/// `address` as mailgate stores and compares it (`local@domain`, lower-case,
/// the domain in ASCII), or why it is not a plain mail address.
pub fn plain(address: &str) -> Result<String, AddressError> {
    if address.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\') {
        return Err(AddressError::Quoted);
    }
    let (local, domain) = address.rsplit_once('@').ok_or(AddressError::Syntax)?;
    if let Some(c) = local.chars().find(|c| matches!(c, '%' | '!' | '@')) {
        return Err(AddressError::Routing(c));
    }
    if !local.is_ascii() {
        return Err(AddressError::NonAscii);
    }
    if domain.ends_with('.') {
        return Err(AddressError::TrailingDot);
    }
    if domain.starts_with('[') || !domain.contains('.') {
        return Err(AddressError::NotAHostName);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| AddressError::Domain)?;
    let parsed = lettre::Address::from_str(&format!("{local}@{ascii}")).map_err(|_| AddressError::Syntax)?;
    Ok(format!("{}@{}", parsed.user(), parsed.domain()).to_lowercase())
}

/// A configured domain (`institution.allowed_domains`, an entity's domain)
/// as addresses are compared against it: ASCII, lower-case, no trailing dot.
pub fn plain_domain(domain: &str) -> Result<String, AddressError> {
    let domain = domain.trim();
    if domain.ends_with('.') {
        return Err(AddressError::TrailingDot);
    }
    if domain.starts_with('[') || !domain.contains('.') {
        return Err(AddressError::NotAHostName);
    }
    idna::domain_to_ascii_strict(domain).map(|d| d.to_lowercase()).map_err(|_| AddressError::Domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_table() {
        let cases: &[(&str, &str, Result<&str, AddressError>)] = &[
            ("an ordinary address", "marie.dupont@ac-exemple.fr", Ok("marie.dupont@ac-exemple.fr")),
            ("case is folded", "Marie.Dupont@AC-Exemple.FR", Ok("marie.dupont@ac-exemple.fr")),
            ("a plus tag is a plain address", "marie+imprimante@ac-exemple.fr", Ok("marie+imprimante@ac-exemple.fr")),
            ("a subdomain", "sec@clg-moulin.ac-exemple.fr", Ok("sec@clg-moulin.ac-exemple.fr")),
            ("an IDN domain is written in ASCII", "marie@école.fr", Ok("marie@xn--cole-9oa.fr")),
            ("the percent hack", "evil%evil.com@ac-exemple.fr", Err(AddressError::Routing('%'))),
            ("a bang path", "evil.com!evil@ac-exemple.fr", Err(AddressError::Routing('!'))),
            ("a quoted local part hiding an @", "evil@evil.com@ac-exemple.fr", Err(AddressError::Routing('@'))),
            ("quotes", "\"jean dupont\"@ac-exemple.fr", Err(AddressError::Quoted)),
            ("a trailing dot", "jean@ac-exemple.fr.", Err(AddressError::TrailingDot)),
            ("a space", "jean @ac-exemple.fr", Err(AddressError::Quoted)),
            ("a NUL", "jean\0@ac-exemple.fr", Err(AddressError::Quoted)),
            ("a line break", "jean@ac-exemple.fr\r\nBcc: x@evil.com", Err(AddressError::Quoted)),
            ("an address literal", "root@[127.0.0.1]", Err(AddressError::NotAHostName)),
            ("a bare host", "root@localhost", Err(AddressError::NotAHostName)),
            ("no at sign", "marie.dupont", Err(AddressError::Syntax)),
            ("an empty local part", "@ac-exemple.fr", Err(AddressError::Syntax)),
            ("a leading dot", ".marie@ac-exemple.fr", Err(AddressError::Syntax)),
            ("two dots in a row", "marie..dupont@ac-exemple.fr", Err(AddressError::Syntax)),
            ("a non-ASCII local part", "élève@ac-exemple.fr", Err(AddressError::NonAscii)),
            ("a domain label with an underscore", "x@ac_exemple.fr", Err(AddressError::Domain)),
        ];
        let mut failures = Vec::new();
        for (name, input, expected) in cases {
            let got = plain(input);
            if got.as_deref().map_err(Clone::clone) != *expected {
                failures.push(format!("{name}: {input:?} gave {got:?}, expected {expected:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn configured_domains_are_compared_in_ascii() {
        assert_eq!(plain_domain("École.FR").as_deref(), Ok("xn--cole-9oa.fr"));
        assert_eq!(plain_domain("ac-exemple.fr."), Err(AddressError::TrailingDot));
    }
}
