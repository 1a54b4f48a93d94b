//! Routing rules as configured: `[[rules]]`, tried in order, the first whose
//! conditions all match deciding a new ticket's category, type, urgency,
//! impact, entity, location, group, technician and observers (or refusing
//! the mail). What a rule names is checked here, at load: a category that
//! is not in the tree, a group that does not exist or a technician who is
//! not one stops the start, instead of filing tickets nowhere. Matching is
//! done by [`crate::routing`].
//!
//! Conditions are regular expressions from the operator's file. They are
//! case-insensitive (write `(?-i)` for an exact case), and their compiled
//! size is capped, so that a careless pattern cannot take the daemon's
//! memory; the `regex` crate matches in linear time, so none can take its
//! time either.

use regex::{Regex, RegexBuilder};
use serde::{Serialize, Serializer};

use super::Technician;
use super::categories::CategoryTree;
use super::helpdesk::{Group, normalize_address};
use super::raw::{RawRule, RawWhen};
use crate::ticket::TicketType;

type Invalid = (String, String);

/// A pattern longer than this is surely a mistake (a pasted text).
const MAX_PATTERN_CHARS: usize = 4096;
/// The most memory one compiled pattern may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One `[[rules]]` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub name: String,
    pub when: Conditions,
    pub then: Actions,
}

/// What a mail must show for the rule to apply; every present condition
/// must match. No condition at all matches every mail.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Conditions {
    /// The sender's lower-cased address.
    pub from: Option<Pattern>,
    /// Any address in To, Cc, or the envelope (`Delivered-To`, `X-Original-To`).
    pub to: Option<Pattern>,
    /// Any address in Cc.
    pub cc: Option<Pattern>,
    /// The decoded subject.
    pub subject: Option<Pattern>,
    /// The readable text (its beginning, for a huge mail).
    pub body: Option<Pattern>,
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        self.from.is_none() && self.to.is_none() && self.cc.is_none() && self.subject.is_none() && self.body.is_none()
    }
}

/// A case-insensitive regular expression, kept with the text the operator
/// wrote, which is how `check-config` shows it.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: Regex,
}

impl Pattern {
    /// Compiles `source`; the error is one line.
    pub fn new(source: &str) -> Result<Pattern, String> {
        if source.is_empty() {
            return Err("expected a regular expression, got an empty string (it would match every mail)".into());
        }
        if source.chars().count() > MAX_PATTERN_CHARS {
            return Err(format!("expected a regular expression of at most {MAX_PATTERN_CHARS} characters"));
        }
        let regex = RegexBuilder::new(source)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(2 * REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| format!("expected a regular expression: {}", regex_error(&e)))?;
        Ok(Pattern { source: source.to_string(), regex })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

/// regex's syntax errors draw the pattern and a caret over several lines;
/// keep the line that says what is wrong.
fn regex_error(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .map(str::to_string)
            .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" ")),
        regex::Error::CompiledTooBig(limit) => {
            format!("too large once compiled (over {limit} bytes): make it simpler")
        }
        other => other.to_string().split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// Who is kept informed of a ticket: a configured group (by name) or a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObserverTarget {
    Group(String),
    Person(String),
}

impl ObserverTarget {
    /// The group's name or the person's address.
    pub fn as_str(&self) -> &str {
        match self {
            ObserverTarget::Group(name) | ObserverTarget::Person(name) => name,
        }
    }
}

/// What a matching rule sets on the new ticket. Absent keys keep the
/// defaults; `refuse` excludes every other key.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Actions {
    /// A full path of the category tree.
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    pub urgency: Option<u8>,
    pub impact: Option<u8>,
    pub entity: Option<String>,
    pub location: Option<String>,
    /// A configured group's name, as configured.
    pub group: Option<String>,
    /// A technician's (or a group member's) address.
    pub technician: Option<String>,
    #[serde(serialize_with = "observer_names", skip_serializing_if = "Vec::is_empty")]
    pub observers: Vec<ObserverTarget>,
    /// The reason recorded when the mail is refused.
    pub refuse: Option<String>,
}

fn observer_names<S: Serializer>(observers: &[ObserverTarget], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(observers.iter().map(ObserverTarget::as_str))
}

/// What rules may refer to.
pub(super) struct Known<'a> {
    pub categories: &'a CategoryTree,
    pub groups: &'a [Group],
    pub technicians: &'a [Technician],
}

impl Known<'_> {
    fn group(&self, name: &str) -> Option<&Group> {
        super::helpdesk::find_group(self.groups, name)
    }

    fn is_technician(&self, address: &str) -> bool {
        super::helpdesk::is_staff(self.technicians, self.groups, address)
    }
}

pub(super) fn validate_rules(raw: &[RawRule], known: &Known<'_>) -> Result<Vec<Rule>, Invalid> {
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let name = r.name.trim().to_string();
        if name.is_empty() {
            return Err((format!("rules[{i}].name"), "expected a name for the rule, e.g. \"lsu\"".into()));
        }
        if rules.iter().any(|o| o.name.to_lowercase() == name.to_lowercase()) {
            return Err((format!("rules[{i}].name"), format!("expected distinct names, \"{name}\" is used twice")));
        }
        let when = conditions(i, &r.when)?;
        if when.is_empty() && i + 1 < raw.len() {
            return Err((
                format!("rules[{i}].when"),
                format!(
                    "expected at least one of from, to, cc, subject, body: rule \"{name}\" would match every mail and the {} rule(s) after it could never apply (only the last rule may match everything)",
                    raw.len() - i - 1
                ),
            ));
        }
        let then = actions(i, &r.then, known)?;
        rules.push(Rule { name, when, then });
    }
    Ok(rules)
}

