use super::*;

/// (name, the mail's text, what the followup must hold)
const CASES: &[(&str, &str, &str)] = &[
    (
        "mailgate_separator_fr",
        "C'est réparé, merci !\n\n=-=-=-= Pour répondre par courriel, écrivez au-dessus de cette ligne =-=-=-=\nVotre demande n° 0000001",
        "C'est réparé, merci !",
    ),
    (
        "mailgate_separator_quoted",
        "Toujours en panne.\n\n> =-=-=-= To answer by email, write above this line =-=-=-=\n> Your request",
        "Toujours en panne.",
    ),
    (
        "gmail_fr_wrapped_le_a_ecrit",
        "Oui, depuis lundi.\n\nLe lun. 3 mars 2025 à 10:12, Support informatique <support@ac-exemple.fr> a\nécrit :\n> Depuis quand ?",
        "Oui, depuis lundi.",
    ),
    ("thunderbird_en_on_wrote", "Works now.\n\nOn 03/03/2025 10:12, Support wrote:\n> Please restart.", "Works now."),
    (
        "apple_mail_fr",
        "Merci beaucoup.\n\n> Le 3 mars 2025 à 10:12, Marie Dupont <marie.dupont@ac-exemple.fr> a écrit :\n> \n> Bonjour",
        "Merci beaucoup.",
    ),
    (
        "outlook_fr_de_envoye_block",
        "Je vous envoie la capture.\n\nCordialement,\nJean Bernard\n\nDe : Support informatique <support@ac-exemple.fr>\nEnvoyé : lundi 3 mars 2025 10:12\nÀ : Jean Bernard <jean@ac-exemple.fr>\nObjet : [GLPI #0000002] Pronote\n\nBonjour,",
        "Je vous envoie la capture.\n\nCordialement,\nJean Bernard",
    ),
    (
        "outlook_en_from_sent_block_after_html",
        "Done.\n\n**From:** Support <support@ac-exemple.fr>\n**Sent:** Monday, March 3, 2025 10:12 AM\n**To:** Jean\n**Subject:** Pronote",
        "Done.",
    ),
    (
        "outlook_underscore_line",
        "Bien reçu.\n________________________________\nDe : Support <support@ac-exemple.fr>\nEnvoyé : lundi 3 mars 2025 10:12",
        "Bien reçu.",
    ),
    (
        "outlook_message_d_origine",
        "Voici le numéro de série : 5CG1234XYZ\n\n-----Message d'origine-----\nDe : Support\nEnvoyé : lundi",
        "Voici le numéro de série : 5CG1234XYZ",
    ),
    ("outlook_original_message", "See below.\n\n-----Original Message-----\nFrom: Support", "See below."),
    ("zimbra_mail_original", "D'accord.\n\n----- Mail original -----\nDe: \"Support\"", "D'accord."),
    ("thunderbird_fr_message_original", "OK.\n\n-------- Message original --------\nSujet : x", "OK."),
    ("gt_quoted_tail_only", "Le poste redémarre.\n\n> Pouvez-vous redémarrer ?\n> Merci\n", "Le poste redémarre."),
    (
        "bottom_posted_reply",
        "Le 3 mars 2025 à 10:12, Support <s@ac-exemple.fr> a écrit :\n> Depuis quand ?\n\nDepuis lundi matin.",
        "Depuis lundi matin.",
    ),
    (
        "inline_interleaved_reply",
        "> Quel poste ?\nLe PC-12.\n> Quelle salle ?\nLa B204.\n\n> Cordialement",
        "> Quel poste ?\nLe PC-12.\n> Quelle salle ?\nLa B204.",
    ),
    (
        "signature_kept",
        "Merci.\n-- \nMarie Dupont\nSecrétariat, poste 4021",
        "Merci.\n-- \nMarie Dupont\nSecrétariat, poste 4021",
    ),
    ("no_marker_untouched", "Bonjour,\nle Wi-Fi ne marche plus.", "Bonjour,\nle Wi-Fi ne marche plus."),
    (
        "a_sentence_starting_with_le_is_not_a_header",
        "Le poste 12 ne démarre plus.\nLe technicien est passé hier.",
        "Le poste 12 ne démarre plus.\nLe technicien est passé hier.",
    ),
    (
        "de_in_a_sentence_is_not_outlook",
        "De : mon point de vue, c'est le câble.\nMerci.",
        "De : mon point de vue, c'est le câble.\nMerci.",
    ),
];

#[test]
fn written_part_keeps_what_the_person_wrote() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|(name, text, expected)| {
            let got = written_part(text);
            (got != *expected).then(|| format!("{name}:\n  got      {got:?}\n  expected {expected:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn before_separator_keeps_forwarded_context_and_drops_our_notification() {
    let forwarded =
        "Pour info.\n\n-------- Message transféré --------\nDe : fournisseur\nLe copieur est en fin de contrat.";
    assert_eq!(before_separator(forwarded), forwarded);
    let quoted_ours = "Nouvelle demande.\n> =-=-=-= Pour répondre par courriel, écrivez au-dessus de cette ligne =-=-=-=\n> ancien ticket";
    assert_eq!(before_separator(quoted_ours), "Nouvelle demande.");
}

#[test]
fn cutting_is_linear_on_a_large_body() {
    let big = "ligne de journal sans marqueur\n".repeat(4_000);
    assert_eq!(written_part(&big).len(), big.trim_end().len());
}
