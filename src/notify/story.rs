//! What every notification about a ticket says below its news, whatever
//! its template: who handles the ticket, the files the mail brought
//! (attached, or listed by name and size when they are too large to
//! travel), and the ticket's latest public followups, so that a person
//! reading one mail knows the whole story, as the sites' own guides expect.
//! Also the words of dates and sizes in the notification's language
//! (« 30 novembre 2026 », « 1,4 Mo »).

use std::fmt::Write as _;

use time::OffsetDateTime;

use super::{FileNote, HistoryNote, Person};
use crate::ticket::Language;

/// The most files named one by one: a mail of thousands of tiny files
/// must not make every notification of its ticket a long list.
const MAX_LISTED_FILES: usize = 50;

/// Who handles a ticket, as people read it.
pub struct Handlers<'a> {
    /// Group labels.
    pub groups: &'a [String],
    pub technicians: &'a [Person],
}

/// The files of a notification: carried, or only listed (and why).
pub enum Files<'a> {
    None,
    Attached(&'a [FileNote]),
    /// Over the limit of one notification (`limit` bytes): listed only.
    Listed {
        files: &'a [FileNote],
        limit: u64,
        /// The ticket's link when it is the same for everyone; empty when
        /// links are personal (each mail ends with its own) or absent.
        url: &'a str,
    },
}

/// The block inserted above a notification's signature.
pub fn block(language: Language, handlers: &Handlers<'_>, files: &Files<'_>, history: &[HistoryNote]) -> String {
    let fr = language == Language::Fr;
    let mut out = String::new();
    let mut who: Vec<String> =
        handlers.groups.iter().map(|g| if fr { format!("groupe « {g} »") } else { format!("group \"{g}\"") }).collect();
    who.extend(handlers.technicians.iter().map(|t| t.display().to_string()));
    let _ = match (fr, who.is_empty()) {
        (true, false) => write!(out, "\nEn charge : {}", who.join(", ")),
        (true, true) => write!(out, "\nEn charge : personne pour l'instant, le ticket attend d'être pris."),
        (false, false) => write!(out, "\nHandled by: {}", who.join(", ")),
        (false, true) => write!(out, "\nHandled by: nobody yet; the ticket waits to be taken."),
    };
    out.push('\n');
    let listed = match files {
        Files::None => None,
        Files::Attached(files) => {
            out.push_str(if fr { "\nPièces jointes à ce courriel :" } else { "\nFiles attached to this mail:" });
            Some(*files)
        }
        Files::Listed { files, limit, url } => {
            let total: u64 = files.iter().map(|f| f.size).sum();
            let (total, limit) = (size(total, language), size(*limit, language));
            let _ = if fr {
                write!(
                    out,
                    "\nPièces jointes, trop volumineuses pour ce courriel ({total} au total, au-delà de {limit}) ; elles sont sur le ticket{}",
                    if url.is_empty() { ".".to_string() } else { format!(" : {url}") }
                )
            } else {
                write!(
                    out,
                    "\nFiles, too large for this mail ({total} in all, over {limit}); they are on the ticket{}",
                    if url.is_empty() { ".".to_string() } else { format!(": {url}") }
                )
            };
            Some(*files)
        }
    };
    let listed_files = listed.unwrap_or_default();
    for f in listed_files.iter().take(MAX_LISTED_FILES) {
        let _ = write!(out, "\n  - {} ({})", f.filename, size(f.size, language));
    }
    if let Some(more) = listed_files.len().checked_sub(MAX_LISTED_FILES).filter(|n| *n > 0) {
        let _ = if fr {
            write!(out, "\n  … et {more} autres fichiers, sur le ticket")
        } else {
            write!(out, "\n  … and {more} more files, on the ticket")
        };
    }
    if listed.is_some() {
        out.push('\n');
    }
    if !history.is_empty() {
        out.push_str(if fr { "\nDerniers suivis :\n" } else { "\nLatest followups:\n" });
        for h in history {
            let when = date_time(&h.created_at, language);
            // French puts a space before a colon, English none.
            let colon = if fr { " :" } else { ":" };
            let _ = write!(out, "\n{when}, {}{colon}\n{}\n", h.author.display(), h.body.trim_end());
        }
    }
    out
}

/// `text` (a rendered template) with `block` inserted above its signature
/// (the last `--` line), or at its end when it has none.
pub fn insert_above_signature(text: &str, block: &str) -> String {
    match text.rfind("\n--\n") {
        Some(at) => format!("{}\n{}{}", text[..at].trim_end(), block, &text[at..]),
        None => format!("{}\n{}", text.trim_end(), block),
    }
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// A date as a person writes it: « 30 novembre 2026 », « 1er mars 2026 »,
/// "30 November 2026".
pub fn prose_date(date: time::Date, language: Language) -> String {
    let day = date.day();
    match language {
        Language::Fr => {
            let month = MONTHS_FR[usize::from(u8::from(date.month())) - 1];
            if day == 1 { format!("1er {month} {}", date.year()) } else { format!("{day} {month} {}", date.year()) }
        }
        Language::En => format!("{day} {} {}", date.month(), date.year()),
    }
}

/// A stored time (RFC 3339, UTC) as « le 2 mars 2026 à 09:00 (UTC) »; the
/// stored text as it is when it cannot be read.
fn date_time(stored: &str, language: Language) -> String {
    let Ok(t) = OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339) else {
        return stored.to_string();
    };
    let date = prose_date(t.date(), language);
    match language {
        Language::Fr => format!("Le {date} à {:02}:{:02} (UTC)", t.hour(), t.minute()),
        Language::En => format!("On {date} at {:02}:{:02} (UTC)", t.hour(), t.minute()),
    }
}

