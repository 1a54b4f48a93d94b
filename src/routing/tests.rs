//! `route` as a table: each row a mail, and the fields routing must give it.

use std::path::Path;

use super::*;
use crate::mail::parse;

const CONFIG: &str = r#"
[database]
path = "m.db"
[institution]
name = "Académie d'Exemple"
allowed_domains = ["ac-exemple.fr"]
ticket_url = "https://h/{id}"
[notifications]
from = "Support <support-informatique@ac-exemple.fr>"
transport = "file"
dir = "out"
[tickets]
categories = ["Bureautique", "Réseaux > Wi-Fi", "Scolarité > LSU"]
[[technicians]]
email = "alice.martin@ac-exemple.fr"
name = "Alice Martin"
[[entities]]
name = "Collège Jean Moulin"
domains = ["clg-moulin.ac-exemple.fr"]
[[entities]]
name = "Rectorat"
domains = ["ac-exemple.fr"]
addresses = ["principal@lyc-curie.ac-exemple.fr"]
[[groups]]
name = "referents-lsu"
label = "Référents LSU"
members = ["claire.petit@ac-exemple.fr"]
[[groups]]
name = "dsi-bai"
members = ["alice.martin@ac-exemple.fr"]

[[rules]]
name = "spam-test"
[rules.when]
subject = "^\\[test\\]"
[rules.then]
refuse = "test mail"

[[rules]]
name = "lsu"
[rules.when]
to = "^lsu-support@"
[rules.then]
category = "LSU"
type = "request"
group = "Referents-LSU"
observers = ["dsi-bai", "Dane@ac-exemple.fr"]

[[rules]]
name = "lsu-words"
[rules.when]
body = "livret scolaire"
[rules.then]
category = "Scolarité > LSU"
group = "referents-lsu"

[[rules]]
name = "wifi-urgent"
[rules.when]
subject = "wi-?fi"
from = "@clg-moulin\\."
[rules.then]
category = "Wi-Fi"
urgency = 5
impact = 4
location = "Salle 12"
technician = "Alice.Martin@ac-exemple.fr"
entity = "Collège Jean Moulin (site annexe)"

[[rules]]
name = "urgent"
[rules.when]
subject = "urgent|bloquant"
[rules.then]
urgency = 4
"#;

fn config() -> Config {
    Config::from_toml(CONFIG, Path::new("t.toml"), Path::new("/")).expect("routing test configuration")
}

fn mail(headers: &str, body: &str) -> InboundMail {
    let text = format!("{headers}\nMessage-ID: <m@ac-exemple.fr>\n\n{body}\n").replace('\n', "\r\n");
    parse(text.as_bytes()).expect("parses")
}

/// One comparable line per routing, fields in a fixed order.
fn summary(r: &Routing) -> String {
    let observers: Vec<String> = r
        .observers
        .iter()
        .map(|o| match o {
            ObserverTarget::Group(g) => format!("group:{g}"),
            ObserverTarget::Person(p) => p.clone(),
        })
        .collect();
    format!(
        "rule={} refuse={} type={} category={} u/i/p={}/{}/{} entity={} location={} group={} technician={} observers=[{}]",
        r.rule.as_deref().unwrap_or("-"),
        r.refuse.as_deref().unwrap_or("-"),
        r.ticket_type.as_str(),
        r.category.as_deref().unwrap_or("-"),
        r.urgency,
        r.impact,
        r.priority,
        r.entity,
        r.location.as_deref().unwrap_or("-"),
        r.group.as_deref().unwrap_or("-"),
        r.technician.as_deref().unwrap_or("-"),
        observers.join(","),
    )
}

