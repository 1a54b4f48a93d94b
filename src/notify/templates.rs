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
    ("en/ticket_new.txt", include_str!("../../templates/en/ticket_new.txt")),
    ("en/ticket_new_staff.txt", include_str!("../../templates/en/ticket_new_staff.txt")),
    ("en/followup.txt", include_str!("../../templates/en/followup.txt")),
    ("layout.html", include_str!("../../templates/layout.html")),
];

const LAYOUT: &str = "layout.html";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("template {name} ({origin}) is invalid: {detail}")]
    Invalid { name: String, origin: String, detail: String },
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
