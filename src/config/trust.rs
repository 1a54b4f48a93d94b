//! `[trust]`: how far mailgate believes the From header. Off, mail is
//! taken as from whom it says (the behaviour before this key existed);
//! `report` records each mail's authentication verdict and acts as before,
//! for a rollout; `enforce` quarantines mail from an allowed domain whose
//! sender is not authenticated. The verdict is read from the
//! `Authentication-Results` header that the institution's own receiving
//! server adds, recognised by its `authserv_id`; mail submitted inside the
//! institution, which never crossed that server, is recognised by the
//! address of the relay that handed it over (`trusted_relays`).

use std::net::IpAddr;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustMode {
    Off,
    Report,
    Enforce,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Trust {
    pub mode: TrustMode,
    /// The authserv-id of the institution's receiving server, lower-case.
    pub authserv_id: String,
    /// Relays whose mail is internal submission, trusted as authenticated.
    pub trusted_relays: Vec<IpAddr>,
}

impl Trust {
    pub const OFF: Trust = Trust { mode: TrustMode::Off, authserv_id: String::new(), trusted_relays: Vec::new() };
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrust {
    pub mode: Option<TrustMode>,
    pub authserv_id: Option<String>,
    #[serde(default)]
    pub trusted_relays: Vec<String>,
}

/// Validates `[trust]`: a mode other than off needs the authserv-id to
/// believe; relays are IP addresses (a host name could be made to say
/// anything in a Received header).
pub(super) fn validate(raw: Option<RawTrust>) -> Result<Trust, (String, String)> {
    let Some(raw) = raw else { return Ok(Trust::OFF) };
    let mode = raw.mode.unwrap_or(TrustMode::Report);
    let authserv_id = raw.authserv_id.unwrap_or_default().trim().to_lowercase();
    if mode != TrustMode::Off && authserv_id.is_empty() {
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
    Ok(Trust { mode, authserv_id, trusted_relays })
}
