//! The pages' templates and words. The templates (`templates/web/*.html`)
//! are compiled into the binary and overridable per file from
//! `notifications.templates_dir/web/`, like the mail templates; HTML is
//! escaped by minijinja's autoescape, so nothing a mail wrote can become
//! markup. The words are in French or English (`institution.language`),
//! given to every template as `w`, so one set of templates serves both.

use std::path::Path;

use minijinja::{AutoEscape, Environment, Value, context};

use crate::ticket::Language;

const EMBEDDED: [(&str, &str); 15] = [
    ("base.html", include_str!("../../templates/web/base.html")),
    ("ticket.html", include_str!("../../templates/web/ticket.html")),
    ("mine.html", include_str!("../../templates/web/mine.html")),
    ("ask.html", include_str!("../../templates/web/ask.html")),
    ("message.html", include_str!("../../templates/web/message.html")),
    ("staff/layout.html", include_str!("../../templates/web/staff/layout.html")),
    ("staff/signin.html", include_str!("../../templates/web/staff/signin.html")),
    ("staff/dashboard.html", include_str!("../../templates/web/staff/dashboard.html")),
    ("staff/queue.html", include_str!("../../templates/web/staff/queue.html")),
    ("staff/ticket.html", include_str!("../../templates/web/staff/ticket.html")),
    ("staff/journal.html", include_str!("../../templates/web/staff/journal.html")),
    ("staff/message.html", include_str!("../../templates/web/staff/message.html")),
    ("staff/outbox.html", include_str!("../../templates/web/staff/outbox.html")),
    ("staff/health.html", include_str!("../../templates/web/staff/health.html")),
    ("staff/tickets.html", include_str!("../../templates/web/staff/tickets.html")),
];

/// The stylesheet, embedded.
pub const STYLE: &str = include_str!("../../templates/web/style.css");

/// A template that cannot be used (an operator's override).
#[derive(Debug, thiserror::Error)]
#[error("web template {name} is invalid: {detail}; fix it or remove it to use the shipped one")]
pub struct PageError {
    name: String,
    detail: String,
}

pub struct Pages {
    env: Environment<'static>,
    words: Value,
    language: Language,
}

impl Pages {
    pub fn load(templates_dir: Option<&Path>, language: Language) -> Result<Pages, PageError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, shipped) in EMBEDDED {
            let own = templates_dir.and_then(|d| std::fs::read_to_string(d.join("web").join(name)).ok());
            let source = own.unwrap_or_else(|| shipped.to_string());
            env.add_template_owned(name, source)
                .map_err(|e| PageError { name: name.to_string(), detail: e.to_string() })?;
        }
        Ok(Pages { env, words: words(language), language })
    }

    /// One of the words, for text built in code.
    pub fn word(&self, name: &str) -> String {
        self.words.get_attr(name).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The page `name` with `ctx`, the words and the institution's name; a
    /// template failing at render time gives a plain error page.
    pub fn render(&self, name: &str, institution: &str, has_logo: bool, ctx: Value) -> String {
        let full = context! { w => &self.words, institution, has_logo, lang => self.language.code(), ..ctx };
        match self.env.get_template(name).and_then(|t| t.render(&full)) {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(template = name, error = %e, "a web template failed");
                "<!doctype html><title>Erreur</title><p>Erreur / Error</p>".to_string()
            }
        }
    }
}

