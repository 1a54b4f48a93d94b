//! Commands written by mail. A technician drives a ticket from a mail client
//! by putting lines such as `#take`, `#assign dsi-bai` or `#status pending`
//! at the top of a reply, before any text; a requester answers a proposed
//! solution with `#accept` / `#reject` (or "accepter" / "refuser" as the
//! first word) and withdraws a request with `#cancel`. Parsing is pure and
//! says nothing of who may do what: that is [`super::plan`]'s job.
//!
//! Only the top of the reply is read, so a `#` further down (a hashtag, a
//! quoted command, `#3` in a sentence) is text, never an order.

mod errors;
pub use errors::{CommandError, ErrorKind};

/// One technician command, with its argument as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Take,
    Assign(String),
    Observer(String),
    Status(String),
    Solve,
    Private,
    Urgency(String),
    Impact(String),
    Category(String),
    Type(String),
    /// `#cancel`: the request is withdrawn (status cancelled).
    Cancel,
    /// `#lieu Bâtiment B, salle 204`.
    Location(String),
    /// `#pour adresse`: a new ticket is opened for that person.
    For(String),
    Help,
}

impl Command {
    /// The command's English name, as `#help` documents it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Take => "take",
            Command::Assign(_) => "assign",
            Command::Observer(_) => "observer",
            Command::Status(_) => "status",
            Command::Solve => "solve",
            Command::Private => "private",
            Command::Urgency(_) => "urgency",
            Command::Impact(_) => "impact",
            Command::Category(_) => "category",
            Command::Type(_) => "type",
            Command::Cancel => "cancel",
            Command::Location(_) => "location",
            Command::For(_) => "for",
            Command::Help => "help",
        }
    }
}

/// The commands at the top of a reply and the text below them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandBlock {
    pub commands: Vec<Command>,
    /// Each command as it was written (`#Statut en attente`), beside `commands`.
    pub written: Vec<String>,
    /// One per command that could not be read, for the error reply.
    pub errors: Vec<CommandError>,
    /// What remains once the command lines are taken off.
    pub text: String,
}

impl CommandBlock {
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty() && self.errors.is_empty()
    }
}

/// The block of commands given by a door that is not a mail (a web form):
/// already read, each shown as it would be written in a mail, for an error
/// answer that names it.
pub fn given(commands: Vec<Command>, text: &str) -> CommandBlock {
    let written = commands
        .iter()
        .map(|c| match c {
            Command::Assign(a)
            | Command::Observer(a)
            | Command::Status(a)
            | Command::Urgency(a)
            | Command::Impact(a)
            | Command::Category(a)
            | Command::Type(a)
            | Command::Location(a)
            | Command::For(a) => format!("#{} {a}", c.name()),
            _ => format!("#{}", c.name()),
        })
        .collect();
    CommandBlock { commands, written, errors: Vec::new(), text: text.trim().to_string() }
}

/// Reads the command lines at the top of `written` (the reply without its
/// quoted history). Several commands may share a line: `#take #private`.
pub fn parse(written: &str) -> CommandBlock {
    let mut block = CommandBlock::default();
    let mut lines = written.lines().peekable();
    while let Some(line) = lines.peek() {
        let line = line.trim();
        if line.is_empty() && block.is_empty() {
            lines.next();
            continue;
        }
        if !starts_with_command(line) {
            break;
        }
        for word in split_commands(line) {
            match read(word) {
                Ok(command) => {
                    block.commands.push(command);
                    block.written.push(word.trim().to_string());
                }
                Err(kind) => block.errors.push(CommandError::new(word, kind)),
            }
        }
        lines.next();
    }
    block.text = lines.collect::<Vec<_>>().join("\n").trim().to_string();
    block
}

/// `#` then a letter: `#take`, not `#3` nor `# title`.
fn starts_with_command(s: &str) -> bool {
    s.strip_prefix('#').and_then(|r| r.chars().next()).is_some_and(char::is_alphabetic)
}

/// `#take #status pending` → [`#take`, `#status pending`]; any white space
/// (a tab from a phone's keyboard) separates two commands.
fn split_commands(line: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = vec![0];
    let mut previous_is_space = false;
    for (i, c) in line.char_indices() {
        if c == '#' && previous_is_space && starts_with_command(&line[i..]) {
            starts.push(i);
        }
        previous_is_space = c.is_whitespace();
    }
    starts.push(line.len());
    starts.windows(2).map(|w| line[w[0]..w[1]].trim()).collect()
}

