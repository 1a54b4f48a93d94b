//! The life cycle as a table: a ticket as it stands, who replies with what,
//! and the changes and notices that follow (or the answer instead).

use std::path::Path;

use super::*;
use crate::lifecycle::Assignee;

const CONFIG: &str = r#"
[database]
path = "m.db"
[institution]
name = "DSI"
allowed_domains = ["ac-exemple.fr"]
ticket_url = "https://h/{id}"
[tickets]
categories = ["Réseaux > Wi-Fi", "Scolarité > LSU"]
[notifications]
from = "support@ac-exemple.fr"
transport = "file"
dir = "out"
[[groups]]
name = "referents-lsu"
members = ["rene@ac-exemple.fr", "rita@ac-exemple.fr"]
[[groups]]
name = "dsi-bai"
members = ["bai@ac-exemple.fr"]
"#;

pub(super) const REQUESTER: &str = "marie@ac-exemple.fr";
pub(super) const REFERENT: &str = "rene@ac-exemple.fr";

pub(super) fn config() -> Config {
    Config::from_toml(CONFIG, Path::new("t.toml"), Path::new("/")).expect("config")
}

/// A ticket of Marie's in `status`, escalated to the BAI, with the LSU
/// referents and René observing.
pub(super) fn escalated(status: Status) -> TicketFacts {
    TicketFacts {
        assigned_groups: vec!["dsi-bai".into()],
        observer_groups: vec!["referents-lsu".into()],
        observers: vec![REFERENT.into()],
        ..ticket(status, false)
    }
}

/// A ticket of Marie's in `status`, in the hands of the LSU referents,
/// taken by René when `taken`.
pub(super) fn ticket(status: Status, taken: bool) -> TicketFacts {
    TicketFacts {
        id: 1,
        status,
        requester: REQUESTER.into(),
        observers: vec![],
        technicians: if taken { vec![REFERENT.into()] } else { vec![] },
        assigned_groups: vec!["referents-lsu".into()],
        observer_groups: vec![],
        urgency: 3,
        impact: 3,
        solver: taken.then(|| REFERENT.to_string()),
    }
}

/// A plan or an answer, in one comparable line.
/// A row of a plan table: name, the ticket, the author, their role, what
/// they wrote, and the plan's summary expected.
pub(super) type PlanCase<'a> = (&'a str, TicketFacts, &'a str, Role, &'a str, &'a str);

