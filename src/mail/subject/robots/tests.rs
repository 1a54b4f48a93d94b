//! The robot subject words as tables: each rule with the subjects it must
//! catch and the person-written subjects it must leave alone.

use super::*;

use crate::testing::check;

#[test]
fn out_of_office_subjects() {
    #[rustfmt::skip]
    let cases = [
        ("Outlook French", "Réponse automatique : Imprimante en panne", true),
        ("Outlook French, no space", "Réponse automatique: Imprimante", true),
        ("without accent", "Reponse automatique : Imprimante", true),
        ("behind a prefix", "RE: Réponse automatique : Imprimante", true),
        ("absence du bureau", "Absence du bureau", true),
        ("absent du bureau with dates", "Absent du bureau jusqu'au 12 mars", true),
        ("absente du bureau", "Absente du bureau", true),
        ("inclusive writing", "Absent(e) du bureau", true),
        ("message d'absence", "Message d'absence", true),
        ("typographic apostrophe", "Message d’absence : Marie Dupont", true),
        ("je suis absent", "Je suis absent", true),
        ("je suis absente with dates", "Je suis absente du 3 au 7 mars", true),
        ("Outlook English", "Automatic reply: Printer down", true),
        ("Auto-Reply", "Auto-Reply: Printer down", true),
        ("AutoReply", "AutoReply", true),
        ("Out of Office", "Out of Office: Printer down", true),
        ("Exchange 2003", "Out of Office AutoReply: Printer down", true),
        ("out of the office", "Out of the office until Monday", true),
        ("away from the office", "Away from the office", true),
        ("Swedish Exchange", "Autosvar: Skrivare", true),
        ("German Exchange", "Automatische Antwort: Drucker", true),
        ("German, Outlook", "Abwesenheitsnotiz: Drucker", true),
        ("German, free text", "Nicht im Büro bis 10.03.", true),
        ("Spanish", "Fuera de la oficina", true),
        ("Italian", "Fuori ufficio: Stampante", true),
        ("Dutch", "Afwezig tot 10 maart", true),
        ("Portuguese", "Resposta automática: Impressora", true),
        ("Lotus Notes English", "AUTO: Jane Doe is out of the office (returning 10/03/2025)", true),
        ("Lotus Notes French", "AUTO: Marie Dupont est absent(e) du bureau (retour le 10/03/2025)", true),
        ("Lotus Notes German", "AUTO: Hans Müller ist außer Haus (Rückkehr am 10.03.2025)", true),
        ("a person about a car", "Auto: la voiture de service est absente du parking", false),
        ("German question", "Abwesend-Assistent einrichten, wie?", false),
        ("ordinary request", "Imprimante en panne", false),
        ("absence request", "Demande d'absence pour formation", false),
        ("absence in the middle", "Problème avec le message d'absence", false),
        ("question about the out-of-office", "Message d'absence Outlook à configurer", false),
        ("automatic reply feature", "Réponse automatique ne fonctionne pas", false),
        ("person who will be away", "Je suis absente demain, pouvez-vous passer mardi ?", false),
        ("out-of-office feature", "Out of office not working", false),
        ("absentee word", "Je suis absentéiste", false),
        ("empty", "", false),
    ];
    check(&cases, is_out_of_office);
}

#[test]
fn bounce_subjects() {
    use BounceSubject::{Certain, Words};
    #[rustfmt::skip]
    let cases = [
        ("Postfix", "Undelivered Mail Returned to Sender", Some(Certain)),
        ("Gmail", "Delivery Status Notification (Failure)", Some(Certain)),
        ("Exim", "Mail delivery failed: returning message to sender", Some(Certain)),
        ("sendmail", "Returned mail: see transcript for details", Some(Certain)),
        ("qmail", "failure notice", Some(Certain)),
        ("Exchange French", "Non remis : Imprimante en panne", Some(Words)),
        ("Outlook French", "Échec de la remise : Imprimante", Some(Words)),
        ("French gateway", "Message non délivré", Some(Words)),
        ("German", "Unzustellbar: Drucker", Some(Words)),
        ("Spanish", "No se puede entregar: Impresora", Some(Words)),
        ("Italian", "Non recapitabile: Stampante", Some(Words)),
        ("English", "Undeliverable: Printer down", Some(Words)),
        ("Japanese carrier", "配信エラー", Some(Words)),
        ("Japanese carrier, certain", "メール配信エラー", Some(Certain)),
        ("Chinese", "系统退信", Some(Certain)),
        ("a parcel", "Colis non remis au secrétariat", None),
        ("a parcel, sentence", "Non remis le colis de toner, que faire ?", None),
        ("forwarded by a person", "TR: Non remis : Imprimante", None),
        ("forwarded by a person, English", "Fwd: Undeliverable: Printer", None),
        ("ordinary", "Imprimante en panne", None),
    ];
    check(&cases, bounce_subject);
}

#[test]
fn challenge_and_list_manager_subjects() {
    #[rustfmt::skip]
    let cases = [
        ("TMDA-like", "Please confirm your message", true),
        ("human", "Please confirm you are human: Re: Imprimante", true),
        ("sender verification", "Sender verification required", true),
        ("French", "Vérification de l'expéditeur : votre message", true),
        ("a person asking to confirm receipt", "Please confirm your message was received", false),
        ("a person's account question", "Vérification de mon compte ENT", false),
    ];
    check(&cases, is_challenge);
    #[rustfmt::skip]
    let cases = [
        ("Mailman uncaught", "Uncaught bounce notification", true),
        ("Mailman held", "Your message to profs@lists.ac-exemple.fr awaits moderator approval", true),
        ("Sympa", "Message distribution: Authorization denied", true),
        ("loop", "Mail loop detected", true),
        ("a person", "Boucle réseau dans la salle 12", false),
    ];
    check(&cases, is_list_manager_notice);
}
