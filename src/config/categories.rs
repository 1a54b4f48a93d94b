//! The ticket categories, GLPI's tree (`Scolarité > LSU`), configured as a
//! list of full paths whose parents are implied. People name a category the
//! way they remember it: a rule's author writes the full path, a technician
//! answering by mail writes `#category lsu` or `Reseaux` without the accent.
//! So a name is resolved leniently (case, accents, spaces and punctuation do
//! not count, a unique last segment is enough) but never guessed: when two
//! categories could be meant, or none, the answer lists the close choices.

use serde::{Serialize, Serializer};

use crate::ticket::Language;

/// Between the segments of a path, as GLPI shows it.
pub const SEPARATOR: &str = " > ";

/// How many choices an error lists; the line is mailed back to a person.
const MAX_CHOICES: usize = 6;

/// The configured categories: every full path, parents included, in the
/// order they were first written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CategoryTree {
    /// Display form: segments trimmed, joined by [`SEPARATOR`].
    paths: Vec<String>,
    /// The folded segments of each path, for comparison.
    keys: Vec<Vec<String>>,
}

impl CategoryTree {
    /// Builds the tree from full paths such as `"Scolarité > LSU"`. The error
    /// is the index of the bad entry and what is wrong with it.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<CategoryTree, (usize, String)> {
        let mut tree = CategoryTree::default();
        let mut explicit = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let entry = entry.as_ref();
            let segments: Vec<String> = entry.split('>').map(collapse_spaces).collect();
            if segments.iter().any(|s| fold(s).is_empty()) {
                return Err((
                    i,
                    format!(
                        "expected a category path such as \"Scolarité > LSU\" (names with a letter or digit, between \">\"), got \"{entry}\""
                    ),
                ));
            }
            for depth in 1..=segments.len() {
                let path = segments[..depth].join(SEPARATOR);
                let key: Vec<String> = segments[..depth].iter().map(|s| fold(s)).collect();
                let last = depth == segments.len();
                match tree.keys.iter().position(|k| *k == key) {
                    Some(at) if tree.paths[at] != path => {
                        return Err((
                            i,
                            format!(
                                "\"{path}\" and \"{}\" differ only by case, accents or punctuation: write one of them",
                                tree.paths[at]
                            ),
                        ));
                    }
                    Some(at) if last && explicit[at] => return Err((i, format!("\"{path}\" is listed twice"))),
                    Some(at) => explicit[at] |= last,
                    None => {
                        tree.paths.push(path);
                        tree.keys.push(key);
                        explicit.push(last);
                    }
                }
            }
        }
        Ok(tree)
    }

    /// Every full path, parents included.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The full path `input` names: a full path (`"scolarite>lsu"` will do),
    /// or its last segments when only one category ends so (`"LSU"`). The
    /// error is one line listing the close choices; see [`Self::resolve_in`]
    /// for one in the language of notifications.
    pub fn resolve(&self, input: &str) -> Result<String, String> {
        self.resolve_in(input, Language::En)
    }

    /// [`Self::resolve`], with the error in `language`: it is mailed back to
    /// the technician who wrote `#category Reseau`.
    pub fn resolve_in(&self, input: &str, language: Language) -> Result<String, String> {
        self.lookup(input).map_err(|miss| miss.message(&collapse_spaces(input), language))
    }

    fn lookup(&self, input: &str) -> Result<String, Miss<'_>> {
        let wanted: Vec<String> = input.split('>').map(fold).collect();
        if wanted.iter().any(String::is_empty) {
            return Err(Miss::NoName);
        }
        if self.paths.is_empty() {
            return Err(Miss::NoTree);
        }
        if let Some(at) = self.keys.iter().position(|k| *k == wanted) {
            return Ok(self.paths[at].clone());
        }
        let ending: Vec<&str> =
            self.keys.iter().zip(&self.paths).filter(|(k, _)| k.ends_with(&wanted)).map(|(_, p)| p.as_str()).collect();
        match ending.as_slice() {
            [one] => Ok(one.to_string()),
            [] => Err(self.unknown(&wanted)),
            _ => Err(Miss::Ambiguous(ending)),
        }
    }

    fn unknown(&self, wanted: &[String]) -> Miss<'_> {
        let whole = wanted.concat();
        let last = wanted.last().map_or("", String::as_str);
        let mut scored: Vec<(f64, &str)> = self
            .keys
            .iter()
            .zip(&self.paths)
            .map(|(key, path)| {
                let own_last = key.last().map_or("", String::as_str);
                let related = own_last.starts_with(last) || last.starts_with(own_last);
                let score = if related {
                    1.0
                } else {
                    strsim::jaro_winkler(last, own_last).max(strsim::jaro_winkler(&whole, &key.concat()))
                };
                (score, path.as_str())
            })
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        if scored.is_empty() {
            Miss::Unknown {
                close: false,
                choices: self.paths.iter().filter(|p| !p.contains(SEPARATOR)).map(String::as_str).collect(),
            }
        } else {
            Miss::Unknown { close: true, choices: scored.into_iter().map(|(_, p)| p).collect() }
        }
    }
}