fn read(word: &str) -> Result<Command, ErrorKind> {
    let body = word.trim_start_matches('#');
    let (name, argument) = match body.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim().to_string()),
        None => (body, String::new()),
    };
    let name = fold(name);
    let needs = |make: fn(String) -> Command| {
        if argument.is_empty() { Err(ErrorKind::NeedsArgument) } else { Ok(make(argument.clone())) }
    };
    let plain = |command: Command| {
        if argument.is_empty() { Ok(command) } else { Err(ErrorKind::TakesNoArgument) }
    };
    match name.as_str() {
        "take" | "prendre" => plain(Command::Take),
        "solve" | "resoudre" => Ok(Command::Solve),
        "private" | "prive" => plain(Command::Private),
        "help" | "aide" => Ok(Command::Help),
        "assign" | "attribuer" | "assigner" => needs(Command::Assign),
        "observer" | "observateur" => needs(Command::Observer),
        "status" | "statut" => needs(Command::Status),
        "urgency" | "urgence" => needs(Command::Urgency),
        "impact" => needs(Command::Impact),
        "category" | "categorie" => needs(Command::Category),
        "type" => needs(Command::Type),
        "cancel" | "annuler" => plain(Command::Cancel),
        "location" | "lieu" => needs(Command::Location),
        "for" | "pour" | "requester" | "demandeur" => needs(Command::For),
        _ => Err(ErrorKind::Unknown),
    }
}

/// What a requester's reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequesterAction {
    Accept,
    Reject,
    Cancel,
}

/// The requester's answer, read from the first word of the reply only:
/// `#accept`, `accepter`, `Refuser.`, `#cancel`, `annuler`. The hash is
/// optional for accept and reject, whose words users type naturally, and
/// required for cancel, which "annuler" in a sentence must not trigger.
pub fn requester_action(written: &str) -> Option<RequesterAction> {
    let first = written.split_whitespace().next()?;
    let hashed = first.starts_with('#');
    let word = fold(first.trim_start_matches('#').trim_end_matches(|c: char| !c.is_alphanumeric()));
    match word.as_str() {
        "accept" | "accepted" | "accepter" | "accepte" | "acceptee" => Some(RequesterAction::Accept),
        "reject" | "rejected" | "refuser" | "refuse" | "refusee" | "refused" => Some(RequesterAction::Reject),
        "cancel" | "annuler" if hashed => Some(RequesterAction::Cancel),
        _ => None,
    }
}

pub use crate::config::fold_accents as fold;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_blocks() {
        use Command::*;
        let cases: Vec<(&str, &str, Vec<Command>, usize, &str)> = vec![
            ("a lone command", "#take", vec![Take], 0, ""),
            ("command then text", "#take\nJe m'en occupe.", vec![Take], 0, "Je m'en occupe."),
            ("blank lines before", "\n\n#take\n\nBonjour", vec![Take], 0, "Bonjour"),
            ("argument kept whole", "#category Scolarité > LSU", vec![Category("Scolarité > LSU".into())], 0, ""),
            ("two on one line", "#take #private\nnote", vec![Take, Private], 0, "note"),
            ("a tab separates too", "#take\t#private", vec![Take, Private], 0, ""),
            ("french and accents", "#Résoudre\nRedémarrez.", vec![Solve], 0, "Redémarrez."),
            (
                "status with words",
                "#statut en attente\nJ'attends votre retour.",
                vec![Status("en attente".into())],
                0,
                "J'attends votre retour.",
            ),
            ("text first: no commands", "Bonjour,\n#take", vec![], 0, "Bonjour,\n#take"),
            ("a number is not a command", "#3 ne marche pas", vec![], 0, "#3 ne marche pas"),
            ("unknown command is an error", "#prendsle\ntexte", vec![], 1, "texte"),
            ("missing argument is an error", "#assign", vec![], 1, ""),
            ("argument where none is taken", "#take alice", vec![], 1, ""),
            ("cancel in french", "#annuler\nDoublon du 12.", vec![Cancel], 0, "Doublon du 12."),
            (
                "location kept whole",
                "#lieu Bâtiment B, salle 204",
                vec![Location("Bâtiment B, salle 204".into())],
                0,
                "",
            ),
            (
                "for a caller",
                "#pour marie@ac-exemple.fr\nAppel de Marie.",
                vec![For("marie@ac-exemple.fr".into())],
                0,
                "Appel de Marie.",
            ),
            ("requester is for too", "#requester paul@ac-exemple.fr", vec![For("paul@ac-exemple.fr".into())], 0, ""),
        ];
        for (name, text, commands, errors, rest) in cases {
            let block = parse(text);
            assert_eq!(block.commands, commands, "{name}");
            assert_eq!(block.errors.len(), errors, "{name}: {:?}", block.errors);
            assert_eq!(block.text, rest, "{name}");
        }
    }

    #[test]
    fn requester_answers() {
        use RequesterAction::*;
        let cases = [
            ("hash accept", "#accept", Some(Accept)),
            ("french word", "Accepter, merci !", Some(Accept)),
            ("english past tense", "Accepted, thanks", Some(Accept)),
            ("french participle", "Acceptée.", Some(Accept)),
            ("reject with reason", "refuser : l'imprimante ne marche toujours pas", Some(Reject)),
            ("hash reject in french", "#refuser", Some(Reject)),
            ("cancel needs the hash", "#annuler", Some(Cancel)),
            ("annuler in a sentence is text", "annuler la réunion n'a pas suffi", None),
            ("accept later in the text is text", "Je vais accepter demain", None),
            ("empty reply", "", None),
        ];
        for (name, text, expected) in cases {
            assert_eq!(requester_action(text), expected, "{name}");
        }
    }
}
