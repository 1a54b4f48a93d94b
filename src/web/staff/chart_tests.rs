//! The charts as tables: empty days, one tall day, hostile labels, and
//! the text alternative that says every number.

use super::*;
use crate::ticket::Status;

fn day(label: &str, opened: i64, solved: i64) -> DayBars {
    DayBars { label: label.into(), opened, solved }
}

/// The heights of the bars, in order (opened, solved, opened, ...).
fn heights(svg: &str) -> Vec<f64> {
    svg.split("<rect ").skip(1).filter_map(|r| r.split("height=\"").nth(1)?.split('"').next()?.parse().ok()).collect()
}

#[test]
fn daily_bars_scale_to_the_tallest_and_survive_zeros() {
    let cases = [
        (
            "no tickets at all: flat, no division by zero",
            vec![day("a", 0, 0), day("b", 0, 0)],
            vec![0.0, 0.0, 0.0, 0.0],
        ),
        (
            "one tall day takes the full height",
            vec![day("a", 1, 0), day("b", 40, 20), day("c", 0, 0)],
            vec![3.0, 0.0, 120.0, 60.0, 0.0, 0.0],
        ),
        ("equal days are equal", vec![day("a", 5, 5), day("b", 5, 5)], vec![120.0; 4]),
        ("no days: an empty chart", vec![], vec![]),
    ];
    for (name, days, expected) in cases {
        let svg = daily_bars("flow", "T", &days, Language::Fr);
        assert_eq!(heights(&svg), expected, "{name}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{name}: {svg}");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{name}");
    }
}

#[test]
fn labels_and_titles_are_escaped_everywhere() {
    let flow = daily_bars("x\"><script>", "Title <&> \"q\"", &[day("<b>&</b>", 1, 2)], Language::En);
    let bar = status_bar("s", "<&>", &[Segment { label: "a<&>'b".into(), count: 3 }]);
    for svg in [&flow, &bar] {
        assert!(!svg.contains("<&>") && !svg.contains("<b>") && !svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;&amp;&gt;") || svg.contains("&lt;b&gt;&amp;&lt;/b&gt;"), "{svg}");
    }
    assert!(
        flow.contains(r#"aria-labelledby="xscript-title xscript-desc""#),
        "ids keep only letters, digits and dashes: {flow}"
    );
}

#[test]
fn the_text_alternative_says_every_number() {
    let svg = daily_bars("flow", "Par jour", &[day("10/03", 3, 1), day("11/03", 0, 2)], Language::Fr);
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains(r#"<title id="flow-title">Par jour</title>"#));
    assert!(
        svg.contains(r#"<desc id="flow-desc">10/03 : 3 ouverts, 1 résolus; 11/03 : 0 ouverts, 2 résolus</desc>"#),
        "{svg}"
    );
}

#[test]
fn the_status_bar_splits_its_width_by_share_and_lists_zeros_in_its_description() {
    let mut counts = StatusCounts(Status::ALL.iter().map(|s| (*s, 0)).collect());
    counts.0[0].1 = 3; // Nouveau
    counts.0[4].1 = 1; // Résolu
    counts.0[6].1 = 50; // Annulé: not shown
    let svg = status_chart("st", &counts, Language::Fr);
    let widths: Vec<f64> = svg
        .split("<rect ")
        .skip(1)
        .filter_map(|r| r.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(widths, vec![450.0, 150.0], "only non-empty shown statuses, by share");
    assert!(
        svg.contains(
            "Nouveau : 3; En cours (Attribué) : 0; En cours (Planifié) : 0; En attente : 0; Résolu : 1; Clos : 0"
        ),
        "{svg}"
    );
    assert!(!svg.contains("Annulé"));
    let empty = status_chart("st", &StatusCounts(Vec::new()), Language::En);
    assert!(!empty.contains("<rect"), "nothing to draw: {empty}");
}

#[test]
fn the_flow_chart_labels_days_as_day_and_month() {
    let flow = vec![DayFlow { date: time::macros::date!(2025 - 03 - 09), opened: 2, solved: 0 }];
    let svg = flow_chart("f", &flow, Language::Fr);
    assert!(svg.contains("09/03 : 2 ouverts, 0 résolus"), "{svg}");
    assert!(svg.contains(">09/03</text>"));
}