fn conditions(i: usize, raw: &RawWhen) -> Result<Conditions, Invalid> {
    let pattern = |field: &str, source: &Option<String>| -> Result<Option<Pattern>, Invalid> {
        source.as_deref().map(Pattern::new).transpose().map_err(|m| (format!("rules[{i}].when.{field}"), m))
    };
    Ok(Conditions {
        from: pattern("from", &raw.from)?,
        to: pattern("to", &raw.to)?,
        cc: pattern("cc", &raw.cc)?,
        subject: pattern("subject", &raw.subject)?,
        body: pattern("body", &raw.body)?,
    })
}

fn actions(i: usize, raw: &super::raw::RawThen, known: &Known<'_>) -> Result<Actions, Invalid> {
    let key = |field: &str| format!("rules[{i}].then.{field}");
    let text = |field: &str, value: &Option<String>| -> Result<Option<String>, Invalid> {
        match value.as_deref().map(|v| v.split_whitespace().collect::<Vec<_>>().join(" ")) {
            Some(v) if v.is_empty() => Err((key(field), "expected a value, got an empty string".into())),
            other => Ok(other),
        }
    };
    let level = |field: &str, value: Option<u8>| -> Result<Option<u8>, Invalid> {
        match value {
            Some(v) if !(1..=5).contains(&v) => {
                Err((key(field), format!("expected a level from 1 (very low) to 5 (very high), got {v}")))
            }
            other => Ok(other),
        }
    };

    let category = match text("category", &raw.category)? {
        None => None,
        Some(c) => Some(known.categories.resolve(&c).map_err(|m| (key("category"), m))?),
    };
    let ticket_type = match raw.ticket_type.as_deref() {
        None => None,
        Some("incident") => Some(TicketType::Incident),
        Some("request") => Some(TicketType::Request),
        Some(other) => return Err((key("type"), format!("expected \"incident\" or \"request\", got \"{other}\""))),
    };
    let group = match text("group", &raw.group)? {
        None => None,
        Some(g) => Some(
            known
                .group(&g)
                .map(|g| g.name.clone())
                .ok_or_else(|| (key("group"), format!("expected the name of a [[groups]] entry, got \"{g}\"")))?,
        ),
    };
    let technician = match text("technician", &raw.technician)? {
        None => None,
        Some(t) => {
            let address = normalize_address(&t).filter(|a| known.is_technician(a)).ok_or_else(|| {
                (key("technician"), format!("expected the address of a technician or of a group member, got \"{t}\""))
            })?;
            Some(address)
        }
    };
    let mut observers = Vec::new();
    for o in raw.observers.iter().flatten() {
        let target = if let Some(g) = known.group(o) {
            ObserverTarget::Group(g.name.clone())
        } else if let Some(address) = normalize_address(o) {
            ObserverTarget::Person(address)
        } else {
            return Err((key("observers"), format!("expected group names or mail addresses, got \"{o}\"")));
        };
        if !observers.contains(&target) {
            observers.push(target);
        }
    }
    let actions = Actions {
        category,
        ticket_type,
        urgency: level("urgency", raw.urgency)?,
        impact: level("impact", raw.impact)?,
        entity: text("entity", &raw.entity)?,
        location: text("location", &raw.location)?,
        group,
        technician,
        observers,
        refuse: text("refuse", &raw.refuse)?,
    };
    let others = actions.set_keys();
    if actions.refuse.is_some() && !others.is_empty() {
        return Err((key("refuse"), format!("a refusing rule sets nothing else, remove {}", others.join(", "))));
    }
    if actions.refuse.is_none() && others.is_empty() {
        return Err((
            format!("rules[{i}].then"),
            "expected at least one of category, type, urgency, impact, entity, location, group, technician, observers, refuse".into(),
        ));
    }
    Ok(actions)
}

impl Actions {
    /// The keys other than `refuse` that the rule sets.
    fn set_keys(&self) -> Vec<&'static str> {
        let set = [
            ("category", self.category.is_some()),
            ("type", self.ticket_type.is_some()),
            ("urgency", self.urgency.is_some()),
            ("impact", self.impact.is_some()),
            ("entity", self.entity.is_some()),
            ("location", self.location.is_some()),
            ("group", self.group.is_some()),
            ("technician", self.technician.is_some()),
            ("observers", !self.observers.is_empty()),
        ];
        set.into_iter().filter(|(_, on)| *on).map(|(k, _)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_case_insensitive_unless_told_otherwise() {
        let cases = [
            ("default ignores case", "lsu", "Problème LSU", true),
            ("accents are letters like others", "réseau", "RÉSEAU coupé", true),
            ("(?-i) restores case", "(?-i)LSU", "lsu", false),
            ("(?-i) still matches the exact case", "(?-i)LSU", "LSU", true),
        ];
        for (name, source, text, expected) in cases {
            let p = Pattern::new(source).expect("compiles");
            assert_eq!(p.is_match(text), expected, "{name}");
            assert_eq!(p.as_str(), source, "{name}: the source is kept");
        }
    }

    #[test]
    fn bad_patterns_are_refused_on_one_line() {
        let cases = [
            ("unclosed group", "(abc", "unclosed group"),
            ("empty", "", "empty string"),
            ("too big once compiled", r"(\w{1,100}){1,100}", "too large once compiled"),
            ("too long", &"a".repeat(MAX_PATTERN_CHARS + 1), "at most"),
        ];
        for (name, source, fragment) in cases {
            let e = Pattern::new(source).expect_err(name);
            assert!(e.contains(fragment) && !e.contains('\n'), "{name}: {e}");
        }
    }
}
