//! The notification templates: one minijinja file per event and language
//! under `templates/<lang>/<event>.txt`, and `templates/layout.html` for the
//! HTML alternative. The shipped files are compiled into the binary, so
//! mailgate runs from anywhere; `notifications.templates_dir` lets operators
//! override any of them. Every template is rendered once against a sample
//! ticket when loaded, so a typo stops the start instead of a notification.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::ticket::{Event, Language};

const EMBEDDED: &[(&str, &str)] = &[
    ("fr/ticket_new.txt", include_str!("../../templates/fr/ticket_new.txt")),
    ("fr/ticket_new_staff.txt", include_str!("../../templates/fr/ticket_new_staff.txt")),
    ("fr/followup.txt", include_str!("../../templates/fr/followup.txt")),
    ("fr/assigned.txt", include_str!("../../templates/fr/assigned.txt")),
    ("fr/status_changed.txt", include_str!("../../templates/fr/status_changed.txt")),
    ("fr/solution_proposed.txt", include_str!("../../templates/fr/solution_proposed.txt")),
    ("fr/solution_accepted.txt", include_str!("../../templates/fr/solution_accepted.txt")),
    ("fr/solution_rejected.txt", include_str!("../../templates/fr/solution_rejected.txt")),
    ("fr/closed.txt", include_str!("../../templates/fr/closed.txt")),
    ("fr/command_error.txt", include_str!("../../templates/fr/command_error.txt")),
    ("fr/help.txt", include_str!("../../templates/fr/help.txt")),
    ("fr/daily_digest.txt", include_str!("../../templates/fr/daily_digest.txt")),
    ("fr/refusal_reply.txt", include_str!("../../templates/fr/refusal_reply.txt")),
    ("fr/personal_link.txt", include_str!("../../templates/fr/personal_link.txt")),
    ("en/ticket_new.txt", include_str!("../../templates/en/ticket_new.txt")),
    ("en/ticket_new_staff.txt", include_str!("../../templates/en/ticket_new_staff.txt")),
    ("en/followup.txt", include_str!("../../templates/en/followup.txt")),
    ("en/assigned.txt", include_str!("../../templates/en/assigned.txt")),
    ("en/status_changed.txt", include_str!("../../templates/en/status_changed.txt")),
    ("en/solution_proposed.txt", include_str!("../../templates/en/solution_proposed.txt")),
    ("en/solution_accepted.txt", include_str!("../../templates/en/solution_accepted.txt")),
    ("en/solution_rejected.txt", include_str!("../../templates/en/solution_rejected.txt")),
    ("en/closed.txt", include_str!("../../templates/en/closed.txt")),
    ("en/command_error.txt", include_str!("../../templates/en/command_error.txt")),
    ("en/help.txt", include_str!("../../templates/en/help.txt")),
    ("en/daily_digest.txt", include_str!("../../templates/en/daily_digest.txt")),
    ("en/refusal_reply.txt", include_str!("../../templates/en/refusal_reply.txt")),
    ("en/personal_link.txt", include_str!("../../templates/en/personal_link.txt")),
    ("layout.html", include_str!("../../templates/layout.html")),
];

const LAYOUT: &str = "layout.html";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("template {name} ({origin}) is invalid: {detail}")]
    Invalid { name: String, origin: String, detail: String },
    /// Not a template, but the other thing composing needs: the key that
    /// signs the personal links (`web.secret_file`).
    #[error(transparent)]
    LinkKey(#[from] crate::web::links::KeyError),
}

/// The loaded templates of one language.
pub struct Templates {
    env: Environment<'static>,
    /// The shipped templates, used when an operator's template fails at
    /// render time with data the sample did not have.
    fallback: Environment<'static>,
    language: Language,
}

