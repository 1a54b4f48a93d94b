//! A solution still waiting for its requester when the ticket leaves
//! « Résolu » by another way (a technician closes it, the requester
//! cancels, work resumes) is settled: accepted when the ticket closes,
//! rejected otherwise, so that it is neither left waiting (and later taken
//! for someone else's verdict) nor counted as the requester's answer. The
//! settling writes no history line of its own: the status change says it.

use super::Change;
use crate::ticket::Status;

/// `changes` as they apply to a ticket whose status is `before`, with a
/// [`Change::SettleSolution`] before each status change that leaves
/// « Résolu » while a solution may still wait.
pub fn settle_waiting_solution(before: Status, changes: &[Change]) -> Vec<Change> {
    let mut status = before;
    let mut settled = Vec::with_capacity(changes.len() + 1);
    for change in changes {
        match change {
            // An explicit verdict decides the solution itself.
            Change::AcceptSolution | Change::RejectSolution => status = Status::New,
            Change::Status(next) => {
                if status == Status::Solved && *next != Status::Solved {
                    settled.push(Change::SettleSolution { accepted: *next == Status::Closed });
                }
                status = *next;
            }
            _ => {}
        }
        settled.push(change.clone());
    }
    settled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_solution_is_settled_only_when_the_ticket_leaves_solved_by_another_way() {
        use crate::ticket::Status as S;
        use Change::*;
        let settle = |accepted| SettleSolution { accepted };
        let cases: Vec<(&str, S, Vec<Change>, Vec<Change>)> = vec![
            (
                "a technician closes a solved ticket",
                S::Solved,
                vec![Status(S::Closed)],
                vec![settle(true), Status(S::Closed)],
            ),
            (
                "the requester cancels a solved ticket",
                S::Solved,
                vec![Status(S::Cancelled)],
                vec![settle(false), Status(S::Cancelled)],
            ),
            (
                "work resumes on a solved ticket",
                S::Solved,
                vec![Status(S::Assigned)],
                vec![settle(false), Status(S::Assigned)],
            ),
            (
                "the requester accepts: the verdict is theirs",
                S::Solved,
                vec![AcceptSolution, Status(S::Closed)],
                vec![AcceptSolution, Status(S::Closed)],
            ),
            (
                "the requester rejects: the verdict is theirs",
                S::Solved,
                vec![RejectSolution, Status(S::Assigned)],
                vec![RejectSolution, Status(S::Assigned)],
            ),
            (
                "a ticket in progress closes: nothing waits",
                S::Assigned,
                vec![Status(S::Closed)],
                vec![Status(S::Closed)],
            ),
            (
                "solved again: still waiting",
                S::Solved,
                vec![ProposeSolution, Status(S::Solved)],
                vec![ProposeSolution, Status(S::Solved)],
            ),
        ];
        let failures: Vec<String> = cases
            .into_iter()
            .filter_map(|(name, before, changes, expected)| {
                let got = settle_waiting_solution(before, &changes);
                (got != expected).then(|| format!("{name}: got {got:?}, expected {expected:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
