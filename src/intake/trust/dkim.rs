//! DKIM verified by mailgate itself (`trust.evidence = [..., "dkim"]`), for
//! sites whose receiving server writes no `Authentication-Results` mailgate
//! can believe, or as a second proof beside it. The signatures are checked
//! with `mail-auth` while the mail is read (outside the writer, on the
//! blocking pool, under the mail's reading budget); what they proved is
//! kept on the mail as [`Evidence`] and judged with the rest of the verdict
//! in [`super::verdict`].
//!
//! Hostile mail costs bounded work: only the first
//! `trust.dkim_max_signatures` DKIM-Signature headers are handed to the
//! verifier (the others are removed from the copy it sees, so their bodies
//! are not even hashed), the body hashed is the mail's, already under
//! `limits.max_message_bytes`, and all the key lookups of one mail together
//! end within `trust.dkim_timeout_seconds`. The lookups run on one small
//! runtime of their own, so a caller on any thread (the blocking pool, the
//! CLI) just waits for the answer.
//!
//! Keys come from a [`KeyCache`] in front of the system resolver; the tests
//! pin the keys there (`Trust::dkim_keys`) and DNS is then never asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};

use crate::config::Trust;

/// What one DKIM-Signature proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The signature is genuine and covers the whole body.
    Pass,
    /// The key could not be looked up (DNS did not answer): nothing proved
    /// either way.
    TempError(String),
    /// The signature is wrong, broken, expired, its key is gone, or it
    /// signs only part of the body (`l=`: anything could follow).
    Fail(String),
}

/// One verified signature: its signing domain (`d=`, lower-case) and result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub domain: String,
    pub outcome: Outcome,
}

/// What mailgate's own DKIM verification found in one mail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evidence {
    /// The signatures verified, from the top.
    pub signatures: Vec<Checked>,
    /// DKIM-Signature headers past `trust.dkim_max_signatures`, not verified.
    pub unverified: usize,
    /// Why nothing could be verified at all (no resolver, a timeout).
    pub trouble: Option<String>,
}

/// Verifies the DKIM signatures of mails under one `[trust]`.
pub struct Verifier {
    authenticator: Result<MessageAuthenticator, String>,
    keys: Arc<KeyCache>,
    max_signatures: usize,
    timeout: Duration,
}

impl Verifier {
    /// A verifier for `trust`: its pinned keys and no network when it has
    /// some, the system resolver otherwise (a resolver that cannot be set up
    /// makes every lookup a temporary error, said in the verdict).
    pub fn new(trust: &Trust) -> Verifier {
        let timeout = Duration::from_secs(trust.dkim_timeout_seconds);
        let keys = Arc::new(KeyCache::pinned(trust.dkim_keys.as_deref().unwrap_or_default()));
        let authenticator = runtime().and_then(|rt| {
            let _inside = rt.enter();
            let config = match &trust.dkim_keys {
                Some(_) => ResolverConfig::from_parts(None, vec![], vec![]),
                None => {
                    mail_auth::hickory_resolver::system_conf::read_system_conf()
                        .map_err(|e| format!("no DNS resolver for the DKIM keys ({e}); check /etc/resolv.conf"))?
                        .0
                }
            };
            MessageAuthenticator::new(config, no_retry(timeout))
                .map_err(|e| format!("no DNS resolver for the DKIM keys ({e})"))
        });
        if let Err(e) = &authenticator {
            tracing::error!(error = %e, "DKIM keys cannot be looked up; DKIM verdicts will be temperror");
        }
        Verifier { authenticator, keys, max_signatures: trust.dkim_max_signatures, timeout }
    }

    /// Verifies the signatures of the raw mail `raw`, waiting at most the
    /// configured timeout (and a second more for the answer to come back).
    pub fn verify(&self, raw: &[u8]) -> Evidence {
        let (kept, unverified) = first_signatures(raw, self.max_signatures);
        let Some(raw) = kept else { return Evidence::default() };
        let trouble = |why: String| Evidence { signatures: Vec::new(), unverified, trouble: Some(why) };
        let (authenticator, rt) = match (&self.authenticator, runtime()) {
            (Ok(a), Ok(rt)) => (a.clone(), rt),
            (Err(e), _) => return trouble(e.clone()),
            (_, Err(e)) => return trouble(e),
        };
        let (keys, timeout) = (self.keys.clone(), self.timeout);
        let (answer, wait) = mpsc::sync_channel(1);
        rt.spawn(async move {
            let checked = match AuthenticatedMessage::parse(&raw) {
                None => Err("the headers could not be read for DKIM".to_string()),
                Some(message) => {
                    let verifying = authenticator.verify_dkim(Parameters::new(&message).with_txt_cache(&*keys));
                    match tokio::time::timeout(timeout, verifying).await {
                        Ok(outputs) => Ok(outputs.iter().map(checked).collect::<Vec<_>>()),
                        Err(_) => Err(format!("the DKIM keys did not come within {} s", timeout.as_secs())),
                    }
                }
            };
            let _ = answer.send(checked);
        });
        match wait.recv_timeout(timeout + Duration::from_secs(1)) {
            Ok(Ok(signatures)) => Evidence { signatures, unverified, trouble: None },
            Ok(Err(why)) => trouble(why),
            Err(_) => trouble(format!("the DKIM keys did not come within {} s", timeout.as_secs())),
        }
    }
}

