//! The dashboard's charts as SVG text, drawn on the server (no script in
//! the browser): bars of tickets opened and solved per day, and one bar
//! split by status. Each chart carries its text alternative (`<title>`,
//! `<desc>` listing every number, `role="img"` and `aria-labelledby`), so
//! a screen reader reads the figures the eye sees. Every label is escaped
//! here: the SVG is inserted in the page as markup, past the templates'
//! autoescape.

use std::fmt::Write;

use crate::store::{DayFlow, StatusCounts};
use crate::ticket::Language;

/// Drawing area of the daily chart, in SVG units.
const HEIGHT: f64 = 120.0;
const BAR: f64 = 8.0;
const GAP: f64 = 6.0;
const AXIS: f64 = 16.0;

/// One day's bars: its label and its two counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayBars {
    pub label: String,
    pub opened: i64,
    pub solved: i64,
}

/// A part of the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub label: String,
    pub count: i64,
}

/// The words a chart says, in the institution's language.
struct Words {
    opened: &'static str,
    solved: &'static str,
    flow_title: &'static str,
    status_title: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::Fr => Words {
            opened: "ouverts",
            solved: "résolus",
            flow_title: "Tickets ouverts et résolus par jour",
            status_title: "Tickets par statut",
        },
        Language::En => Words {
            opened: "opened",
            solved: "solved",
            flow_title: "Tickets opened and solved per day",
            status_title: "Tickets by status",
        },
    }
}

/// Text made safe in SVG text and in attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An element id made of what ids may hold, so two charts on one page
/// can be told apart by `id_prefix`.
fn id(prefix: &str, name: &str) -> String {
    let clean: String = prefix.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("{clean}-{name}")
}

/// The daily chart of the dashboard, from the store's counts.
pub fn flow_chart(id_prefix: &str, flow: &[DayFlow], language: Language) -> String {
    let days: Vec<DayBars> = flow
        .iter()
        .map(|d| DayBars {
            label: format!("{:02}/{:02}", d.date.day(), u8::from(d.date.month())),
            opened: d.opened,
            solved: d.solved,
        })
        .collect();
    daily_bars(id_prefix, words(language).flow_title, &days, language)
}

/// Pairs of bars (opened, solved) per day, scaled to the tallest; a label
/// under every seventh day and the last.
pub fn daily_bars(id_prefix: &str, title: &str, days: &[DayBars], language: Language) -> String {
    let w = words(language);
    let tallest = days.iter().flat_map(|d| [d.opened, d.solved]).max().unwrap_or(0).max(1) as f64;
    let height = |n: i64| (n.max(0) as f64 / tallest * HEIGHT).round();
    let width = days.len() as f64 * (2.0 * BAR + GAP) + GAP;
    let (title_id, desc_id) = (id(id_prefix, "title"), id(id_prefix, "desc"));
    let desc: Vec<String> =
        days.iter().map(|d| format!("{} : {} {}, {} {}", d.label, d.opened, w.opened, d.solved, w.solved)).collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {width} {h}" class="chart chart-flow"><title id="{title_id}">{title}</title><desc id="{desc_id}">{desc}</desc>"#,
        h = HEIGHT + AXIS,
        title = escape(title),
        desc = escape(&desc.join("; ")),
    );
    for (i, d) in days.iter().enumerate() {
        let x = GAP + i as f64 * (2.0 * BAR + GAP);
        for (k, (n, class, word)) in
            [(d.opened, "opened", w.opened), (d.solved, "solved", w.solved)].into_iter().enumerate()
        {
            let h = height(n);
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{x}" y="{y}" width="{BAR}" height="{h}"><title>{label} : {n} {word}</title></rect>"#,
                x = x + k as f64 * BAR,
                y = HEIGHT - h,
                label = escape(&d.label),
            );
        }
        if i % 7 == 0 || i + 1 == days.len() {
            let _ = write!(
                svg,
                r#"<text x="{x}" y="{y}" font-size="9">{label}</text>"#,
                y = HEIGHT + AXIS - 4.0,
                label = escape(&d.label),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The dashboard's status bar, from the store's counts (the six statuses
/// GLPI's dashboard shows).
pub fn status_chart(id_prefix: &str, counts: &StatusCounts, language: Language) -> String {
    let segments: Vec<Segment> = StatusCounts::SHOWN
        .iter()
        .map(|s| Segment { label: s.label(language).to_string(), count: counts.get(*s) })
        .collect();
    status_bar(id_prefix, words(language).status_title, &segments)
}

/// One horizontal bar, each segment as wide as its share; the text
/// alternative lists every count, zeros included.
pub fn status_bar(id_prefix: &str, title: &str, segments: &[Segment]) -> String {
    const WIDTH: f64 = 600.0;
    const BAR_HEIGHT: f64 = 24.0;
    let total: i64 = segments.iter().map(|s| s.count.max(0)).sum();
    let (title_id, desc_id) = (id(id_prefix, "title"), id(id_prefix, "desc"));
    let desc: Vec<String> = segments.iter().map(|s| format!("{} : {}", s.label, s.count)).collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {WIDTH} {BAR_HEIGHT}" class="chart chart-status"><title id="{title_id}">{title}</title><desc id="{desc_id}">{desc}</desc>"#,
        title = escape(title),
        desc = escape(&desc.join("; ")),
    );
    let mut x = 0.0;
    for (i, s) in segments.iter().enumerate() {
        if s.count <= 0 || total == 0 {
            continue;
        }
        let w = (s.count as f64 / total as f64 * WIDTH * 100.0).round() / 100.0;
        let _ = write!(
            svg,
            r#"<rect class="status-{i}" x="{x}" y="0" width="{w}" height="{BAR_HEIGHT}"><title>{label} : {n}</title></rect>"#,
            label = escape(&s.label),
            n = s.count,
        );
        x += w;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