/// A size in the words of the language: « 812 octets », « 120 Ko », « 1,4 Mo ».
pub fn size(bytes: u64, language: Language) -> String {
    let fr = language == Language::Fr;
    if bytes < 1024 {
        return if fr { format!("{bytes} octets") } else { format!("{bytes} bytes") };
    }
    if bytes < 1 << 20 {
        let kib = bytes.div_ceil(1024);
        return if fr { format!("{kib} Ko") } else { format!("{kib} KB") };
    }
    let tenths = (bytes * 10).div_ceil(1 << 20);
    let (whole, tenth) = (tenths / 10, tenths % 10);
    match (fr, tenth) {
        (true, 0) => format!("{whole} Mo"),
        (true, _) => format!("{whole},{tenth} Mo"),
        (false, 0) => format!("{whole} MB"),
        (false, _) => format!("{whole}.{tenth} MB"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::Role;

    #[test]
    fn dates_and_sizes_read_as_written_by_a_person() {
        let d =
            |y, m, day| time::Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), day).expect("date");
        assert_eq!(prose_date(d(2026, 11, 30), Language::Fr), "30 novembre 2026");
        assert_eq!(prose_date(d(2026, 3, 1), Language::Fr), "1er mars 2026");
        assert_eq!(prose_date(d(2026, 8, 15), Language::Fr), "15 août 2026");
        assert_eq!(prose_date(d(2026, 11, 30), Language::En), "30 November 2026");
        let table = [
            (812, "812 octets", "812 bytes"),
            (120 * 1024, "120 Ko", "120 KB"),
            (1 << 20, "1 Mo", "1 MB"),
            (1_500_000, "1,5 Mo", "1.5 MB"),
        ];
        for (bytes, fr, en) in table {
            assert_eq!((size(bytes, Language::Fr).as_str(), size(bytes, Language::En).as_str()), (fr, en), "{bytes}");
        }
    }

    #[test]
    fn the_block_names_who_handles_the_files_and_the_story() {
        let alice = Person { email: "alice@x".into(), name: Some("Alice Martin".into()) };
        let groups = ["Référents LSU".to_string()];
        let files = [FileNote {
            id: 1,
            filename: "capture.png".into(),
            content_type: "image/png".into(),
            size: 2048,
            inline: true,
        }];
        let history = [HistoryNote {
            author: alice.clone(),
            role: Role::Technician,
            created_at: "2026-03-02T09:05:00Z".into(),
            body: "Redémarrez le poste.".into(),
            total_bytes: 21,
        }];
        let handlers = Handlers { groups: &groups, technicians: std::slice::from_ref(&alice) };
        assert_eq!(
            block(Language::Fr, &handlers, &Files::Attached(&files), &history),
            "\nEn charge : groupe « Référents LSU », Alice Martin\n\nPièces jointes à ce courriel :\n  - capture.png (2 Ko)\n\
             \nDerniers suivis :\n\nLe 2 mars 2026 à 09:05 (UTC), Alice Martin :\nRedémarrez le poste.\n"
        );
        let nobody = Handlers { groups: &[], technicians: &[] };
        let listed = Files::Listed { files: &files, limit: 1024, url: "https://h/1" };
        assert_eq!(
            block(Language::En, &nobody, &listed, &history),
            "\nHandled by: nobody yet; the ticket waits to be taken.\n\nFiles, too large for this mail (2 KB in all, \
             over 1 KB); they are on the ticket: https://h/1\n  - capture.png (2 KB)\n\
             \nLatest followups:\n\nOn 2 March 2026 at 09:05 (UTC), Alice Martin:\nRedémarrez le poste.\n"
        );
    }

    #[test]
    fn a_mail_of_many_files_names_a_bounded_few() {
        let files: Vec<FileNote> = (0..1000)
            .map(|n| FileNote {
                id: n,
                filename: format!("f{n}.txt"),
                content_type: "text/plain".into(),
                size: 1,
                inline: false,
            })
            .collect();
        let nobody = Handlers { groups: &[], technicians: &[] };
        let text = block(Language::Fr, &nobody, &Files::Attached(&files), &[]);
        assert_eq!(text.matches("\n  - ").count(), MAX_LISTED_FILES, "{text}");
        assert!(text.ends_with("\n  … et 950 autres fichiers, sur le ticket\n"), "{text}");
    }

    #[test]
    fn the_block_goes_above_the_signature() {
        assert_eq!(
            insert_above_signature("Bonjour\n\nTexte\n\n--\nAcadémie\n", "\nX\n"),
            "Bonjour\n\nTexte\n\nX\n\n--\nAcadémie\n"
        );
        assert_eq!(insert_above_signature("Texte\n", "\nX\n"), "Texte\n\nX\n");
    }
}
