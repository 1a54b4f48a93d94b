//! The staff pages' words in French and English, merged into the `w` that
//! every template gets (see [`crate::web::pages`]).

use minijinja::{Value, context};

use crate::ticket::Language;

pub fn words(language: Language) -> Value {
    let fr = language == Language::Fr;
    let pick = |f: &'static str, e: &'static str| if fr { f } else { e };
    context! {
        staff => pick("Espace technicien", "Staff"),
        signin_title => pick("Connexion des techniciens", "Staff sign-in"),
        signin_help => pick(
            "Indiquez votre adresse de courriel professionnelle : si elle est celle d'un technicien, vous y recevrez un lien de connexion à usage unique.",
            "Type your work mail address: if it is a technician's, a single-use sign-in link will be mailed to it."
        ),
        signin_send => pick("Recevoir le lien de connexion", "Mail me a sign-in link"),
        signin_done => pick(
            "Si cette adresse est celle d'un technicien, un lien de connexion vient d'y être envoyé. Il ne sert qu'une fois et expire vite.",
            "If this address is a technician's, a sign-in link has just been mailed to it. It works once and expires soon."
        ),
        signin_confirm => pick("Se connecter", "Sign in"),
        signin_confirm_help => pick(
            "Confirmez la connexion à l'espace technicien sur cet appareil.",
            "Confirm signing in to the staff pages on this device."
        ),
        signin_link_used => pick(
            "Ce lien de connexion a déjà servi, a expiré ou n'est pas valide. Demandez-en un nouveau.",
            "This sign-in link was used already, has expired or is not valid. Ask for a new one."
        ),
        signin_again => pick("Se connecter", "Sign in"),
        signout => pick("Se déconnecter", "Sign out"),
        forbidden_staff => pick("Accès refusé", "Access refused"),
        signed_out => pick(
            "Votre session a expiré ou vous n'êtes pas connecté : connectez-vous de nouveau.",
            "Your session has expired or you are not signed in: sign in again."
        ),
        not_staff => pick("Cette page est réservée aux techniciens.", "This page is for technicians only."),
        operators_only => pick(
            "Cette page est réservée aux opérateurs (admin = true).",
            "This page is for operators only (admin = true)."
        ),
        nav => pick("Navigation de l'espace technicien", "Staff navigation"),
        dashboard => pick("Tableau de bord", "Dashboard"),
        scope_mine => pick("Mes tickets", "My tickets"),
        scope_groups => pick("Mes groupes", "My groups"),
        scope_everyone => pick("Tous", "Everyone"),
        scope => pick("Périmètre", "Scope"),
        open_total => pick("Ouverts", "Open"),
        by_status => pick("Tickets par statut", "Tickets by status"),
        flow_title => pick("Ouverts et résolus par jour (30 jours)", "Opened and solved per day (30 days)"),
        oldest_open => pick("Les plus anciens tickets ouverts", "Oldest open tickets"),
        unowned => pick("Tickets sans responsable", "Tickets nobody owns"),
        queue_mine => pick("Mes tickets", "My tickets"),
        queue_groups => pick("Non attribués de mes groupes", "My groups' unassigned"),
        queue_all => pick("Tous les tickets ouverts", "All open tickets"),
        filters => pick("Filtres", "Filters"),
        filter => pick("Filtrer", "Filter"),
        any => pick("(tous)", "(any)"),
        words_search => pick("Mots", "Words"),
        requester => pick("Demandeur", "Requester"),
        technician => pick("Technicien", "Technician"),
        priority => pick("Priorité", "Priority"),
        created => pick("Ouvert le", "Opened"),
        title => pick("Titre", "Title"),
        in_charge => pick("En charge", "In charge"),
        tickets_total => pick("tickets", "tickets"),
        page_word => pick("Page", "Page"),
        of => pick("sur", "of"),
        previous => pick("Page précédente", "Previous page"),
        next => pick("Page suivante", "Next page"),
        empty => pick("Aucun ticket.", "No ticket."),
        choose_value => pick("Choisissez ou saisissez une valeur.", "Choose or type a value."),
        not_done => pick("Ce qui n'a pas été fait", "What was not done"),
        facts => pick("Fiche", "Facts"),
        kind => pick("Type", "Type"),
        urgency => pick("Urgence", "Urgency"),
        impact => pick("Impact", "Impact"),
        location => pick("Lieu", "Location"),
        groups => pick("Groupes", "Groups"),
        observers => pick("Observateurs", "Observers"),
        observer_groups => pick("Groupes observateurs", "Observer groups"),
        technicians => pick("Techniciens", "Technicians"),
        request => pick("Demande", "Request"),
        conversation => pick("Échanges", "Conversation"),
        private => pick("privé", "private"),
        solution_word => pick("Solution", "Solution"),
        history => pick("Historique", "History"),
        when => pick("Quand", "When"),
        who => pick("Qui", "Who"),
        action => pick("Action", "Action"),
        detail => pick("Détail", "Detail"),
        door => pick("Origine", "Door"),
        actions => pick("Actions", "Actions"),
        take => pick("Prendre en charge", "Take"),
        assign_group => pick("Attribuer à un groupe", "Assign to a group"),
        assign_technician => pick("Attribuer à un technicien", "Assign to a technician"),
        add_observer => pick("Ajouter un observateur (adresse ou groupe)", "Add an observer (address or group)"),
        set_status => pick("Changer le statut", "Change the status"),
        set_urgency => pick("Changer l'urgence", "Change the urgency"),
        set_impact => pick("Changer l'impact", "Change the impact"),
        set_category => pick("Changer la catégorie", "Change the category"),
        set_type => pick("Changer le type", "Change the type"),
        set_location => pick("Changer le lieu", "Change the location"),
        apply => pick("Appliquer", "Apply"),
        answer => pick("Répondre", "Answer"),
        answer_text => pick("Votre réponse", "Your answer"),
        private_note => pick("Note privée (invisible du demandeur)", "Private note (the requester does not see it)"),
        solve => pick("Résoudre", "Solve"),
        solution_text => pick("La solution", "The solution"),
        cancel_ticket => pick("Annuler le ticket", "Cancel the ticket"),
        operators => pick("Opérateurs", "Operators"),
        journal => pick("Journal des courriels", "Mail journal"),
        mail => pick("Courriel", "Mail"),
        outcome => pick("Issue", "Outcome"),
        reason => pick("Motif", "Reason"),
        sender => pick("Expéditeur", "Sender"),
        subject => pick("Objet", "Subject"),
        from_date => pick("Du", "From"),
        until_date => pick("Au (inclus)", "Until (included)"),
        received => pick("Reçu", "Received"),
        headers => pick("En-têtes", "Header fields"),
        raw => pick("Copie brute (téléchargement)", "Raw copy (download)"),
        replay => pick("Rejouer", "Replay"),
        replay_help => pick(
            "Rejouer décide de nouveau ce courriel avec la configuration en vigueur.",
            "Replay decides this mail again under the configuration in force."
        ),
        replayed => pick("Le courriel a été rejoué.", "The mail was replayed."),
        outbox => pick("File d'envoi", "Outbox"),
        state => pick("État", "State"),
        attempts => pick("Essais", "Attempts"),
        error => pick("Erreur", "Error"),
        to => pick("Destinataire", "To"),
        event => pick("Événement", "Event"),
        retry => pick("Renvoyer", "Retry"),
        retry_failed => pick("Renvoyer tous les échecs", "Retry every failed one"),
        release_held => pick("Libérer tous les retenus", "Release every held one"),
        health => pick("État du service", "Service health"),
        source => pick("Source", "Source"),
        up => pick("en marche", "up"),
        down => pick("en échec", "failing"),
        not_started => pick("pas encore relevée", "not fetched yet"),
        last_fetch => pick("Dernière relève réussie", "Last good fetch"),
        outbox_depth => pick("Notifications en attente d'envoi", "Notifications waiting to be sent"),
        problems => pick("Problèmes", "Problems"),
        no_daemon => pick("Ces pages ne sont pas servies par le démon.", "These pages are not served by the daemon."),
        back_to_staff => pick("Retour", "Back"),
    }
}

#[cfg(test)]
mod tests {
    use crate::ticket::Language;
    use crate::web::pages::Pages;

    #[test]
    fn every_staff_template_compiles_and_renders_in_both_languages() {
        for language in [Language::Fr, Language::En] {
            let pages = Pages::load(None, language).expect("the shipped templates compile");
            for name in [
                "staff/signin.html",
                "staff/dashboard.html",
                "staff/queue.html",
                "staff/ticket.html",
                "staff/journal.html",
                "staff/message.html",
                "staff/outbox.html",
                "staff/health.html",
            ] {
                let html = pages.render(name, "Collège", false, minijinja::context! { title => "t" });
                assert!(!html.contains("Erreur / Error"), "{name} failed to render");
                assert!(!pages.word("signin_title").is_empty());
            }
        }
    }
}
