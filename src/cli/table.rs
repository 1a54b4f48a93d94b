//! Plain-text tables for people: columns sized to their content, cells on
//! one line and capped so that a 100 KB subject cannot wreck the terminal,
//! and escaped so that a subject's ESC sequences or bidi overrides cannot
//! drive it (see `mailgate::text`).

use mailgate::text::for_terminal;

pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

/// Widest a cell may be; longer text is cut with an ellipsis.
const MAX_CELL: usize = 60;

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table { headers: headers.to_vec(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.iter().map(|c| cell(c, MAX_CELL)).collect());
    }

    pub fn print(&self) {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: Vec<&str>| {
            let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            println!("{}", padded.join("  ").trim_end());
        };
        line(self.headers.clone());
        for row in &self.rows {
            line(row.iter().map(String::as_str).collect());
        }
    }
}

/// Cuts `s` to `max` characters, on one line, with the characters a
/// terminal would obey shown escaped.
pub fn cell(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let one_line = for_terminal(&one_line).into_owned();
    match one_line.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if one_line.chars().count() > max => format!("{}…", &one_line[..i]),
        _ => one_line,
    }
}
