//! Import: the front matter a report may start with, YAML between `---` lines or TOML between
//! `+++` lines, read into plain keys and text values for the recognisers.
//!
//! Other tools' front matter has its own keys (`date`, `authors`, `layout`); the importer takes
//! what it knows and keeps the rest out of our front matter, where an unknown key is an error.

use std::collections::BTreeMap;

use yaml_rust2::{Yaml, YamlLoader};

/// A front-matter value, reduced to what the importer reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string, number, boolean or date, as text.
    Text(String),
    /// A list of such values.
    List(Vec<String>),
}

impl Value {
    /// The value as one line of text (a list joined with `, `).
    pub fn text(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::List(items) => items.join(", "),
        }
    }

    /// The value as a list (a text is split on commas).
    pub fn list(&self) -> Vec<String> {
        match self {
            Value::Text(text) => text
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Value::List(items) => items.clone(),
        }
    }
}

/// The front matter of a report: its keys lower-cased, and where the body starts.
#[derive(Debug, Default, PartialEq)]
pub struct FrontMatter {
    /// The keys with their values; nested tables are left out.
    pub fields: BTreeMap<String, Value>,
    /// Byte where the Markdown body starts.
    pub body_start: usize,
    /// Why the front matter could not be read, when it could not (the body then starts after it).
    pub problem: Option<String>,
}

impl FrontMatter {
    /// The first of `keys` that the front matter has.
    pub fn get(&self, keys: &[&str]) -> Option<(&str, &Value)> {
        keys.iter()
            .find_map(|k| self.fields.get_key_value(*k))
            .map(|(k, v)| (k.as_str(), v))
    }
}

/// Reads the front matter at the start of `text`, if there is one.
pub fn read(text: &str) -> FrontMatter {
    let Some((fence, first_end)) = ["---", "+++"].iter().find_map(|fence| {
        let first = text.lines().next()?;
        (first.trim_end() == *fence).then_some((*fence, first.len() + 1))
    }) else {
        return FrontMatter::default();
    };
    let mut offset = first_end.min(text.len());
    let mut close = None;
    for line in text[offset..].split_inclusive('\n') {
        if line.trim_end() == fence || (fence == "---" && line.trim_end() == "...") {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((inner_end, body_start)) = close else {
        // why: a lone `---` at the top is a thematic break, not front matter.
        return FrontMatter::default();
    };
    let inner = &text[first_end.min(inner_end)..inner_end];
    let (fields, problem) = if fence == "---" {
        yaml(inner)
    } else {
        toml_fields(inner)
    };
    FrontMatter {
        fields,
        body_start,
        problem,
    }
}

fn yaml(text: &str) -> (BTreeMap<String, Value>, Option<String>) {
    let docs = match YamlLoader::load_from_str(text) {
        Ok(docs) => docs,
        Err(err) => {
            return (
                BTreeMap::new(),
                Some(format!("the YAML front matter is not valid: {err}")),
            )
        }
    };
    let mut fields = BTreeMap::new();
    if let Some(Yaml::Hash(hash)) = docs.first() {
        for (key, value) in hash {
            let Some(key) = yaml_scalar(key) else {
                continue;
            };
            let value = match value {
                Yaml::Array(items) => Value::List(items.iter().filter_map(yaml_scalar).collect()),
                other => match yaml_scalar(other) {
                    Some(text) => Value::Text(text),
                    None => continue,
                },
            };
            fields.insert(key.to_lowercase(), value);
        }
    }
    (fields, None)
}

fn yaml_scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn toml_fields(text: &str) -> (BTreeMap<String, Value>, Option<String>) {
    let table: toml::Table = match text.parse() {
        Ok(table) => table,
        Err(err) => {
            return (
                BTreeMap::new(),
                Some(format!(
                    "the TOML front matter is not valid: {}",
                    err.message()
                )),
            )
        }
    };
    let scalar = |v: &toml::Value| match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Table(_) | toml::Value::Array(_) => None,
        other => Some(other.to_string()),
    };
    let fields = table
        .iter()
        .filter_map(|(key, value)| {
            let value = match value {
                toml::Value::Array(items) => Value::List(items.iter().filter_map(scalar).collect()),
                other => Value::Text(scalar(other)?),
            };
            Some((key.to_lowercase(), value))
        })
        .collect();
    (fields, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_yaml_front_matter() {
        let text = "---\ntitle: \"DB down\"\ndate: 2021-05-26 14:03\ntags: [db, postgres]\nseverity: SEV-2\nnested:\n  a: 1\n---\n# Body\n";
        let fm = read(text);
        assert_eq!(fm.fields["title"], Value::Text("DB down".into()));
        assert_eq!(fm.fields["date"], Value::Text("2021-05-26 14:03".into()));
        assert_eq!(fm.fields["tags"].list(), ["db", "postgres"]);
        assert!(!fm.fields.contains_key("nested"));
        assert_eq!(&text[fm.body_start..], "# Body\n");
    }

    #[test]
    fn reads_toml_front_matter() {
        let text =
            "+++\ntitle = \"DB down\"\ndate = 2021-05-26T14:03:00Z\ntags = [\"db\"]\n+++\nbody";
        let fm = read(text);
        assert_eq!(fm.get(&["name", "title"]).unwrap().1.text(), "DB down");
        assert_eq!(fm.fields["date"].text(), "2021-05-26T14:03:00Z");
        assert_eq!(&text[fm.body_start..], "body");
    }

    #[test]
    fn a_thematic_break_at_the_top_is_not_front_matter() {
        let fm = read("---\n# Title\n\ntext\n");
        assert_eq!(fm, FrontMatter::default());
        assert_eq!(read("# Title\n").body_start, 0);
    }

    #[test]
    fn bad_yaml_is_reported_and_skipped() {
        let fm = read("---\ntitle: [unclosed\n---\nbody");
        assert!(fm.problem.unwrap().contains("YAML"));
        assert_eq!(fm.body_start, "---\ntitle: [unclosed\n---\n".len());
    }
}
