//! A made-up helpdesk of any size, for the staff pages' benchmark and for
//! tests that need volume (query plans, pagination): tickets spread over
//! statuses, priorities, technicians, groups and days, each with a
//! followup, written in one transaction. The spread is fixed by the
//! ticket's number, so two runs build the same helpdesk. Nothing in the
//! daemon calls this.

use rusqlite::params;
use time::{Duration, OffsetDateTime};

use super::{Store, StoreError};
use crate::clock::rfc3339;
use crate::ticket::Status;

/// The shape of the helpdesk to build.
#[derive(Debug, Clone)]
pub struct Synthetic {
    pub tickets: u32,
    /// Tickets are opened over this many days before `now`.
    pub days: u32,
    pub now: OffsetDateTime,
    /// Addresses of the technicians tickets are given to.
    pub technicians: Vec<String>,
    /// Names of the groups tickets are assigned to.
    pub groups: Vec<String>,
}

impl Synthetic {
    /// What ticket `n` (from 0) is like: its status, priority, technician
    /// (an index into `technicians`) and group (an index into `groups`).
    /// One ticket in seven has neither technician nor group; one in seven
    /// has a group and no technician.
    pub fn shape(&self, n: u32) -> (Status, u8, Option<usize>, Option<usize>) {
        // A multiplicative hash: neighbours differ, runs repeat.
        let h = n.wrapping_mul(2_654_435_761);
        let status = Status::ALL[(h % 7) as usize];
        let priority = 1 + ((h >> 3) % 5) as u8;
        let owner = n % 7;
        let tech = (owner >= 2 && !self.technicians.is_empty()).then(|| (h >> 7) as usize % self.technicians.len());
        let group = (owner >= 1 && !self.groups.is_empty()).then(|| (h >> 11) as usize % self.groups.len());
        (status, priority, tech, group)
    }
}

impl Store {
    /// Adds the tickets `spec` describes (see [`Synthetic::shape`]).
    pub fn fill_synthetic(&mut self, spec: &Synthetic) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut ticket = tx.prepare(
                "INSERT INTO tickets (title, description, status, entity, requester, category, urgency, impact,
                                      priority, created_at, updated_at, solved_at, closed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 3, 3, ?7, ?8, ?8, ?9, ?10)",
            )?;
            let mut actor = tx.prepare("INSERT INTO actors (ticket_id, role, email) VALUES (?1, ?2, ?3)")?;
            let mut group =
                tx.prepare("INSERT INTO ticket_groups (ticket_id, role, group_name) VALUES (?1, 'assigned', ?2)")?;
            let mut followup = tx.prepare(
                "INSERT INTO followups (ticket_id, author, role, body, created_at) VALUES (?1, ?2, 'requester', ?3, ?4)",
            )?;
            let span = i64::from(spec.days.max(1)) * 86_400;
            for n in 0..spec.tickets {
                let (status, priority, tech, grp) = spec.shape(n);
                let age = span - span * i64::from(n) / i64::from(spec.tickets.max(1));
                let created = spec.now - Duration::seconds(age);
                let created_at = rfc3339(created);
                let finished = matches!(status, Status::Solved | Status::Closed);
                let solved_at = finished.then(|| rfc3339(created + Duration::hours(4)));
                let closed_at = status.is_finished().then(|| rfc3339(created + Duration::hours(5)));
                let requester = format!("user{}@clg-{}.ac-exemple.fr", n % 500, n % 40);
                let category = ["Matériel > Imprimante", "Scolarité > LSU", "Réseau", "Messagerie"][(n % 4) as usize];
                ticket.execute(params![
                    format!("Demande {n}: imprimante, réseau ou LSU"),
                    format!("Description of request {n}. Le poste ne démarre plus depuis ce matin."),
                    status.as_str(),
                    format!("Collège {}", n % 40),
                    requester,
                    category,
                    priority,
                    created_at,
                    solved_at,
                    closed_at,
                ])?;
                let id = tx.last_insert_rowid();
                actor.execute(params![id, "requester", requester])?;
                if let Some(t) = tech {
                    actor.execute(params![id, "technician", spec.technicians[t]])?;
                }
                if let Some(g) = grp {
                    group.execute(params![id, spec.groups[g]])?;
                }
                followup.execute(params![id, requester, format!("Toujours en panne (relance {n})."), created_at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
