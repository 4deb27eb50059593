//! Index: the archive into the search index that the site, `blameless search` and `serve`
//! answer from. The schema and engine live in the `blameless-search` crate; this module only
//! turns a `PostMortem` into a `SearchDoc`, the configuration into the index's `Vocabulary`
//! (scale, lifecycle, causes), and writes the index beside the rendered files.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use blameless_search::{IndexStats, SearchDoc, SectionStart, Step, Vocabulary};
use rayon::prelude::*;

use crate::archive::Archive;
use crate::config::Config;
use crate::markdown;
use crate::postmortem::{PostMortem, SectionKind, Status};

/// Where the index lives in the site.
pub const SITE_DIR: &str = "search/index";

/// The search document of one post-mortem. With a directory, the people's aliases are
/// searchable too, so that a chat handle or initials find the person's post-mortems.
pub fn document(pm: &PostMortem, config: &Config) -> SearchDoc {
    let mut body = String::new();
    let mut sections = Vec::new();
    for s in pm
        .sections
        .iter()
        .filter(|s| s.kind != Some(SectionKind::InternalEmail))
    {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        sections.push(SectionStart {
            offset: body.len(),
            heading: s.heading.clone(),
            anchor: s.anchor(),
        });
        if !s.heading.is_empty() {
            body.push_str(&s.heading);
            body.push('\n');
        }
        let timeline = s.kind == Some(SectionKind::Timeline) && !pm.timeline.entries.is_empty();
        body.push_str(&if timeline {
            timeline_text(pm)
        } else {
            markdown::to_text(s.markdown())
        });
    }
    let mut idents: BTreeSet<String> = identifiers(&body);
    idents.extend(pm.services.iter().cloned());
    idents.extend(pm.actions.iter().filter_map(|a| a.ticket.clone()));
    idents.extend(pm.related.iter().cloned());
    SearchDoc {
        id: pm.id.clone(),
        title: pm.title.clone(),
        body,
        summary: pm.summary.clone(),
        idents: idents.into_iter().collect(),
        tags: pm.tags.clone(),
        services: pm.services.clone(),
        causes: pm.causes.clone(),
        severity: pm.severity.name.clone(),
        severity_rank: pm.severity.rank as u64,
        status: pm.status.name().to_string(),
        status_rank: status_rank(pm.status),
        detection: pm.detection.map(|d| d.name().to_string()),
        started: pm.started.timestamp(),
        owner: pm.owner.clone(),
        people: people(pm, config),
        sections,
    }
}

fn people(pm: &PostMortem, config: &Config) -> Vec<String> {
    let mut people = pm.people();
    if let Some(directory) = config.directory.as_deref() {
        let aliases: Vec<String> = people
            .iter()
            .filter_map(|name| directory.person(name))
            .flat_map(|person| person.aliases.iter().cloned())
            .collect();
        people.extend(aliases);
    }
    people
}

/// The timeline as a reader says it: "18 Aug 13:05 Export starts", the date only when it
/// changes, in the post-mortem's zone; not the table's ISO times and header.
fn timeline_text(pm: &PostMortem) -> String {
    let mut day = None;
    let lines: Vec<String> = pm
        .timeline
        .entries
        .iter()
        .map(|entry| {
            let event = markdown::to_text(&entry.event);
            let Some(time) = entry.time else {
                return format!("{} {event}", entry.time_text);
            };
            let local = time.with_timezone(&pm.timezone);
            let when = if day == Some(local.date_naive()) {
                local.format("%H:%M").to_string()
            } else {
                day = Some(local.date_naive());
                local.format("%-d %b %H:%M").to_string()
            };
            format!("{when} {event}")
        })
        .collect();
    lines.join("\n")
}

/// The position of `status` in the lifecycle, 0 for `Draft`.
fn status_rank(status: Status) -> u64 {
    Status::ALL.iter().position(|s| *s == status).unwrap_or(0) as u64
}

/// The archive's controlled values as the search engine needs them: the severity scale
/// (names, aliases, ranks and the same slugs as the site's pages), the status lifecycle and
/// the causes. Slugs and orders are made here once; the search page only reads them.
pub fn vocabulary(config: &Config) -> Vocabulary {
    let severity = config
        .severities
        .iter()
        .enumerate()
        .map(|(rank, spec)| Step {
            name: spec.name.clone(),
            aliases: spec.aliases.clone(),
            rank: rank as u64,
            slug: crate::slug::slugify(&spec.name),
        })
        .collect();
    let status = Status::ALL
        .iter()
        .map(|&status| Step {
            name: status.name().to_string(),
            aliases: Vec::new(),
            rank: status_rank(status),
            slug: status.slug().to_string(),
        })
        .collect();
    Vocabulary {
        severity,
        status,
        cause: config.causes.clone(),
        synonyms: config.search.synonyms(),
    }
}

