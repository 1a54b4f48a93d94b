//! The fixture corpus as a specification: every `fixtures/*.eml` case in
//! `fixtures/corpus.toml` says what it shows and what must become of it
//! (outcome, ticket, title, what the stored text keeps and drops, the reason,
//! the attachments). Each case runs alone against the same base state,
//! built from `fixtures/base/`, and every failing case is reported at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use mailgate::clock::Clock;
use mailgate::config::Config;
use mailgate::pipeline::{Pipeline, Processed};
use mailgate::store::Store;
use mailgate::ticket::Status;

/// The world the corpus was written for (see fixtures/corpus.toml).
const CONFIG: &str = r#"
[database]
path = "unused.db"
[institution]
name = "Académie d'Exemple"
allowed_domains = ["ac-exemple.fr"]
blocked_addresses = ["banni@ac-exemple.fr"]
subject_tag = "GLPI"
ticket_url = "https://assistance.ac-exemple.fr/front/ticket.form.php?id={id}"
language = "fr"
[notifications]
from = "Support informatique <support-informatique@ac-exemple.fr>"
transport = "file"
dir = "outbox"
[[technicians]]
email = "alice.martin@ac-exemple.fr"
name = "Alice Martin"
[[technicians]]
email = "bruno.leroy@ac-exemple.fr"
name = "Bruno Leroy"
"#;

#[derive(Debug, Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    shows: String,
    outcome: String,
    ticket: Option<i64>,
    title: Option<String>,
    #[serde(default)]
    body_contains: Vec<String>,
    #[serde(default)]
    body_excludes: Vec<String>,
    reason_contains: Option<String>,
    #[serde(default)]
    attachments: Vec<ExpectedAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedAttachment {
    filename: String,
    content_type: String,
}

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> time::OffsetDateTime {
        time::macros::datetime!(2025-03-03 09:00 UTC)
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn config() -> Arc<Config> {
    Arc::new(Config::from_toml(CONFIG, Path::new("corpus.toml"), Path::new("/tmp")).expect("corpus configuration"))
}

/// Tickets #1 (with an observer), #2 (closed) and #3 (taken by Alice).
fn base_state() -> Pipeline {
    let store = Store::open_in_memory().expect("store");
    let mut pipeline = Pipeline::new(store, config(), Arc::new(FixedClock)).expect("pipeline");
    let mut base: Vec<PathBuf> = std::fs::read_dir(fixtures().join("base"))
        .expect("fixtures/base")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    base.sort();
    for path in &base {
        let raw = std::fs::read(path).expect("base fixture");
        pipeline.process("base", &path.display().to_string(), &raw).expect("base fixture is recorded");
    }
    pipeline.store_mut().set_status(2, Status::Closed, "test", "2025-03-03T09:00:00Z").expect("close #2");
    pipeline
}

/// Runs one case; returns what is wrong with it, if anything.
fn check(case: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let raw = match std::fs::read(fixtures().join(&case.file)) {
        Ok(raw) => raw,
        Err(e) => return vec![format!("cannot read: {e}")],
    };
    let mut pipeline = base_state();
    let applied = match pipeline.process("case", &case.file, &raw) {
        Ok(Processed::Recorded(applied)) => applied,
        other => return vec![format!("not recorded: {other:?}")],
    };
    if applied.outcome.as_str() != case.outcome {
        problems.push(format!(
            "outcome {} (reason {:?}), expected {}",
            applied.outcome.as_str(),
            applied.reason,
            case.outcome
        ));
        return problems;
    }
    if applied.ticket != case.ticket {
        problems.push(format!("ticket {:?}, expected {:?}", applied.ticket, case.ticket));
    }
    if let Some(fragment) = &case.reason_contains {
        let reason = applied.reason.clone().unwrap_or_default().to_lowercase();
        if !reason.contains(&fragment.to_lowercase()) {
            problems.push(format!("reason {reason:?} lacks {fragment:?}"));
        }
    }
    let Some(id) = applied.ticket else { return problems };
    let ticket = match pipeline.store().ticket_detail(id) {
        Ok(t) => t,
        Err(e) => return vec![format!("cannot read ticket #{id}: {e}")],
    };
    if let Some(title) = case.title.as_ref().filter(|t| **t != ticket.title) {
        problems.push(format!("title {:?}, expected {title:?}", ticket.title));
    }
    let text = match case.outcome.as_str() {
        "followup_added" => ticket.followups.last().map(|f| f.body.clone()).unwrap_or_default(),
        _ => ticket.description.clone(),
    };
    for want in &case.body_contains {
        if !text.contains(want.as_str()) {
            problems.push(format!("stored text lacks {want:?}; it is:\n{text}"));
        }
    }
    for unwanted in &case.body_excludes {
        if text.contains(unwanted.as_str()) {
            problems.push(format!("stored text keeps {unwanted:?}; it is:\n{text}"));
        }
    }
    for want in &case.attachments {
        let found =
            ticket.attachments.iter().any(|a| a.filename == want.filename && a.content_type == want.content_type);
        if !found {
            let got: Vec<_> =
                ticket.attachments.iter().map(|a| (a.filename.as_str(), a.content_type.as_str())).collect();
            problems.push(format!("no attachment {} ({}); got {got:?}", want.filename, want.content_type));
        }
    }
    problems
}

#[test]
fn every_fixture_case_meets_its_expectations() {
    let text = std::fs::read_to_string(fixtures().join("corpus.toml")).expect("fixtures/corpus.toml");
    let corpus: Corpus = toml::from_str(&text).expect("corpus.toml parses");
    assert!(corpus.case.len() >= 40, "the corpus has {} cases, expected at least 40", corpus.case.len());
    let mut report = String::new();
    for case in &corpus.case {
        let problems = check(case);
        if !problems.is_empty() {
            report.push_str(&format!("\n✗ {} — {}\n", case.file, case.shows));
            for p in problems {
                report.push_str(&format!("    {p}\n"));
            }
        }
    }
    assert!(report.is_empty(), "cases failing:{report}");
}

#[test]
fn every_fixture_file_has_a_case() {
    let text = std::fs::read_to_string(fixtures().join("corpus.toml")).expect("fixtures/corpus.toml");
    let corpus: Corpus = toml::from_str(&text).expect("corpus.toml parses");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(fixtures()).expect("fixtures").filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".eml") && !corpus.case.iter().any(|c| c.file == name) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "fixtures without a case in corpus.toml: {missing:?}");
}