impl Templates {
    /// Loads the templates for `language`, each from `dir` when it holds
    /// the file and from the shipped copy otherwise.
    pub fn load(dir: Option<&Path>, language: Language) -> Result<Templates, TemplateError> {
        let mut env = new_env();
        for (name, shipped) in EMBEDDED {
            let custom = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let (source, origin) = match custom {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|source| TemplateError::Read { path: path.clone(), source })?;
                    (text, path.display().to_string())
                }
                None => (shipped.to_string(), "shipped".to_string()),
            };
            env.add_template_owned(name.to_string(), source).map_err(|e| TemplateError::Invalid {
                name: name.to_string(),
                origin: origin.clone(),
                detail: detail(&e),
            })?;
        }
        let templates = Templates { env, fallback: shipped_env(), language };
        templates.check()?;
        Ok(templates)
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The text body for `event`.
    pub fn render_text(&self, event: Event, context: &Value) -> String {
        let name = format!("{}/{}.txt", self.language.code(), event.as_str());
        render(&self.env, &name, context).or_else(|_| render(&self.fallback, &name, context)).unwrap_or_else(|e| {
            format!("{}\n\n({e})", context.get_attr("url").map(|u| u.to_string()).unwrap_or_default())
        })
    }

    /// The HTML alternative around an already rendered text.
    pub fn render_html(&self, context: &Value) -> String {
        render(&self.env, LAYOUT, context).or_else(|_| render(&self.fallback, LAYOUT, context)).unwrap_or_default()
    }

    /// Renders every template against a sample, so that an undefined
    /// variable or a filter typo is reported at start.
    fn check(&self) -> Result<(), TemplateError> {
        let sample = super::compose::sample_context(self.language);
        for event in Event::ALL {
            let name = format!("{}/{}.txt", self.language.code(), event.as_str());
            render(&self.env, &name, &sample).map_err(|e| TemplateError::Invalid {
                name: name.clone(),
                origin: "check".into(),
                detail: e,
            })?;
        }
        render(&self.env, LAYOUT, &sample).map_err(|e| TemplateError::Invalid {
            name: LAYOUT.into(),
            origin: "check".into(),
            detail: e,
        })?;
        Ok(())
    }
}

fn new_env() -> Environment<'static> {
    let mut env = Environment::new();
    // A misspelt variable must fail the start, not print an empty string
    // into every notification.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(false);
    env
}

fn shipped_env() -> Environment<'static> {
    let mut env = new_env();
    for (name, source) in EMBEDDED {
        // The shipped templates are tested; a failure here is a build defect.
        let _ = env.add_template(name, source);
    }
    env
}

fn render(env: &Environment<'_>, name: &str, context: &Value) -> Result<String, String> {
    env.get_template(name).and_then(|t| t.render(context)).map_err(|e| detail(&e))
}

