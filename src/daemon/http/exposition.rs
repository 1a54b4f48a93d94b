//! Which text `/metrics` answers in. prometheus-client writes OpenMetrics:
//! a counter's `# TYPE` line names the family (`mailgate_messages`) while
//! its samples are `mailgate_messages_total`, and the text ends with
//! `# EOF`. That is right under OpenMetrics' content type, but served as
//! the classic `text/plain; version=0.0.4`, whose parsers match a `# TYPE`
//! line to samples of exactly that name, every counter reads as untyped.
//! So a scraper that asks for OpenMetrics (Prometheus does, in its Accept
//! header) gets it as written, under its own content type; anyone else
//! gets a correct 0.0.4 text: counters' `# HELP`/`# TYPE` lines name the
//! `_total` samples, and the OpenMetrics-only lines (`# UNIT`, `# EOF`) go.

pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const TEXT_004: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether the client's Accept header asks for OpenMetrics.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|range| {
            let mut params = range.split(';').map(str::trim);
            let media = params.next().unwrap_or("");
            // A range with q=0 is a refusal, not a wish.
            let refused = params.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
            media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
        })
    })
}

/// `openmetrics` (as prometheus-client encodes it) in the 0.0.4 text format.
pub fn text_004(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(&name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(line) => out.push_str(&line),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_family_is_typed_under_its_sample_name_in_the_classic_text() {
        let om = "# HELP mailgate_messages Mails recorded.\n# TYPE mailgate_messages counter\n\
                  mailgate_messages_total{outcome=\"refused\"} 1\n# HELP mailgate_outbox_depth Waiting.\n\
                  # TYPE mailgate_outbox_depth gauge\nmailgate_outbox_depth 0\n# UNIT x seconds\n# EOF\n";
        assert_eq!(
            text_004(om),
            "# HELP mailgate_messages_total Mails recorded.\n# TYPE mailgate_messages_total counter\n\
             mailgate_messages_total{outcome=\"refused\"} 1\n# HELP mailgate_outbox_depth Waiting.\n\
             # TYPE mailgate_outbox_depth gauge\nmailgate_outbox_depth 0\n"
        );
    }

    #[test]
    fn openmetrics_is_served_only_to_a_client_that_asks_for_it() {
        let table = [
            (None, false),
            (Some("*/*"), false),
            (Some("text/plain;version=0.0.4"), false),
            (Some("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"), true),
            (Some("Application/OpenMetrics-Text"), true),
            (Some("application/openmetrics-text; q=0"), false),
        ];
        for (accept, expected) in table {
            assert_eq!(wants_openmetrics(accept), expected, "{accept:?}");
        }
    }
}