#[test]
fn routing_table() {
    let config = config();
    let cases: [(&str, &str, &str, &str); 11] = [
        (
            "no rule matched gives the defaults and the institution",
            "From: jean@gmail.com\nTo: support-informatique@ac-exemple.fr\nSubject: Imprimante",
            "Bonjour",
            "rule=- refuse=- type=incident category=- u/i/p=3/3/3 entity=Académie d'Exemple location=- group=- technician=- observers=[]",
        ),
        (
            "a school's domain gives its entity",
            "From: marie@clg-moulin.ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Imprimante",
            "Bonjour",
            "rule=- refuse=- type=incident category=- u/i/p=3/3/3 entity=Collège Jean Moulin location=- group=- technician=- observers=[]",
        ),
        (
            "the longest domain wins over its parent, and the parent serves the rest",
            "From: paul@ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Imprimante",
            "Bonjour",
            "rule=- refuse=- type=incident category=- u/i/p=3/3/3 entity=Rectorat location=- group=- technician=- observers=[]",
        ),
        (
            "an exact address wins over every domain",
            "From: Principal@LYC-CURIE.ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Imprimante",
            "Bonjour",
            "rule=- refuse=- type=incident category=- u/i/p=3/3/3 entity=Rectorat location=- group=- technician=- observers=[]",
        ),
        (
            "the LSU alias in To routes to the referents",
            "From: marie@clg-moulin.ac-exemple.fr\nTo: lsu-support@ac-exemple.fr\nSubject: Bilans périodiques",
            "Bonjour",
            "rule=lsu refuse=- type=request category=Scolarité > LSU u/i/p=3/3/3 entity=Collège Jean Moulin location=- group=referents-lsu technician=- observers=[group:dsi-bai,dane@ac-exemple.fr]",
        ),
        (
            "the LSU alias as the envelope recipient only routes too",
            "Delivered-To: lsu-support@ac-exemple.fr\nFrom: marie@clg-moulin.ac-exemple.fr\nTo: undisclosed-recipients:;\nSubject: Bilans",
            "Bonjour",
            "rule=lsu refuse=- type=request category=Scolarité > LSU u/i/p=3/3/3 entity=Collège Jean Moulin location=- group=referents-lsu technician=- observers=[group:dsi-bai,dane@ac-exemple.fr]",
        ),
        (
            "the body is matched, case-insensitively",
            "From: marie@ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Question",
            "Je n'arrive pas à éditer le LIVRET SCOLAIRE de 6e B.",
            "rule=lsu-words refuse=- type=incident category=Scolarité > LSU u/i/p=3/3/3 entity=Rectorat location=- group=referents-lsu technician=- observers=[]",
        ),
        (
            "every condition must match: Wi-Fi from elsewhere is only urgent",
            "From: paul@ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: URGENT wifi coupé",
            "Bonjour",
            "rule=urgent refuse=- type=incident category=- u/i/p=4/3/4 entity=Rectorat location=- group=- technician=- observers=[]",
        ),
        (
            "the first match wins and sets every field it names",
            "From: marie@clg-moulin.ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Urgent : WiFi coupé",
            "Bonjour",
            "rule=wifi-urgent refuse=- type=incident category=Réseaux > Wi-Fi u/i/p=5/4/5 entity=Collège Jean Moulin (site annexe) location=Salle 12 group=- technician=alice.martin@ac-exemple.fr observers=[]",
        ),
        (
            "a refusing rule refuses and sets nothing else",
            "From: marie@clg-moulin.ac-exemple.fr\nTo: lsu-support@ac-exemple.fr\nSubject: [TEST] essai",
            "Bonjour",
            "rule=spam-test refuse=test mail type=incident category=- u/i/p=3/3/3 entity=Collège Jean Moulin location=- group=- technician=- observers=[]",
        ),
        (
            "a mail without sender gets the institution",
            "To: support-informatique@ac-exemple.fr\nSubject: Imprimante",
            "Bonjour",
            "rule=- refuse=- type=incident category=- u/i/p=3/3/3 entity=Académie d'Exemple location=- group=- technician=- observers=[]",
        ),
    ];
    let mut failures = Vec::new();
    for (name, headers, body, expected) in cases {
        let got = summary(&route(&config, &mail(headers, body)));
        if got != expected {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn only_the_beginning_of_a_huge_body_is_looked_at() {
    let config = config();
    let far = format!("{}livret scolaire", "é".repeat(MAX_MATCHED_BYTES));
    let near = format!("livret scolaire{}", "é".repeat(MAX_MATCHED_BYTES));
    let headers = "From: marie@ac-exemple.fr\nTo: support-informatique@ac-exemple.fr\nSubject: Question";
    assert_eq!(route(&config, &mail(headers, &far)).rule, None);
    assert_eq!(route(&config, &mail(headers, &near)).rule.as_deref(), Some("lsu-words"));
}

#[test]
fn the_cut_falls_on_a_character_boundary() {
    let text = format!("a{}", "é".repeat(MAX_MATCHED_BYTES));
    let cut = head(&text);
    assert!(cut.len() <= MAX_MATCHED_BYTES && cut.len() >= MAX_MATCHED_BYTES - 1);
}

#[test]
fn a_configuration_without_rules_routes_everything_to_the_defaults() {
    let text = CONFIG
        .split("[[rules]]")
        .next()
        .expect("head")
        .replace("[tickets]\n", "[tickets]\ndefault_type = \"request\"\ndefault_urgency = 5\ndefault_impact = 5\n");
    let config = Config::from_toml(&text, Path::new("t.toml"), Path::new("/")).expect("configuration");
    let r = route(&config, &mail("From: a@ac-exemple.fr\nSubject: s", "x"));
    assert_eq!((r.rule, r.ticket_type, r.urgency, r.impact, r.priority), (None, TicketType::Request, 5, 5, 5));
}