/// Why a name resolves to no category.
enum Miss<'a> {
    NoName,
    NoTree,
    Ambiguous(Vec<&'a str>),
    /// `close`: the choices look like the name; else they are the top level.
    Unknown {
        close: bool,
        choices: Vec<&'a str>,
    },
}

impl Miss<'_> {
    fn message(&self, shown: &str, language: Language) -> String {
        match (language, self) {
            (Language::En, Miss::NoName) => format!("expected a category name, got \"{shown}\""),
            (Language::Fr, Miss::NoName) => format!("nom de catégorie attendu, reçu \"{shown}\""),
            (Language::En, Miss::NoTree) => {
                format!("unknown category \"{shown}\": no categories are configured (tickets.categories)")
            }
            (Language::Fr, Miss::NoTree) => {
                format!("catégorie \"{shown}\" inconnue : aucune catégorie n'est configurée (tickets.categories)")
            }
            (Language::En, Miss::Ambiguous(paths)) => {
                format!("category \"{shown}\" is ambiguous: {}; write the full path", quoted_list(paths))
            }
            (Language::Fr, Miss::Ambiguous(paths)) => {
                format!("catégorie \"{shown}\" ambiguë : {} ; écrivez le chemin complet", quoted_list(paths))
            }
            (Language::En, Miss::Unknown { close: true, choices }) => {
                format!("unknown category \"{shown}\"; close choices: {}", quoted_list(choices))
            }
            (Language::Fr, Miss::Unknown { close: true, choices }) => {
                format!("catégorie \"{shown}\" inconnue ; choix proches : {}", quoted_list(choices))
            }
            (Language::En, Miss::Unknown { close: false, choices }) => {
                format!("unknown category \"{shown}\"; the categories are {}", quoted_list(choices))
            }
            (Language::Fr, Miss::Unknown { close: false, choices }) => {
                format!("catégorie \"{shown}\" inconnue ; les catégories sont {}", quoted_list(choices))
            }
        }
    }
}

impl Serialize for CategoryTree {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.paths.serialize(serializer)
    }
}

