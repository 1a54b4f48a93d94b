//! `[trust]`: how far mailgate believes the From header. Off, mail is
//! taken as from whom it says (the behaviour before this key existed);
//! `report` records each mail's authentication verdict and acts as before,
//! for a rollout; `enforce` quarantines mail from an allowed domain whose
//! sender is not authenticated. The verdict is read from the
//! `Authentication-Results` header that the institution's own receiving
//! server adds, recognised by its `authserv_id`; mail submitted inside the
//! institution, which never crossed that server, is recognised by the
//! address of the relay that handed it over (`trusted_relays`). With
//! `evidence = [..., "dkim"]` mailgate also verifies DKIM signatures itself
//! (see `intake::trust::dkim`), bounded by `dkim_max_signatures` and
//! `dkim_timeout_seconds`.

use std::net::IpAddr;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustMode {
    Off,
    Report,
    Enforce,
}

/// What counts as proof of the sender: the receiving server's
/// `Authentication-Results`, mailgate's own DKIM verification, or both
/// (either one passing is enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceKind {
    AuthenticationResults,
    Dkim,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Trust {
    pub mode: TrustMode,
    /// The authserv-id of the institution's receiving server, lower-case.
    pub authserv_id: String,
    /// Relays whose mail is internal submission, trusted as authenticated.
    pub trusted_relays: Vec<IpAddr>,
    /// What is believed; never empty when the mode is not off.
    pub evidence: Vec<EvidenceKind>,
    /// DKIM-Signature headers verified per mail, from the top; the rest are
    /// not looked at (a hostile mail may carry thousands).
    pub dkim_max_signatures: usize,
    /// How long one mail's key lookups may take, all of them together.
    pub dkim_timeout_seconds: u64,
    /// The DKIM key records (`selector._domainkey.domain` -> TXT text) to use
    /// instead of DNS, which is then never asked: the tests' key source.
    /// None (the configuration file cannot set it) means the system resolver.
    #[serde(skip)]
    pub dkim_keys: Option<Vec<(String, String)>>,
}

impl Trust {
    pub const OFF: Trust = Trust {
        mode: TrustMode::Off,
        authserv_id: String::new(),
        trusted_relays: Vec::new(),
        evidence: Vec::new(),
        dkim_max_signatures: DEFAULT_DKIM_MAX_SIGNATURES,
        dkim_timeout_seconds: DEFAULT_DKIM_TIMEOUT_SECONDS,
        dkim_keys: None,
    };

    /// Whether the receiving server's `Authentication-Results` is believed.
    pub fn reads_authentication_results(&self) -> bool {
        self.mode != TrustMode::Off && self.evidence.contains(&EvidenceKind::AuthenticationResults)
    }

    /// Whether mailgate verifies DKIM signatures itself.
    pub fn verifies_dkim(&self) -> bool {
        self.mode != TrustMode::Off && self.evidence.contains(&EvidenceKind::Dkim)
    }
}

const DEFAULT_DKIM_MAX_SIGNATURES: usize = 3;
const DEFAULT_DKIM_TIMEOUT_SECONDS: u64 = 5;
/// More signatures than this is never a need: a mail crossing a mailing
/// list and a forwarder carries three or four.
const MOST_DKIM_SIGNATURES: usize = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrust {
    pub mode: Option<TrustMode>,
    pub authserv_id: Option<String>,
    #[serde(default)]
    pub trusted_relays: Vec<String>,
    pub evidence: Option<Vec<EvidenceKind>>,
    pub dkim_max_signatures: Option<usize>,
    pub dkim_timeout_seconds: Option<u64>,
}

/// Validates `[trust]`: a mode other than off needs some evidence, and
/// reading `Authentication-Results` needs the authserv-id to believe; relays
/// are IP addresses (a host name could be made to say anything in a
/// Received header). The DKIM lookups must end well within
/// `limits.max_read_seconds` (`max_read_seconds`), the budget of the reading
/// they are part of: past it the mail would be refused, not quarantined.
pub(super) fn validate(raw: Option<RawTrust>, max_read_seconds: u64) -> Result<Trust, (String, String)> {
    let Some(raw) = raw else { return Ok(Trust::OFF) };
    let mode = raw.mode.unwrap_or(TrustMode::Report);
    let evidence = raw.evidence.unwrap_or_else(|| vec![EvidenceKind::AuthenticationResults]);
    if evidence.is_empty() {
        return Err((
            "trust.evidence".into(),
            "expected at least one of \"authentication-results\" and \"dkim\" (to believe nothing, set mode = \"off\")"
                .into(),
        ));
    }
    let dkim_max_signatures = raw.dkim_max_signatures.unwrap_or(DEFAULT_DKIM_MAX_SIGNATURES);
    if !(1..=MOST_DKIM_SIGNATURES).contains(&dkim_max_signatures) {
        return Err((
            "trust.dkim_max_signatures".into(),
            format!("expected a number from 1 to {MOST_DKIM_SIGNATURES}, got {dkim_max_signatures}"),
        ));
    }
    let dkim_timeout_seconds = raw.dkim_timeout_seconds.unwrap_or(DEFAULT_DKIM_TIMEOUT_SECONDS);
    if dkim_timeout_seconds == 0 || dkim_timeout_seconds >= max_read_seconds {
        return Err((
            "trust.dkim_timeout_seconds".into(),
            format!(
                "expected a number of seconds above 0 and below limits.max_read_seconds ({max_read_seconds}), \
                 got {dkim_timeout_seconds}: the key lookups are part of reading a mail"
            ),
        ));
    }
    let authserv_id = raw.authserv_id.unwrap_or_default().trim().to_lowercase();
    if mode != TrustMode::Off && evidence.contains(&EvidenceKind::AuthenticationResults) && authserv_id.is_empty() {
        return Err((
            "trust.authserv_id".into(),
            "expected the authserv-id your receiving server writes in Authentication-Results (e.g. \"mx.ac-exemple.fr\")".into(),
        ));
    }
    if authserv_id.contains(|c: char| c.is_whitespace() || c == ';') {
        return Err(("trust.authserv_id".into(), format!("expected one token, got \"{authserv_id}\"")));
    }
    let mut trusted_relays = Vec::new();
    for relay in &raw.trusted_relays {
        let ip = relay.trim().parse::<IpAddr>().map_err(|_| {
            ("trust.trusted_relays".to_string(), format!("expected IP addresses, got \"{}\"", relay.trim()))
        })?;
        trusted_relays.push(ip);
    }
    Ok(Trust {
        mode,
        authserv_id,
        trusted_relays,
        evidence,
        dkim_max_signatures,
        dkim_timeout_seconds,
        dkim_keys: None,
    })
}

#[cfg(test)]
mod tests;