/// One attempt per name server, each bounded by the mail's timeout.
fn no_retry(timeout: Duration) -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    opts
}

/// The runtime the key lookups run on: one thread, made on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("mailgate-dkim")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the DKIM lookup thread: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn checked(output: &mail_auth::DkimOutput<'_>) -> Checked {
    let signature = output.signature();
    let domain = signature.map(|s| s.d.to_lowercase()).unwrap_or_default();
    let outcome = match output.result() {
        DkimResult::Pass if signature.is_some_and(|s| s.l > 0) => {
            Outcome::Fail("it signs only the first bytes of the body (l=), anything may follow".into())
        }
        DkimResult::Pass => Outcome::Pass,
        DkimResult::TempError(e) => Outcome::TempError(e.to_string()),
        DkimResult::Fail(e) | DkimResult::PermError(e) | DkimResult::Neutral(e) => Outcome::Fail(e.to_string()),
        DkimResult::None => Outcome::Fail("no result".into()),
    };
    Checked { domain, outcome }
}

/// The mail with only its first `max` DKIM-Signature headers, and how many
/// were left out; None when it has none. The copy is made only when some
/// are left out.
fn first_signatures(raw: &[u8], max: usize) -> (Option<Vec<u8>>, usize) {
    let fields = header_fields(raw);
    let is_signature = |field: &[u8]| field.len() > 15 && field[..15].eq_ignore_ascii_case(b"dkim-signature:");
    let total = fields.iter().filter(|f| is_signature(f)).count();
    if total == 0 {
        return (None, 0);
    }
    if total <= max {
        return (Some(raw.to_vec()), 0);
    }
    let mut kept = Vec::with_capacity(raw.len());
    let mut seen = 0;
    let mut end = 0;
    for field in &fields {
        end += field.len();
        if is_signature(field) {
            seen += 1;
            if seen > max {
                continue;
            }
        }
        kept.extend_from_slice(field);
    }
    kept.extend_from_slice(&raw[end..]);
    (Some(kept), total - max)
}

/// The header fields of `raw`, each with its folded lines and line ends,
/// in order; what follows them (the blank line and the body) is the rest.
fn header_fields(raw: &[u8]) -> Vec<&[u8]> {
    let mut fields: Vec<&[u8]> = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < raw.len() {
        let line_end = raw[at..].iter().position(|&b| b == b'\n').map_or(raw.len(), |p| at + p + 1);
        let line = &raw[at..line_end];
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        let folded = matches!(line.first(), Some(b' ' | b'\t'));
        if !folded && at > start {
            fields.push(&raw[start..at]);
            start = at;
        }
        at = line_end;
    }
    if at > start {
        fields.push(&raw[start..at]);
    }
    fields
}

/// The TXT records of DKIM keys: pinned ones (the tests'), then those the
/// resolver found, kept until their TTL ends. Bounded: past
/// [`KeyCache::MOST`] names it starts again empty.
pub struct KeyCache {
    pinned: HashMap<Box<str>, Txt>,
    learned: Mutex<HashMap<Box<str>, (Txt, Instant)>>,
}

impl KeyCache {
    const MOST: usize = 4096;

    fn pinned(records: &[(String, String)]) -> KeyCache {
        let pinned = records
            .iter()
            .map(|(name, text)| {
                let name = format!("{}.", name.trim_end_matches('.').to_lowercase()).into_boxed_str();
                (name, Txt::from(DomainKey::parse(text.as_bytes())))
            })
            .collect();
        KeyCache { pinned, learned: Mutex::new(HashMap::new()) }
    }
}

impl ResolverCache<Box<str>, Txt> for KeyCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if let Some(txt) = self.pinned.get(name) {
            return Some(txt.clone());
        }
        let learned = self.learned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        learned.get(name).filter(|(_, until)| *until > Instant::now()).map(|(txt, _)| txt.clone())
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        let mut learned = self.learned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        learned.remove(name).map(|(txt, _)| txt)
    }

    fn insert(&self, name: Box<str>, txt: Txt, valid_until: Instant) {
        let mut learned = self.learned.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if learned.len() >= Self::MOST {
            learned.clear();
        }
        learned.insert(name, (txt, valid_until));
    }
}

#[cfg(test)]
mod tests;
