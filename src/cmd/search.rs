//! `blameless search`: the site's engine and index, from the command line.
//!
//! The engine decides; this file prints. A filter value (or a `field:value` of the query)
//! that names nothing in the archive is a warning on stderr with the engine's suggestion
//! (``warning: no service `payments`: did you mean `payments-db`?``), and the search still
//! answers, with no hits when nothing else matches: exit code 0, as for any search without
//! hits, so that scripts tell "no such incident" from a usage error (2).

use anyhow::{Context as _, Result};
use blameless_search::SearchRequest;
use chrono::DateTime;

use super::{check_and_build, human, Context};
use crate::cli::{EXIT_CONTENT, EXIT_OK};

/// The search request of the command line's words and filters.
pub fn request(
    query: Vec<String>,
    filters: [(&str, Vec<String>); 5],
    since: Option<String>,
    until: Option<String>,
    newest: bool,
    limit: usize,
) -> Result<SearchRequest> {
    let mut pairs: Vec<(&str, String)> = vec![("q", query.join(" "))];
    for (key, values) in filters {
        pairs.extend(values.into_iter().map(|v| (key, v)));
    }
    pairs.extend(since.map(|d| ("since", d)));
    pairs.extend(until.map(|d| ("until", d)));
    pairs.push(("sort", if newest { "newest" } else { "relevance" }.into()));
    pairs.push(("limit", limit.to_string()));
    SearchRequest::from_query_pairs(pairs).map_err(|e| match e.param.as_str() {
        "q" => anyhow::anyhow!("cannot search: {}", e.message),
        param => anyhow::anyhow!("--{param}: {}", e.message),
    })
}

/// Answers a search from the index under `out`, building the site first when the index is
/// missing, older than the sources, or cannot be opened.
pub fn answer(ctx: Context, request: &SearchRequest, json: bool) -> Result<u8> {
    let dir = ctx.out.join(crate::index::SITE_DIR);
    let base_url = ctx.config.base_url.clone();
    // why: an index this version cannot open (one written by an older blameless, with
    // another schema) is rebuilt like a stale one, not reported as broken.
    let opened = match crate::index::is_stale(&ctx.root, &dir) {
        true => None,
        false => blameless_search::Engine::open_dir(&dir).ok(),
    };
    let engine = match opened {
        Some(engine) => engine,
        None => {
            eprintln!(
                "the search index is missing, older than the sources or unreadable: building the site"
            );
            let built = check_and_build(ctx, false, false)?;
            if built.report.is_none() {
                eprint!("{}", human(&built.checked));
                return Ok(EXIT_CONTENT);
            }
            blameless_search::Engine::open_dir(&dir)
                .with_context(|| format!("cannot open the search index in {}", dir.display()))?
        }
    };
    let response = engine.search(request);
    if let Some(error) = &response.error {
        eprintln!("warning: {}", error.message);
        if let Some(hint) = &error.hint {
            eprintln!("  = help: {hint}");
        }
    }
    for unknown in &response.unknown {
        eprintln!("warning: {unknown}");
    }
    if response.fuzzy {
        eprintln!("no exact matches: showing matches with one typo allowed");
    }
    if !response.also.is_empty() {
        eprintln!("also searched for: {}", response.also.join(", "));
    }
    let hits: Vec<serde_json::Value> = response
        .hits
        .iter()
        .map(|hit| {
            serde_json::json!({
                "id": hit.id,
                "title": hit.title,
                "severity": hit.severity,
                "status": hit.status,
                "started": DateTime::from_timestamp(hit.started, 0).map(|t| t.to_rfc3339()),
                "score": hit.score,
                "url": format!("{base_url}/pm/{}/", hit.id),
                "snippet": crate::index::snippet_text(&hit.snippet_html),
                "section": hit.section,
            })
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&hits).context("cannot print JSON")?
        );
    } else if hits.is_empty() {
        eprintln!("no post-mortem matches");
    } else {
        let mut text = String::new();
        for (hit, value) in response.hits.iter().zip(&hits) {
            let date = DateTime::from_timestamp(hit.started, 0)
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            text.push_str(&format!(
                "{}  {date}  {}  {}\n",
                hit.severity, hit.status, hit.title
            ));
            text.push_str(&format!(
                "    {}\n",
                value["url"].as_str().unwrap_or_default()
            ));
            let snippet = value["snippet"].as_str().unwrap_or_default();
            match (&hit.section, snippet.is_empty()) {
                (_, true) => {}
                (Some(section), false) => text.push_str(&format!("    {section}: {snippet}\n")),
                (None, false) => text.push_str(&format!("    {snippet}\n")),
            }
            text.push('\n');
        }
        print!("{}", crate::terminal::printable(&text));
        match response.all_words {
            Some(all) => eprintln!(
                "{} of {} matches ({all} with every word, first)",
                response.hits.len(),
                response.total
            ),
            None => eprintln!("{} of {} matches", response.hits.len(), response.total),
        }
    }
    Ok(EXIT_OK)
}