fn detail(e: &minijinja::Error) -> String {
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    use super::*;
    use crate::notify::compose::sample_context;

    const LANGUAGES: [Language; 2] = [Language::Fr, Language::En];

    /// The sample, and the sample as other readers and other changes see it:
    /// every branch of a template must render, not only the sample's.
    fn variants(language: Language) -> Vec<(&'static str, Value)> {
        let sample = sample_context(language);
        let ticket = sample.get_attr("ticket").expect("the sample has a ticket");
        let none = Value::from(());
        let empty: Vec<String> = Vec::new();
        let alice = context! { email => "alice@example.org", name => "Alice Martin" };
        let with_status = |status: &str, label: &str| {
            context! {
                ticket => context! { status, status_label => label, ..ticket.clone() },
                ..sample.clone()
            }
        };
        vec![
            ("the sample", sample.clone()),
            (
                "a technician reads what someone else did",
                context! { recipient => &alice, recipient_role => "technician", ..sample.clone() },
            ),
            ("an observer reads it", context! { recipient => &alice, recipient_role => "observer", ..sample.clone() }),
            ("a private followup", context! { private => true, ..sample.clone() }),
            (
                "a technician is the assignee",
                context! {
                    assignee => context! { name => "Alice Martin", email => "alice@example.org", group => false },
                    ..sample.clone()
                },
            ),
            ("the request was cancelled", with_status("cancelled", "Annulé")),
            // Neither [web] nor institution.ticket_url: no link at all.
            ("there is no ticket link", context! { url => "", ..sample.clone() }),
            ("the ticket is pending", with_status("pending", "En attente")),
            (
                "nothing optional is set",
                context! {
                    ticket => context! {
                        category => &none,
                        location => &none,
                        observers => &empty,
                        technicians => &empty,
                        assigned_groups => &empty,
                        assigned_group_labels => &empty,
                        observer_groups => &empty,
                        observer_group_labels => &empty,
                        requester => context! { email => "jean@example.org", name => &none },
                        ..ticket.clone()
                    },
                    author => context! { email => "support@example.org", name => &none },
                    followup => "",
                    assignee => &none,
                    previous_status_label => &none,
                    auto_close_days => 0,
                    errors => &empty,
                    ..sample.clone()
                },
            ),
        ]
    }

    #[test]
    fn the_shipped_templates_load_in_both_languages() {
        for language in LANGUAGES {
            if let Err(e) = Templates::load(None, language) {
                panic!("{}: {e}", language.code());
            }
        }
    }

    #[test]
    fn every_event_renders_in_both_languages_with_the_ticket_number_without_zeros_and_no_template_syntax() {
        let mut failures = Vec::new();
        let mut env = new_env();
        for (name, source) in EMBEDDED {
            if let Err(e) = env.add_template(name, source) {
                failures.push(format!("{name}: {}", detail(&e)));
            }
        }
        for language in LANGUAGES {
            for (variant, context) in variants(language) {
                for event in Event::ALL {
                    let name = format!("{}/{}.txt", language.code(), event.as_str());
                    let text = match render(&env, &name, &context) {
                        Ok(text) => text,
                        Err(e) => {
                            failures.push(format!("{name} ({variant}): {e}"));
                            continue;
                        }
                    };
                    // A refusal answer is about no ticket.
                    if ![Event::RefusalReply, Event::PersonalLink].contains(&event) && !text.contains("123") {
                        failures.push(format!("{name} ({variant}): no ticket number"));
                    }
                    // In a sentence a number reads « n° 123 »; only the
                    // subject's token keeps GLPI's zeros.
                    if ["n° 0", "numéro 0", "ticket 0", "request 0"].iter().any(|s| text.contains(s)) {
                        failures.push(format!("{name} ({variant}): a ticket number with zeros in a sentence"));
                    }
                    if ["{{", "}}", "{%", "%}", "{#", "#}"].iter().any(|s| text.contains(s)) {
                        failures.push(format!("{name} ({variant}): template syntax left in the text"));
                    }
                    // The digest's links are its lines' own (`t.url`).
                    let no_url = context.get_attr("url").is_ok_and(|u| u.as_str() == Some(""))
                        && ![Event::DailyDigest, Event::PersonalLink].contains(&event);
                    if no_url && ["Suivre le ticket", "Follow the ticket", "http"].iter().any(|s| text.contains(s)) {
                        failures.push(format!("{name} ({variant}): speaks of a link it does not have"));
                    }
                    if !no_url
                        && ![Event::RefusalReply, Event::DailyDigest, Event::PersonalLink].contains(&event)
                        && !text.contains("https://helpdesk.example/ticket/123")
                    {
                        failures.push(format!("{name} ({variant}): the ticket's link is missing"));
                    }
                    if text.contains("\n\n\n") {
                        failures.push(format!("{name} ({variant}): two blank lines in a row"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_event_has_a_shipped_template_in_each_language() {
        let missing: Vec<String> = LANGUAGES
            .into_iter()
            .flat_map(|language| Event::ALL.map(move |event| format!("{}/{}.txt", language.code(), event.as_str())))
            .filter(|name| !EMBEDDED.iter().any(|(n, _)| n == name))
            .collect();
        assert!(missing.is_empty(), "not in EMBEDDED: {missing:?}");
    }
}