/// Plans every row and reports every row whose summary differs.
pub(super) fn check_plans(cases: Vec<PlanCase<'_>>) {
    let config = config();
    let mut failures = Vec::new();
    for (name, facts, author, role, text, expected) in cases {
        let got = summary(plan(&facts, &Mailbox::new(author, None), role, text, &config));
        if got != expected {
            failures.push(format!("{name}:\n   got {got}\n  want {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

pub(super) fn summary(result: Result<Plan, AutoReply>) -> String {
    let plan = match result {
        Err(AutoReply::Help) => return "help".into(),
        Err(AutoReply::CommandErrors(errors)) => return format!("errors: {}", errors.join(" | ")),
        Ok(plan) => plan,
    };
    let changes: Vec<String> = plan
        .changes
        .iter()
        .map(|c| match c {
            Change::Status(s) => format!("status {s}"),
            Change::AssignTechnician(m) => format!("assign {}", m.address),
            Change::UnassignTechnician(a) => format!("unassign {a}"),
            Change::AssignGroup(g) => format!("group {g}"),
            Change::UnassignGroup(g) => format!("ungroup {g}"),
            Change::ObserveGroup(g) => format!("observer-group {g}"),
            Change::ObservePerson(m) => format!("observer {}", m.address),
            Change::Urgency { urgency, priority } => format!("urgency {urgency} priority {priority}"),
            Change::Impact { impact, priority } => format!("impact {impact} priority {priority}"),
            Change::Category(c) => format!("category {c}"),
            Change::Type(t) => format!("type {}", t.as_str()),
            Change::Location(l) => format!("location {l}"),
            Change::ProposeSolution => "solution".into(),
            Change::AcceptSolution => "accept".into(),
            Change::RejectSolution => "reject".into(),
            Change::SettleSolution { accepted } => format!("settle {accepted}"),
        })
        .collect();
    let notices: Vec<String> = plan
        .notices
        .iter()
        .map(|n| match n {
            Notice::Followup => "followup".to_string(),
            Notice::Assigned(Assignee::Group(g)) => format!("assigned to {g}"),
            Notice::Assigned(Assignee::Technician(m)) => format!("assigned to {}", m.address),
            Notice::StatusChanged { previous } => format!("status changed from {previous}"),
            Notice::SolutionProposed => "solution proposed".into(),
            Notice::SolutionAccepted => "solution accepted".into(),
            Notice::SolutionRejected => "solution rejected".into(),
            Notice::Closed => "closed".into(),
        })
        .collect();
    format!(
        "{} => {}{}{}",
        changes.join(", "),
        notices.join(", "),
        if plan.private { " (private)" } else { "" },
        if plan.text.is_empty() { String::new() } else { format!(" \"{}\"", plan.text) }
    )
}

#[test]
fn replies_and_what_they_do() {
    use Role::*;
    use Status::*;
    let cases: Vec<(&str, TicketFacts, &str, Role, &str, &str)> = vec![
        (
            "#take makes the referent the technician",
            ticket(Assigned, false),
            REFERENT,
            Technician,
            "#take\nJe regarde.",
            "assign rene@ac-exemple.fr => followup \"Je regarde.\"",
        ),
        (
            "#take on a new ticket starts work",
            ticket(New, false),
            REFERENT,
            Technician,
            "#take",
            "assign rene@ac-exemple.fr, status assigned => status changed from new",
        ),
        (
            "escalation keeps the first group and technician as observers",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#assign dsi-bai\nPour le BAI.",
            "ungroup referents-lsu, observer-group referents-lsu, unassign rene@ac-exemple.fr, \
             observer rene@ac-exemple.fr, group dsi-bai => assigned to dsi-bai, followup \"Pour le BAI.\"",
        ),
        (
            "assigning a technician by address",
            ticket(Assigned, false),
            REFERENT,
            Technician,
            "#assign BAI@ac-exemple.fr",
            "assign bai@ac-exemple.fr => assigned to bai@ac-exemple.fr",
        ),
        (
            "#solve proposes the text as the solution",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#résoudre\nRedémarrez le poste.",
            "solution, status solved => solution proposed \"Redémarrez le poste.\"",
        ),
        (
            "#take and #solve together on a new ticket",
            ticket(New, false),
            REFERENT,
            Technician,
            "#take #solve\nC'est réparé.",
            "assign rene@ac-exemple.fr, solution, status solved => solution proposed \"C'est réparé.\"",
        ),
        (
            "#status pending without text tells everyone",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#statut en attente",
            "status pending => status changed from assigned",
        ),
        (
            "a private note hides the followup and still reports the status",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#private #status pending\nOn attend le fournisseur.",
            "status pending => followup, status changed from assigned (private) \"On attend le fournisseur.\"",
        ),
        (
            "urgency recomputes the priority with GLPI's matrix",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#urgence 5",
            "urgency 5 priority 4 => ",
        ),
        (
            "a category by its leaf name",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#catégorie wifi",
            "category Réseaux > Wi-Fi => ",
        ),
        (
            "a plain answer on a ticket nobody has taken takes it",
            ticket(Assigned, false),
            REFERENT,
            Technician,
            "Bonjour, je m'en occupe.",
            "assign rene@ac-exemple.fr => followup \"Bonjour, je m'en occupe.\"",
        ),
        (
            "#status closed closes and says so",
            ticket(Solved, true),
            REFERENT,
            Technician,
            "#status clos",
            "status closed => closed",
        ),
        ("#help answers and changes nothing", ticket(Assigned, true), REFERENT, Technician, "#aide\n#take", "help"),
        (
            "an unknown group is refused with the known ones",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#assign dsi-reseau",
            "errors: « #assign dsi-reseau » : aucun groupe ni technicien de ce nom (groupes : referents-lsu, dsi-bai)",
        ),
        (
            "one bad command and none is obeyed",
            ticket(Assigned, false),
            REFERENT,
            Technician,
            "#take\n#urgency 9",
            "errors: « #urgency 9 » : le niveau va de 1 (très bas) à 5 (très haut)",
        ),
        (
            "a solution needs its text",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#solve",
            "errors: « #solve » : écrivez la solution sous la commande",
        ),
        (
            "an outsider cannot observe",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#observer x@gmail.com",
            "errors: « #observer x@gmail.com » : ni un groupe, ni une adresse de l'établissement",
        ),
        (
            "the requester accepts and the ticket closes",
            ticket(Solved, true),
            REQUESTER,
            Requester,
            "Accepter, merci beaucoup",
            "accept, status closed => solution accepted \"merci beaucoup\"",
        ),
        (
            "the requester rejects and the ticket re-opens with the reply",
            ticket(Solved, true),
            REQUESTER,
            Requester,
            "#refuser toujours en panne",
            "reject, status assigned => solution rejected \"toujours en panne\"",
        ),
        (
            "a plain reply to a solved ticket re-opens it too",
            ticket(Solved, true),
            REQUESTER,
            Requester,
            "Ça ne marche pas.",
            "reject, status assigned => solution rejected \"Ça ne marche pas.\"",
        ),
        (
            "accepting when nothing was solved is text",
            ticket(Assigned, true),
            REQUESTER,
            Requester,
            "accepter",
            " => followup \"accepter\"",
        ),
        (
            "the requester cancels their request",
            ticket(Assigned, true),
            REQUESTER,
            Requester,
            "#annuler\nProblème résolu tout seul.",
            "status cancelled => status changed from assigned \"Problème résolu tout seul.\"",
        ),
        (
            "a requester's technician commands are text",
            ticket(Assigned, false),
            REQUESTER,
            Requester,
            "#take\n#status closed",
            " => followup \"#take\n#status closed\"",
        ),
        (
            "an escalated referent's note does not take the ticket back",
            escalated(Assigned),
            REFERENT,
            Technician,
            "Pour info, même souci l'an dernier.",
            " => followup \"Pour info, même souci l'an dernier.\"",
        ),
        (
            "a plain answer from outside the group in charge takes nothing",
            ticket(Assigned, false),
            "bai@ac-exemple.fr",
            Technician,
            "Je connais ce problème.",
            " => followup \"Je connais ce problème.\"",
        ),
        (
            "the group in charge's member takes it by answering",
            escalated(Assigned),
            "bai@ac-exemple.fr",
            Technician,
            "Je m'en charge.",
            "assign bai@ac-exemple.fr => followup \"Je m'en charge.\"",
        ),
        (
            "a technician's note on a closed ticket does not re-open it",
            ticket(Closed, true),
            REFERENT,
            Technician,
            "Clôturé avec le fournisseur.",
            " => followup \"Clôturé avec le fournisseur.\"",
        ),
        (
            "a solution on a closed ticket is refused",
            ticket(Closed, true),
            REFERENT,
            Technician,
            "#solve\nEncore une chose.",
            "errors: « #solve » : le ticket est Clos ; rouvrez-le d'abord avec #statut en cours",
        ),
        (
            "an observer named with a display name",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#observer Paul Durand <Paul@ac-exemple.fr>",
            "observer paul@ac-exemple.fr => ",
        ),
        (
            "two addresses are not one observer",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#observer a@ac-exemple.fr, b@ac-exemple.fr",
            "errors: « #observer a@ac-exemple.fr, b@ac-exemple.fr » : ni un groupe, ni une adresse de l'établissement",
        ),
        (
            "a late acceptance after the automatic close changes nothing",
            ticket(Closed, true),
            REQUESTER,
            Requester,
            "Accepter, merci",
            " => followup \"merci\"",
        ),
        (
            "a second cancel on a cancelled ticket is silent",
            ticket(Cancelled, true),
            REQUESTER,
            Requester,
            "#annuler",
            " => ",
        ),
        (
            "the requester's plain reply re-opens a closed ticket",
            ticket(Closed, true),
            REQUESTER,
            Requester,
            "Ça recommence.",
            "status assigned => followup \"Ça recommence.\"",
        ),
        (
            "an observer's thanks leave a closed ticket closed",
            ticket(Closed, true),
            "paul@ac-exemple.fr",
            Observer,
            "merci",
            " => followup \"merci\"",
        ),
        (
            "an observer cannot accept for the requester",
            ticket(Solved, true),
            "paul@ac-exemple.fr",
            Observer,
            "accepter",
            " => followup \"accepter\"",
        ),
    ];
    check_plans(cases);
}
