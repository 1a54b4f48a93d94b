//! Whether a mail's sender is who its From header says, as far as the
//! institution's receiving server could tell (RFC 8601). The From header is
//! whatever a sender types; what can be believed is the
//! `Authentication-Results` header that the institution's own server adds,
//! recognised by its authserv-id. Only the topmost such header counts: a
//! sender can add headers below it, never above it, and RFC 8601 asks the
//! server to remove any carrying its own id that arrived from outside.
//!
//! The rule is DMARC's: a `dmarc=pass` passes and a `dmarc=fail` fails; for
//! a domain without a DMARC result, a DKIM signature or an SPF pass whose
//! domain is aligned with the From domain (the same domain, or one a
//! subdomain of the other) passes. Mail handed over by a configured trusted
//! relay (internal submission) passes without a header.
//!
//! With `trust.evidence` naming `"dkim"`, mailgate's own DKIM verification
//! ([`dkim`]) counts too: a genuine signature whose domain is aligned with
//! the From domain passes, whatever the header says. Either proof is
//! enough. A key that could not be looked up proves nothing: the mail
//! fails, with `dkim=temperror` in the reason, so that enforce mode holds
//! it in quarantine rather than lose it or let it through; `messages
//! replay` verifies it again once DNS answers, `messages release` vouches
//! for it. SPF and DMARC are not evaluated by mailgate: SPF needs the
//! address of the client that connected to the MX, which a mailbox reader
//! does not know; they come from `Authentication-Results` only.

use crate::config::{Trust, TrustMode};
use crate::mail::InboundMail;

/// The authentication verdict for one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Authenticated; how (`dmarc=pass`, `dkim=pass header.d=…`, a relay).
    Pass(String),
    /// Not authenticated; why.
    Fail(String),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass(_))
    }

    /// One line for the intake record: `pass: dmarc=pass`.
    pub fn record(&self) -> String {
        match self {
            Verdict::Pass(how) => format!("pass: {how}"),
            Verdict::Fail(why) => format!("fail: {why}"),
        }
    }
}

/// The verdict for `mail`, or None when `[trust]` is off.
pub fn verdict(mail: &InboundMail, trust: &Trust) -> Option<Verdict> {
    if trust.mode == TrustMode::Off {
        return None;
    }
    if let Some(ip) = mail.relay_ip.filter(|ip| trust.trusted_relays.contains(ip)) {
        return Some(Verdict::Pass(format!("handed over by trusted relay {ip}")));
    }
    let from_domain = mail.from.as_ref().map(|f| f.domain().to_string()).unwrap_or_default();
    let mut failures = Vec::new();
    if trust.reads_authentication_results() {
        match from_authentication_results(mail, trust, &from_domain) {
            Verdict::Pass(how) => return Some(Verdict::Pass(how)),
            Verdict::Fail(why) => failures.push(why),
        }
    }
    if trust.verifies_dkim() {
        match dkim_verdict(mail.dkim.as_ref(), &from_domain) {
            Verdict::Pass(how) => return Some(Verdict::Pass(how)),
            Verdict::Fail(why) => failures.push(why),
        }
    }
    Some(Verdict::Fail(failures.join("; ")))
}

/// The verdict of the topmost `Authentication-Results` of our server.
fn from_authentication_results(mail: &InboundMail, trust: &Trust, from_domain: &str) -> Verdict {
    let ours = mail.authentication_results.iter().find_map(|header| {
        let results = AuthResults::parse(header)?;
        (results.authserv_id == trust.authserv_id).then_some(results)
    });
    match ours {
        Some(results) => results.judge(from_domain),
        None => Verdict::Fail(format!("no Authentication-Results from {}", trust.authserv_id)),
    }
}