/// `"a", "b", "c"`, cut after [`MAX_CHOICES`] with `…` for the rest.
fn quoted_list(items: &[&str]) -> String {
    let mut shown: Vec<String> = items.iter().take(MAX_CHOICES).map(|p| format!("\"{p}\"")).collect();
    if items.len() > MAX_CHOICES {
        shown.push("…".into());
    }
    shown.join(", ")
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The comparison form of a name: lower case, the accents of French (and
/// its neighbours) removed, letters and digits only. `"Réseaux"`,
/// `"reseaux"` and `"RÉSEAUX "` fold alike, and so do `"Wi-Fi"` and `"wifi"`.
pub(crate) fn fold(s: &str) -> String {
    fold_accents(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Lower case without the accents French keyboards add, everything else
/// kept: `"#Résoudre"` and `"#resoudre"` are the same command, and
/// `"En attente"` stays two words.
pub fn fold_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> CategoryTree {
        CategoryTree::new(&[
            "Bureautique",
            "Réseaux > Wi-Fi",
            "Réseaux > Filaire",
            "Messagerie",
            "Scolarité > LSU",
            "Scolarité > ONDE",
            "Scolarité > Pronote",
            "Matériel > Imprimantes",
            "Matériel > Postes de travail",
            "Examens > Saisie > LSU",
        ])
        .expect("a valid tree")
    }

    #[test]
    fn parents_are_implied_and_kept_in_the_order_written() {
        let t = CategoryTree::new(&["Réseaux > Wi-Fi", "Réseaux >  Filaire", "Bureautique"]).expect("valid");
        assert_eq!(t.paths(), ["Réseaux", "Réseaux > Wi-Fi", "Réseaux > Filaire", "Bureautique"]);
    }

    #[test]
    fn names_resolve_to_their_full_path() {
        let t = tree();
        let cases = [
            ("the full path", "Scolarité > ONDE", "Scolarité > ONDE"),
            ("case and spaces around > do not count", "scolarité>onde", "Scolarité > ONDE"),
            ("accents do not count", "Reseaux", "Réseaux"),
            ("nor punctuation", "reseaux > wifi", "Réseaux > Wi-Fi"),
            ("a unique leaf is enough", "Pronote", "Scolarité > Pronote"),
            ("a unique leaf without its accent", "imprimantes", "Matériel > Imprimantes"),
            ("a parent named alone is the parent", "Matériel", "Matériel"),
            ("the last two segments when they are unique", "Scolarité > LSU", "Scolarité > LSU"),
            ("a leaf of several words", "postes de travail", "Matériel > Postes de travail"),
        ];
        for (name, input, expected) in cases {
            assert_eq!(t.resolve(input).as_deref(), Ok(expected), "{name}");
        }
    }

    #[test]
    fn unknown_or_ambiguous_names_are_refused_with_the_close_choices_on_one_line() {
        let t = tree();
        let cases = [
            (
                "a misspelt name lists the close ones",
                "Reseau",
                "unknown category \"Reseau\"; close choices: \"Réseaux\"",
            ),
            ("a leaf ending two paths is ambiguous", "LSU", "\"Scolarité > LSU\", \"Examens > Saisie > LSU\""),
            ("nothing close lists the top level", "Cantine", "the categories are \"Bureautique\", \"Réseaux\""),
            ("an empty name", "  ", "expected a category name"),
            ("an empty segment", "Réseaux > ", "expected a category name"),
        ];
        for (name, input, fragment) in cases {
            match t.resolve(input) {
                Ok(path) => panic!("{name}: resolved to {path}"),
                Err(e) => {
                    assert!(e.contains(fragment), "{name}: {e}");
                    assert!(!e.contains('\n'), "{name}: several lines: {e}");
                }
            }
        }
    }

    #[test]
    fn the_mailed_back_error_speaks_the_language_of_notifications() {
        let t = tree();
        let cases = [
            ("close choices", "Reseau", "catégorie \"Reseau\" inconnue ; choix proches : \"Réseaux\""),
            (
                "ambiguous",
                "lsu",
                "catégorie \"lsu\" ambiguë : \"Scolarité > LSU\", \"Examens > Saisie > LSU\" ; écrivez",
            ),
            ("nothing close", "Cantine", "catégorie \"Cantine\" inconnue ; les catégories sont \"Bureautique\""),
        ];
        for (name, input, expected) in cases {
            let e = t.resolve_in(input, Language::Fr).expect_err(name);
            assert!(e.starts_with(expected), "{name}: {e}");
        }
        assert_eq!(t.resolve_in("wifi", Language::Fr).as_deref(), Ok("Réseaux > Wi-Fi"));
    }

    #[test]
    fn a_long_list_of_choices_is_cut() {
        let names: Vec<String> = (1..=9).map(|i| format!("Salle {i}")).collect();
        let e = CategoryTree::new(&names).expect("valid").resolve("Cantine").expect_err("unknown");
        assert!(e.ends_with("\"Salle 6\", …"), "{e}");
    }

    #[test]
    fn bad_trees_are_refused_naming_the_entry() {
        let cases: [(&str, &[&str], usize, &str); 4] = [
            ("empty segment", &["Réseaux", "Réseaux > > Wi-Fi"], 1, "expected a category path"),
            ("listed twice", &["Bureautique", "Bureautique"], 1, "listed twice"),
            ("same name but for accents", &["Réseaux > Wi-Fi", "Reseaux > Filaire"], 1, "differ only by case"),
            ("punctuation only", &["--"], 0, "expected a category path"),
        ];
        for (name, entries, index, fragment) in cases {
            match CategoryTree::new(entries) {
                Ok(_) => panic!("{name}: accepted"),
                Err((i, message)) => {
                    assert_eq!(i, index, "{name}");
                    assert!(message.contains(fragment), "{name}: {message}");
                }
            }
        }
    }

    #[test]
    fn an_explicit_parent_is_not_a_duplicate_of_an_implied_one() {
        let t = CategoryTree::new(&["Scolarité > LSU", "Scolarité"]).expect("valid");
        assert_eq!(t.paths(), ["Scolarité", "Scolarité > LSU"]);
    }

    #[test]
    fn an_empty_tree_says_so() {
        let e = CategoryTree::default().resolve("LSU").expect_err("nothing to resolve to");
        assert!(e.contains("no categories are configured"), "{e}");
    }

    #[test]
    fn folding_removes_case_accents_and_punctuation() {
        assert_eq!(fold("Travaux et bâtiments"), "travauxetbatiments");
        assert_eq!(fold("ŒUVRES À L'ÉCOLE"), "oeuvresalecole");
    }
}
