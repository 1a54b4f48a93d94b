//! The requester's answers to a solution, and the technicians' new
//! commands, as a table: nothing re-opens to nobody, thanks close, and a
//! technician may cancel or set the location.

use super::tests::{REFERENT, REQUESTER, check_plans, ticket};
use super::*;

/// Solved by `solver` without taking it: nobody is its technician.
fn solved_untaken(solver: &str, groups: &[&str]) -> TicketFacts {
    TicketFacts {
        technicians: vec![],
        assigned_groups: groups.iter().map(|g| g.to_string()).collect(),
        solver: Some(solver.into()),
        ..ticket(Status::Solved, false)
    }
}

#[test]
fn answers_to_a_solution_and_what_they_do() {
    use Role::*;
    use Status::*;
    let bai = "bai@ac-exemple.fr";
    let cases: Vec<(&str, TicketFacts, &str, Role, &str, &str)> = vec![
        (
            "thanks accept the solution and keep the words",
            ticket(Solved, true),
            REQUESTER,
            Requester,
            "Merci, ça fonctionne !",
            "accept, status closed => solution accepted \"Merci, ça fonctionne !\"",
        ),
        (
            "english thanks accept too",
            ticket(Solved, true),
            REQUESTER,
            Requester,
            "Thanks, it works now.",
            "accept, status closed => solution accepted \"Thanks, it works now.\"",
        ),
        (
            "thanks with a question re-open",
            ticket(Solved, true),
            REQUESTER,
            Requester,
            "Merci ! Et pour la salle B12 ?",
            "reject, status assigned => solution rejected \"Merci ! Et pour la salle B12 ?\"",
        ),
        (
            "any other answer re-opens to the technician who solved it",
            solved_untaken(bai, &[]),
            REQUESTER,
            Requester,
            "La 3e B reste bloquée.",
            "reject, assign bai@ac-exemple.fr, status assigned => solution rejected \"La 3e B reste bloquée.\"",
        ),
        (
            "an explicit rejection re-opens to the solver as well",
            solved_untaken(bai, &["dsi-bai"]),
            REQUESTER,
            Requester,
            "Refuser : toujours en panne",
            "reject, assign bai@ac-exemple.fr, status assigned => solution rejected \"toujours en panne\"",
        ),
        (
            "a closed ticket re-opened by its requester goes back to its solver",
            TicketFacts { status: Closed, ..solved_untaken(bai, &[]) },
            REQUESTER,
            Requester,
            "Ça recommence.",
            "assign bai@ac-exemple.fr, status assigned => followup \"Ça recommence.\"",
        ),
        (
            "an answer to a waiting question does not change the owner",
            TicketFacts { status: Pending, ..solved_untaken(bai, &[]) },
            REQUESTER,
            Requester,
            "Voici le numéro de série.",
            "status new => followup \"Voici le numéro de série.\"",
        ),
        (
            "a technician cancels a duplicate",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#status annulé\nDoublon du ticket 12.",
            "status cancelled => followup \"Doublon du ticket 12.\"",
        ),
        (
            "#cancel alone tells everyone",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#cancel",
            "status cancelled => status changed from assigned",
        ),
        (
            "#lieu sets the location",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#lieu Bâtiment B, salle 204",
            "location Bâtiment B, salle 204 => ",
        ),
        (
            "#pour belongs to a new mail",
            ticket(Assigned, true),
            REFERENT,
            Technician,
            "#pour marie@ac-exemple.fr",
            "errors: « #pour marie@ac-exemple.fr » : seulement dans un nouveau courriel, qui ouvre alors le ticket \
             pour cette personne ; sur un ticket existant, #observateur ajoute quelqu'un",
        ),
    ];
    check_plans(cases);
}