fn words(language: Language) -> Value {
    let staff = super::staff::words::words(language);
    let fr = language == Language::Fr;
    let pick = |f: &'static str, e: &'static str| if fr { f } else { e };
    let own = context! {
        ticket => pick("Ticket", "Ticket"),
        status => pick("Statut", "Status"),
        entity => pick("Entité", "Entity"),
        category => pick("Catégorie", "Category"),
        handled_by => pick("En charge", "Handled by"),
        nobody => pick("personne pour l'instant", "nobody yet"),
        group => pick("groupe", "group"),
        description => pick("Votre demande", "Your request"),
        timeline => pick("Suivi", "History"),
        status_changed => pick("Statut", "Status"),
        files => pick("Pièces jointes", "Files"),
        download => pick("télécharger", "download"),
        solution => pick("Solution proposée", "Proposed solution"),
        solution_help => pick(
            "Cette solution règle-t-elle votre demande ?",
            "Does this solution settle your request?"
        ),
        accept => pick("Accepter", "Accept"),
        refuse => pick("Refuser", "Refuse"),
        refuse_why => pick("Pourquoi la refusez-vous ?", "Why do you refuse it?"),
        add_followup => pick("Ajouter un suivi", "Add a followup"),
        your_message => pick("Votre message", "Your message"),
        attach => pick("Joindre des fichiers", "Attach files"),
        send => pick("Envoyer", "Send"),
        cancel => pick("Annuler ma demande", "Cancel my request"),
        cancel_help => pick(
            "Si vous n'avez plus besoin d'aide, vous pouvez annuler votre demande.",
            "If you no longer need help, you can cancel your request."
        ),
        mine => pick("Mes demandes", "My requests"),
        mine_empty => pick("Aucune demande à votre adresse.", "No request from your address."),
        opened_by_you => pick("vous l'avez ouverte", "you opened it"),
        in_copy => pick("en copie", "in copy"),
        updated => pick("dernière activité", "last activity"),
        ask_title => pick("Recevoir le lien de mes demandes", "Get the link to my requests"),
        ask_help => pick(
            "Indiquez votre adresse de courriel : si elle est celle d'une personne de l'établissement, vous y recevrez un lien vers vos demandes.",
            "Type your mail address: if it belongs to the institution, you will receive a link to your requests there."
        ),
        address => pick("Adresse de courriel", "Mail address"),
        ask_send => pick("Recevoir le lien", "Send me the link"),
        ask_done => pick(
            "Si cette adresse est connue de l'établissement, un lien vient d'y être envoyé. Pensez à regarder dans les indésirables.",
            "If this address belongs to the institution, a link has just been sent to it. Check your junk folder too."
        ),
        forbidden_title => pick("Ce lien ne s'ouvre pas", "This link does not open"),
        forbidden => pick(
            "Ce lien n'est pas valide : il a peut-être été mal copié. Utilisez le lien de votre dernier courriel, ou demandez un nouveau lien.",
            "This link is not valid: it may have been copied incompletely. Use the link of your latest mail, or ask for a new link."
        ),
        expired_title => pick("Ce lien a expiré", "This link has expired"),
        expired => pick(
            "Les liens ne durent qu'un temps. Nous pouvons envoyer un nouveau lien à l'adresse pour laquelle celui-ci a été fait.",
            "Links only last a while. We can send a new link to the address this one was made for."
        ),
        renew => pick("M'envoyer un nouveau lien", "Mail me a new link"),
        renewed => pick("Un nouveau lien vous a été envoyé par courriel.", "A new link has been mailed to you."),
        ask_link => pick("Demander un lien", "Ask for a link"),
        too_many => pick(
            "Trop de demandes en peu de temps : réessayez dans une heure.",
            "Too many requests in a short time: try again in an hour."
        ),
        refused_form => pick(
            "Ce formulaire a expiré ou ne vient pas de cette page : rechargez la page et recommencez.",
            "This form has expired or does not come from this page: reload the page and try again."
        ),
        upload_limits => pick(
            "Ces fichiers dépassent les limites : au plus {files} fichiers, de {size} chacun au plus. Rien n'a été envoyé.",
            "These files are past the limits: at most {files} files, each of at most {size}. Nothing was sent."
        ),
        done => pick("C'est fait.", "Done."),
        back => pick("Retour au ticket", "Back to the ticket"),
        unavailable => pick("Cela n'a pas pu être fait", "This could not be done"),
        action_refused => pick(
            "Cette action n'est pas possible sur ce ticket, ou ne l'est plus : rechargez la page pour le voir tel qu'il est.",
            "This action is not possible on this ticket, or no longer is: reload the page to see the ticket as it is."
        ),
        desk_unavailable => pick(
            "Le service d'assistance ne peut pas le faire pour le moment : réessayez dans quelques minutes, ou répondez par courriel.",
            "The helpdesk cannot do this just now: try again in a few minutes, or answer by mail."
        ),
        by_mail => pick(
            "Vous pouvez aussi répondre au dernier courriel du ticket.",
            "You can also reply to the ticket's latest mail."
        ),
        not_found => pick("Page introuvable", "Page not found"),
    };
    context! { ..own, ..staff }
}
