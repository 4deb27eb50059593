//! [`Vocabulary`]: the archive's own names for the ordered and controlled values (the
//! severity scale, the status lifecycle, the causes), written beside the index as
//! [`VOCABULARY_FILE`] and loaded with it.
//!
//! The index holds each post-mortem's severity under its canonical name (`SEV-1`); the
//! vocabulary says which other names mean it (`P1`, `sev1`), its rank on the scale and its
//! slug (for paths and CSS classes). So a filter or a query can say `P1`, and the page
//! never derives a slug or an order itself.
//!
//! Opening the index reads the file through the tantivy directory, so the build's hot
//! cache records it like any other read and the browser gets it with the hot cache, at no
//! extra request.

use serde::{Deserialize, Serialize};

/// File name of the vocabulary, beside the index files.
pub const VOCABULARY_FILE: &str = "vocabulary.json";

/// The controlled values of an archive.
///
/// Every field has a default (empty), so an index without the file still opens: its
/// filters then match values as written, case-insensitively, and no alias resolves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Vocabulary {
    /// The severity scale, most severe first.
    pub severity: Vec<Step>,
    /// The status lifecycle, first step first.
    pub status: Vec<Step>,
    /// The causes an archive may name, as written in its configuration.
    pub cause: Vec<String>,
    /// Groups of words and phrases that mean the same to a searcher (`disk full`, `no space
    /// left on device`); a query for one also finds the others.
    pub synonyms: Vec<Vec<String>>,
}

/// One step of an ordered scale: a severity or a status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Step {
    /// The canonical name, as the index holds it: `SEV-1`, `In Review`.
    pub name: String,
    /// Other names that mean the same step: `P1`, `sev1`.
    pub aliases: Vec<String>,
    /// Position on the scale: 0 is the most severe severity, or the first status.
    pub rank: u64,
    /// The URL-safe form used in paths and CSS classes: `sev-1`, `in-review`.
    pub slug: String,
}

impl Step {
    /// Every name the step answers to: its name, its aliases and its slug.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .chain(std::iter::once(self.slug.as_str()))
            .filter(|name| !name.is_empty())
    }

    /// Whether `value` names this step: any of [`Step::names`], ignoring case, spaces,
    /// `-` and `_` (`sev 1`, `SEV1` and `sev-1` all name `SEV-1`).
    pub fn answers_to(&self, value: &str) -> bool {
        let wanted = squash(value);
        !wanted.is_empty() && self.names().any(|name| squash(name) == wanted)
    }
}

impl Vocabulary {
    /// The scale of a field, when it has one (`severity`, `status`).
    pub fn scale(&self, field: &str) -> Option<&[Step]> {
        match field {
            "severity" => Some(&self.severity),
            "status" => Some(&self.status),
            _ => None,
        }
    }

    /// The step of `field`'s scale that `value` names, first by rank.
    pub fn step(&self, field: &str, value: &str) -> Option<&Step> {
        self.scale(field)?
            .iter()
            .find(|step| step.answers_to(value))
    }

    /// The canonical spelling of `value` in `field` when the vocabulary knows it: the
    /// step's name for a scale, the configured spelling for a cause.
    pub fn resolve(&self, field: &str, value: &str) -> Option<&str> {
        if let Some(step) = self.step(field, value) {
            return Some(&step.name);
        }
        if field == "cause" {
            let wanted = value.trim().to_lowercase();
            return self
                .cause
                .iter()
                .find(|cause| cause.to_lowercase() == wanted)
                .map(String::as_str);
        }
        None
    }

    /// Whether the vocabulary lists the values of `field`, so that it alone can tell a
    /// known value from an unknown one.
    pub fn lists(&self, field: &str) -> bool {
        match field {
            "severity" => !self.severity.is_empty(),
            "status" => !self.status.is_empty(),
            "cause" => !self.cause.is_empty(),
            _ => false,
        }
    }

    /// The slug of a canonical severity or status name, when the vocabulary has it.
    pub fn slug(&self, field: &str, name: &str) -> Option<&str> {
        self.scale(field)?
            .iter()
            .find(|step| step.name.eq_ignore_ascii_case(name))
            .map(|step| step.slug.as_str())
    }

    /// Reads the file's JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Vocabulary, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Writes the file's JSON, compact: the browser gets it inside the hot cache.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }
}

/// Lowercase, without spaces, `-` and `_`: how two names of a step are compared.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The default scale of blameless, and its lifecycle.
    pub(crate) fn vocabulary() -> Vocabulary {
        let step = |rank: u64, name: &str, aliases: &[&str], slug: &str| Step {
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            rank,
            slug: slug.into(),
        };
        Vocabulary {
            severity: (1..=4)
                .map(|n| {
                    let (p, sev) = (format!("P{n}"), format!("sev{n}"));
                    step(n - 1, &format!("SEV-{n}"), &[&p, &sev], &format!("sev-{n}"))
                })
                .collect(),
            status: vec![
                step(0, "Draft", &[], "draft"),
                step(1, "In Review", &[], "in-review"),
                step(2, "Reviewed", &[], "reviewed"),
                step(3, "Closed", &[], "closed"),
            ],
            cause: vec!["config-change".into(), "deploy".into(), "capacity".into()],
            synonyms: Vec::new(),
        }
    }

    #[test]
    fn resolves_names_aliases_and_slugs_to_the_canonical_name() {
        let v = vocabulary();
        for given in ["SEV-1", "sev-1", "P1", "p1", "sev1", "SEV 1", "Sev_1"] {
            assert_eq!(v.resolve("severity", given), Some("SEV-1"), "{given}");
        }
        assert_eq!(v.resolve("status", "in-review"), Some("In Review"));
        assert_eq!(v.resolve("status", "IN REVIEW"), Some("In Review"));
        assert_eq!(v.resolve("cause", "Deploy"), Some("deploy"));
        assert_eq!(v.resolve("severity", "SEV-7"), None);
        assert_eq!(v.resolve("severity", ""), None);
        assert_eq!(v.resolve("tag", "postgres"), None);
        assert_eq!(v.slug("status", "in review"), Some("in-review"));
    }

    #[test]
    fn round_trips_through_json_and_reads_an_empty_file() {
        let v = vocabulary();
        assert_eq!(Vocabulary::from_json(v.to_json().as_bytes()).unwrap(), v);
        assert_eq!(Vocabulary::from_json(b"{}").unwrap(), Vocabulary::default());
    }
}