/// The verdict of mailgate's own DKIM verification: a genuine signature
/// aligned with the From domain passes; otherwise the reason names each
/// signature's result, `dkim=temperror` first when a key lookup failed.
fn dkim_verdict(evidence: Option<&dkim::Evidence>, from_domain: &str) -> Verdict {
    let Some(evidence) = evidence else {
        return Verdict::Fail("dkim: not verified (the mail was not read whole)".into());
    };
    let counts = |d: &str| d.contains('.') && aligned(d, from_domain);
    if let Some(good) = evidence.signatures.iter().find(|c| c.outcome == dkim::Outcome::Pass && counts(&c.domain)) {
        return Verdict::Pass(format!("dkim=pass header.d={} (verified by mailgate)", good.domain));
    }
    let mut why: Vec<String> = Vec::new();
    if let Some(trouble) = &evidence.trouble {
        why.push(format!("dkim=temperror ({trouble})"));
    }
    for c in &evidence.signatures {
        why.push(match &c.outcome {
            // A signature too broken to name its domain.
            dkim::Outcome::Fail(e) if c.domain.is_empty() => format!("dkim=fail ({e})"),
            dkim::Outcome::Pass => format!("dkim=pass header.d={} is not aligned with {from_domain}", c.domain),
            dkim::Outcome::TempError(e) => format!("dkim=temperror header.d={} ({e})", c.domain),
            dkim::Outcome::Fail(e) => format!("dkim=fail header.d={} ({e})", c.domain),
        });
    }
    why.sort_by_key(|w| !w.starts_with("dkim=temperror"));
    if why.is_empty() {
        why.push("no DKIM signature".into());
    }
    if evidence.unverified > 0 {
        why.push(format!(
            "{} more DKIM-Signature headers not verified (trust.dkim_max_signatures)",
            evidence.unverified
        ));
    }
    Verdict::Fail(why.join(", "))
}

/// One result of an `Authentication-Results` header, lower-case:
/// (method, result, properties as (name, value)).
type MethodResult = (String, String, Vec<(String, String)>);

/// One `Authentication-Results` header: its authserv-id and each result.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AuthResults {
    authserv_id: String,
    results: Vec<MethodResult>,
}

impl AuthResults {
    fn parse(header: &str) -> Option<AuthResults> {
        let text = without_comments(header).to_lowercase();
        let mut parts = text.split(';');
        // "mx.example.fr 1": the authserv-id, then an optional version.
        let authserv_id = parts.next()?.split_whitespace().next()?.to_string();
        let mut results = Vec::new();
        for part in parts {
            let mut words = part.split_whitespace();
            let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else { continue };
            let method = method.split('/').next().unwrap_or(method).to_string();
            let properties = words
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                .collect();
            results.push((method, result.to_string(), properties));
        }
        Some(AuthResults { authserv_id, results })
    }

    fn judge(&self, from_domain: &str) -> Verdict {
        let of = |method: &'static str| self.results.iter().filter(move |(m, _, _)| m == method);
        match of("dmarc").map(|(_, r, _)| r.as_str()).next() {
            Some("pass") => return Verdict::Pass("dmarc=pass".into()),
            Some("fail") => return Verdict::Fail("dmarc=fail".into()),
            _ => {}
        }
        let property = |props: &[(String, String)], names: &[&str]| {
            props.iter().find(|(k, _)| names.contains(&k.as_str())).map(|(_, v)| v.clone())
        };
        for (_, result, props) in of("dkim") {
            let domain = property(props, &["header.d", "header.i"]).map(|d| domain_of(&d).to_string());
            if result == "pass" && domain.as_deref().is_some_and(|d| aligned(d, from_domain)) {
                return Verdict::Pass(format!("dkim=pass header.d={}", domain.unwrap_or_default()));
            }
        }
        for (_, result, props) in of("spf") {
            let domain = property(props, &["smtp.mailfrom"]).map(|d| domain_of(&d).to_string());
            if result == "pass" && domain.as_deref().is_some_and(|d| aligned(d, from_domain)) {
                return Verdict::Pass(format!("spf=pass smtp.mailfrom={}", domain.unwrap_or_default()));
            }
        }
        Verdict::Fail(format!("neither DMARC, an aligned DKIM signature nor an aligned SPF pass for {from_domain}"))
    }
}

/// The domain of `user@domain`, or the text itself when it is a domain.
fn domain_of(value: &str) -> &str {
    value.rsplit_once('@').map_or(value, |(_, d)| d)
}

/// Relaxed alignment: the same domain, or one a subdomain of the other.
fn aligned(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_end_matches('.'), b.trim_end_matches('.'));
    !a.is_empty() && !b.is_empty() && (a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}")))
}

/// The header without its RFC 5322 comments (`(p=reject)`), nesting
/// included; unbalanced parentheses end the text.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

pub mod dkim;

#[cfg(test)]
mod tests;
