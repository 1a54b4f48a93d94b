//! Why a command was not obeyed, in the words of the notification's
//! language: the answer a technician gets is entirely French (or English),
//! quotes the command as they wrote it (« #statut en atente »), and says
//! what would have been right.

use crate::ticket::Language;

/// One command that could not be obeyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandError {
    /// The command as the technician wrote it (`#Statut en atente`), or the
    /// commands involved for an error about several (`#résoudre #privé`).
    pub written: String,
    pub kind: ErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    Unknown,
    NeedsArgument,
    TakesNoArgument,
    Status,
    /// The category tree's own answer, already in the language.
    Category(String),
    Type,
    /// No group nor technician of that name; the group names configured.
    Assign(Vec<String>),
    /// Not a group, nor an address of the institution; the sender policy's reason.
    Observer(String),
    Level,
    SolveWithoutText,
    SolvePrivate,
    /// The ticket's status label, in the language.
    SolveFinished(&'static str),
    SolveAndStatus,
    /// A location longer than the store keeps.
    LocationTooLong,
    /// `#pour` on an existing ticket: only a new mail opens a ticket for someone.
    ForOnTicket,
}

impl CommandError {
    pub fn new(written: &str, kind: ErrorKind) -> CommandError {
        CommandError { written: shown(written.trim()), kind }
    }

    /// One line for the `command_error` notification.
    pub fn render(&self, language: Language) -> String {
        match language {
            Language::Fr => format!("« {} » : {}", self.written, self.fr()),
            Language::En => format!("\"{}\": {}", self.written, self.en()),
        }
    }

    fn fr(&self) -> String {
        match &self.kind {
            ErrorKind::Unknown => "commande inconnue (#aide en donne la liste)".into(),
            ErrorKind::NeedsArgument => "il manque ce sur quoi porte la commande (#aide donne des exemples)".into(),
            ErrorKind::TakesNoArgument => "cette commande s'écrit seule, sans rien après".into(),
            ErrorKind::Status => "statut inconnu ; écrivez en cours, planifié, en attente, résolu, clos ou annulé".into(),
            ErrorKind::Category(reason) => reason.clone(),
            ErrorKind::Type => "type inconnu ; écrivez incident ou demande".into(),
            ErrorKind::Assign(groups) if groups.is_empty() => {
                "aucun groupe ni technicien de ce nom (aucun groupe n'est configuré)".into()
            }
            ErrorKind::Assign(groups) => {
                format!("aucun groupe ni technicien de ce nom (groupes : {})", groups.join(", "))
            }
            ErrorKind::Observer(_) => "ni un groupe, ni une adresse de l'établissement".into(),
            ErrorKind::Level => "le niveau va de 1 (très bas) à 5 (très haut)".into(),
            ErrorKind::SolveWithoutText => "écrivez la solution sous la commande".into(),
            ErrorKind::SolvePrivate => "une solution est envoyée au demandeur, elle ne peut pas être privée".into(),
            ErrorKind::SolveFinished(status) => {
                format!("le ticket est {status} ; rouvrez-le d'abord avec #statut en cours")
            }
            ErrorKind::SolveAndStatus => "#résoudre met déjà le ticket au statut Résolu".into(),
            ErrorKind::LocationTooLong => "le lieu tient en 200 caractères au plus".into(),
            ErrorKind::ForOnTicket => {
                "seulement dans un nouveau courriel, qui ouvre alors le ticket pour cette personne ; sur un ticket existant, #observateur ajoute quelqu'un".into()
            }
        }
    }

    fn en(&self) -> String {
        match &self.kind {
            ErrorKind::Unknown => "unknown command (#help lists them)".into(),
            ErrorKind::NeedsArgument => "expected an argument (#help gives examples)".into(),
            ErrorKind::TakesNoArgument => "this command takes no argument".into(),
            ErrorKind::Status => "unknown status; write assigned, planned, pending, solved, closed or cancelled".into(),
            ErrorKind::Category(reason) => reason.clone(),
            ErrorKind::Type => "unknown type; write incident or request".into(),
            ErrorKind::Assign(groups) if groups.is_empty() => {
                "no group or technician of that name (no group is configured)".into()
            }
            ErrorKind::Assign(groups) => format!("no group or technician of that name (groups: {})", groups.join(", ")),
            ErrorKind::Observer(reason) => format!("not a group, nor an address of the institution ({reason})"),
            ErrorKind::Level => "expected 1 (very low) to 5 (very high)".into(),
            ErrorKind::SolveWithoutText => "write the solution below the command".into(),
            ErrorKind::SolvePrivate => "a solution is sent to the requester, it cannot be private".into(),
            ErrorKind::SolveFinished(status) => {
                format!("the ticket is {status}; re-open it first with #status assigned")
            }
            ErrorKind::SolveAndStatus => "#solve already sets the status to solved".into(),
            ErrorKind::LocationTooLong => "a location is at most 200 characters".into(),
            ErrorKind::ForOnTicket => {
                "only in a new mail, which then opens a ticket for that person; on an existing ticket, #observer adds someone".into()
            }
        }
    }
}

/// What a user wrote, as echoed in an error answer: a line, not a page.
fn shown(written: &str) -> String {
    crate::text::one_line(written, 81)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_is_entirely_in_the_language_and_quotes_the_command_as_written() {
        let table = [
            (
                CommandError::new("#Statut en atente", ErrorKind::Status),
                "« #Statut en atente » : statut inconnu ; écrivez en cours, planifié, en attente, résolu, clos ou annulé",
                "\"#Statut en atente\": unknown status; write assigned, planned, pending, solved, closed or cancelled",
            ),
            (
                CommandError::new("#prendsle", ErrorKind::Unknown),
                "« #prendsle » : commande inconnue (#aide en donne la liste)",
                "\"#prendsle\": unknown command (#help lists them)",
            ),
            (
                CommandError::new("#attribuer x", ErrorKind::Assign(vec!["dsi-bai".into()])),
                "« #attribuer x » : aucun groupe ni technicien de ce nom (groupes : dsi-bai)",
                "\"#attribuer x\": no group or technician of that name (groups: dsi-bai)",
            ),
            (
                CommandError::new("#urgence 9", ErrorKind::Level),
                "« #urgence 9 » : le niveau va de 1 (très bas) à 5 (très haut)",
                "\"#urgence 9\": expected 1 (very low) to 5 (very high)",
            ),
        ];
        for (error, fr, en) in table {
            assert_eq!(error.render(Language::Fr), fr);
            assert_eq!(error.render(Language::En), en);
        }
        let long = CommandError::new(&format!("#type {}", "x".repeat(500)), ErrorKind::Type);
        assert!(long.written.chars().count() <= 81, "an echoed command is one short line");
    }
}