/// Words of `text` that are identifiers rather than prose: hosts, services, error codes,
/// ticket keys, metric and config names (`checkout-api`, `db-01.acme.internal`, `OPS-1234`,
/// `ERR_CONN_RESET`, `max_connections`, `HTTP 503` gives `503`).
pub fn identifiers(text: &str) -> BTreeSet<String> {
    text.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| {
                !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '/' || c == ':')
            })
            .trim_end_matches(['.', ':', '/'])
        })
        .filter(|w| (3..=80).contains(&w.len()))
        .filter(|w| {
            // why: the first and last characters, not bytes: `Café` and `東京` end in several.
            let mut chars = w.chars();
            chars.next();
            chars.next_back();
            let inner = chars.as_str();
            let joined = inner.contains(['-', '_', '.', '/', ':']);
            let digits = w.chars().any(|c| c.is_ascii_digit());
            let letters = w.chars().any(|c| c.is_alphabetic());
            // why: a hyphenated word of prose ("well-known") costs nothing here, and telling it
            // from `checkout-api` would need a dictionary.
            joined
                || (digits && letters)
                || (digits && w.len() == 3 && w.chars().all(|c| c.is_ascii_digit()))
        })
        .filter(|w| !w.contains("://"))
        .map(str::to_string)
        .collect()
}

/// Writes the index of `archive` into `dir`, which is [`SITE_DIR`] of the site being written.
pub fn build(archive: &Archive, dir: &Path) -> Result<IndexStats> {
    let mut order: Vec<&PostMortem> = archive.postmortems.iter().map(|pm| &**pm).collect();
    order.sort_by(|a, b| {
        blameless_search::index_order(
            (a.started.timestamp(), &a.id),
            (b.started.timestamp(), &b.id),
        )
    });
    // why: the writer is single-threaded (for deterministic bytes); preparing the documents
    // (Markdown to text, identifiers) is not, and runs on every core a chunk at a time, so
    // that only a chunk of the archive's text is held beside the writer.
    let docs = order.chunks(DOCUMENT_CHUNK).flat_map(|chunk| {
        chunk
            .par_iter()
            .map(|pm| document(pm, &archive.config))
            .collect::<Vec<SearchDoc>>()
    });
    blameless_search::build_index_in_order(dir, docs, &vocabulary(&archive.config))
        .context("cannot build the search index")
}

/// Updates the index in `dir`, written by [`build`] for an earlier version of `archive`, for
/// the post-mortems whose ids are `changed`: their old documents go, and those `archive` still
/// publishes come back as they are now (for `serve`).
pub fn update(archive: &Archive, dir: &Path, changed: &BTreeSet<String>) -> Result<IndexStats> {
    let removed: Vec<String> = changed.iter().cloned().collect();
    let docs: Vec<SearchDoc> = changed
        .iter()
        .filter_map(|id| archive.get(id))
        .map(|pm| document(pm, &archive.config))
        .collect();
    blameless_search::update_index(dir, &removed, docs).context("cannot update the search index")
}

/// How many search documents are prepared at once.
const DOCUMENT_CHUNK: usize = 512;

/// Whether the index in `dir` is missing or older than any source, template or the config.
pub fn is_stale(root: &Path, dir: &Path) -> bool {
    let Ok(built) = std::fs::metadata(dir.join("meta.json")).and_then(|m| m.modified()) else {
        return true;
    };
    let sources = [
        root.join(crate::load::CONTENT_DIR),
        root.join(crate::load::THEMES_DIR),
    ];
    let configs = [
        root.join(crate::config::FILE_NAME),
        root.join(crate::directory::FILE_NAME),
    ];
    sources
        .iter()
        .flat_map(|dir| {
            walkdir::WalkDir::new(dir)
                .into_iter()
                .filter_map(Result::ok)
        })
        .map(|entry| entry.path().to_path_buf())
        .chain(configs)
        .filter_map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .any(|modified| modified > built)
}

/// The text of an HTML snippet: tags removed, entities decoded.
pub fn snippet_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippets_lose_their_markup() {
        assert_eq!(
            snippet_text("a <mark>replica</mark> &amp; a &lt;tag&gt;\n  lag"),
            "a replica & a <tag> lag"
        );
    }

    use super::*;

    #[test]
    fn words_that_start_or_end_with_non_ascii_letters_are_read_without_a_panic() {
        let found = identifiers("Café Österreich 東京 naïve-ü é-a Zürich-01 ü");
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(found, ["Zürich-01", "naïve-ü", "é-a"]);
    }

    #[test]
    fn finds_identifiers_in_prose() {
        let found = identifiers(
            "The checkout-api on db-01.acme.internal returned HTTP 503 (see OPS-1234); \
             max_connections was 200 and ERR_CONN_RESET appeared in v1.34.",
        );
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(
            found,
            [
                "ERR_CONN_RESET",
                "OPS-1234",
                "checkout-api",
                "db-01.acme.internal",
                "max_connections",
                "v1.34",
                "503",
                "200"
            ]
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
        );
    }
}
