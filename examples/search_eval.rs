//! Search quality evaluation: judged queries over the real DFDS post-mortems, hidden among the
//! benchmark's generated distractors, answered by the site's engine and by a plain tantivy
//! BM25 over title and body built from the same documents.
//!
//! ```text
//! cargo run --release --example search_eval -- [--distractors 5000] [--verbose] [--queries PATH]
//! ```
//!
//! The archive is what a site build sees: `content/` holds the DFDS post-mortems of
//! `tests/fixtures/dfds` and N generated ones (`common/generate.rs`), checked by
//! `pipeline::check` and indexed by `index::build`. The baseline indexes the same
//! `index::document`s with tantivy's defaults: `title` and `body` stemmed (`en_stem`), the
//! `QueryParser` over both with OR semantics and no boosts, and the filters of a query applied
//! to its hits afterwards, so that both engines answer the same question.
//!
//! Printed: MRR@10, success@1 and recall@10 per query class and overall, as a Markdown table;
//! with `--verbose`, every query's rank in both engines and the largest losses to the baseline.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context as _, Result};
use blameless::config::Config;
use blameless::diagnostic::Level;
use blameless::pipeline;
use blameless_search::tantivy::collector::TopDocs;
use blameless_search::tantivy::query::QueryParser;
use blameless_search::tantivy::schema::{
    IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value as _, STORED, STRING,
};
use blameless_search::tantivy::{doc, Index, TantivyDocument};
use blameless_search::{parse_date_span, Engine, SearchDoc, SearchRequest};
use chrono::{TimeZone, Utc};
use serde::Deserialize;

#[path = "common/generate.rs"]
mod generate;

/// The query classes, in the order of the table.
const CLASSES: [&str; 7] = [
    "exact",
    "typo",
    "paraphrase",
    "identifier",
    "phrase",
    "filtered",
    "recurring",
];

/// How many hits count: the metrics are "@10".
const DEPTH: usize = 10;

/// The judged query file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    /// How the queries were written, and the documents' licence.
    // why: read so that the file is checked whole; only people read it.
    #[allow(dead_code)]
    about: String,
    /// The judged queries, in a fixed order.
    queries: Vec<Judged>,
}

/// One query with the ids of the documents that answer it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Judged {
    /// One of [`CLASSES`].
    class: String,
    /// The text, in the engine's query syntax.
    query: String,
    /// File stems of every relevant document.
    relevant: Vec<String>,
    /// Filters, as the CLI and the search page take them.
    #[serde(default)]
    filters: Filters,
}

/// A query's filters: values of a field are alternatives, fields must all hold.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Filters {
    /// Severity names.
    severity: Vec<String>,
    /// Service names.
    service: Vec<String>,
    /// Tags.
    tag: Vec<String>,
    /// Causes.
    cause: Vec<String>,
    /// Started at or after this date (`2024`, `2024-03`, `2024-03-12`).
    since: Option<String>,
    /// Started before the end of this date.
    until: Option<String>,
}

impl Filters {
    /// The URL parameters of these filters, in the order `SearchRequest` reads them.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        for (key, values) in [
            ("severity", &self.severity),
            ("service", &self.service),
            ("tag", &self.tag),
            ("cause", &self.cause),
        ] {
            pairs.extend(values.iter().map(|v| (key, v.clone())));
        }
        pairs.extend(self.since.clone().map(|d| ("since", d)));
        pairs.extend(self.until.clone().map(|d| ("until", d)));
        pairs
    }

    /// Whether `doc` passes every filter, read as the engine reads them (case-insensitive,
    /// `until` covering the whole date it names).
    fn keeps(&self, doc: &SearchDoc) -> Result<bool> {
        let any = |wanted: &[String], have: &[String]| {
            wanted.is_empty()
                || wanted
                    .iter()
                    .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
        };
        let span = |date: &Option<String>| -> Result<Option<(i64, i64)>> {
            date.as_deref()
                .map(|d| parse_date_span(d).with_context(|| format!("bad date `{d}`")))
                .transpose()
        };
        let since = span(&self.since)?.map(|(start, _)| start);
        let until = span(&self.until)?.map(|(_, end)| end);
        Ok(any(&self.severity, std::slice::from_ref(&doc.severity))
            && any(&self.service, &doc.services)
            && any(&self.tag, &doc.tags)
            && any(&self.cause, &doc.causes)
            && since.is_none_or(|s| doc.started >= s)
            && until.is_none_or(|u| doc.started < u))
    }
}

/// How one engine did on one query.
#[derive(Clone, Debug, PartialEq)]
struct Scored {
    /// The 1-based rank of the first relevant hit within [`DEPTH`], if any.
    rank: Option<usize>,
    /// The share of the relevant documents within the first [`DEPTH`] hits.
    recall: f64,
}

/// Scores a ranked list of ids against the relevant ones.
fn score(hits: &[String], relevant: &BTreeSet<String>) -> Scored {
    let top = &hits[..hits.len().min(DEPTH)];
    let rank = top
        .iter()
        .position(|id| relevant.contains(id))
        .map(|p| p + 1);
    let found: BTreeSet<&String> = top.iter().filter(|id| relevant.contains(*id)).collect();
    let recall = if relevant.is_empty() {
        0.0
    } else {
        found.len() as f64 / relevant.len() as f64
    };
    Scored { rank, recall }
}

/// MRR@10, success@1 and recall@10 over some queries' scores: averages, 0 when empty.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Summary {
    mrr: f64,
    success: f64,
    recall: f64,
}

fn summarise<'a>(scores: impl IntoIterator<Item = &'a Scored>) -> Summary {
    let (mut sum, mut n) = (Summary::default(), 0usize);
    for s in scores {
        sum.mrr += s.rank.map_or(0.0, |r| 1.0 / r as f64);
        sum.success += f64::from(u8::from(s.rank == Some(1)));
        sum.recall += s.recall;
        n += 1;
    }
    if n == 0 {
        return Summary::default();
    }
    let n = n as f64;
    Summary {
        mrr: sum.mrr / n,
        success: sum.success / n,
        recall: sum.recall / n,
    }
}

/// The plain BM25 baseline: tantivy's defaults over title and body.
struct Baseline {
    index: Index,
    parser: QueryParser,
    id: blameless_search::tantivy::schema::Field,
}

impl Baseline {
    fn build(docs: &[SearchDoc]) -> Result<Baseline> {
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING | STORED);
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("en_stem")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let title = schema.add_text_field("title", text.clone());
        let body = schema.add_text_field("body", text);
        let index = Index::create_in_ram(schema.build());
        // why: tantivy's `en_stem`, which the search crate builds without tantivy's
        // `stemmer` feature (the same analyzer: see `prose_analyzer`).
        index
            .tokenizers()
            .register("en_stem", blameless_search::prose_analyzer());
        // why: one indexing thread adds the documents in archive order, so ties break the
        // same way on every run.
        let mut writer = index.writer_with_num_threads(1, 200_000_000)?;
        for d in docs {
            writer.add_document(
                doc!(id => d.id.as_str(), title => d.title.as_str(), body => d.body.as_str()),
            )?;
        }
        writer.commit()?;
        let parser = QueryParser::for_index(&index, vec![title, body]);
        Ok(Baseline { index, parser, id })
    }

    /// Every matching id, best first.
    fn search(&self, q: &str) -> Result<Vec<String>> {
        let searcher = self.index.reader()?.searcher();
        let (query, _errors) = self.parser.parse_query_lenient(q);
        let limit = (searcher.num_docs() as usize).max(1);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        top.into_iter()
            .map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                Ok(doc
                    .get_first(self.id)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string())
            })
            .collect()
    }
}

struct Args {
    distractors: usize,
    verbose: bool,
    queries: PathBuf,
}

fn args() -> Result<Args> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        distractors: 5000,
        verbose: false,
        queries: repo.join("tests/fixtures/eval/queries.json"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--distractors" => {
                let n = it.next().context("`--distractors` needs a number")?;
                args.distractors = n
                    .parse()
                    .with_context(|| format!("`--distractors {n}`: expected a number"))?;
            }
            "--verbose" => args.verbose = true,
            "--queries" => args.queries = it.next().context("`--queries` needs a path")?.into(),
            other => bail!(
                "unknown argument `{other}`: expected `--distractors N`, `--verbose` or \
                 `--queries PATH`"
            ),
        }
    }
    Ok(args)
}

fn main() -> Result<()> {
    let args = args()?;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file: QueryFile = serde_json::from_str(
        &fs::read_to_string(&args.queries)
            .with_context(|| format!("cannot read {}", args.queries.display()))?,
    )
    .with_context(|| format!("cannot parse {}", args.queries.display()))?;

    let dir = tempfile::tempdir()?;
    generate::generate(dir.path(), args.distractors)?;
    let content = dir.path().join("content");
    let corpus = repo.join("tests/fixtures/dfds");
    let mut sources: Vec<PathBuf> = fs::read_dir(&corpus)
        .with_context(|| format!("cannot read {}", corpus.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    sources.retain(|p| p.extension().is_some_and(|e| e == "md"));
    sources.sort();
    for source in &sources {
        let target = content.join(source.file_name().context("no file name")?);
        ensure!(
            !target.exists(),
            "a distractor has the id of {}",
            source.display()
        );
        fs::copy(source, &target)?;
    }

    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let checked = pipeline::check(dir.path(), Config::default(), now)?;
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .collect();
    ensure!(errors.is_empty(), "the archive has errors: {:?}", errors[0]);
    let archive = &checked.published;
    let index_dir = dir.path().join("index");
    blameless::index::build(archive, &index_dir)?;
    let engine = Engine::open_dir(&index_dir)?;
    let docs: Vec<SearchDoc> = archive
        .postmortems
        .iter()
        .map(|pm| blameless::index::document(pm, &archive.config))
        .collect();
    let baseline = Baseline::build(&docs)?;

    let by_id: std::collections::BTreeMap<&str, &SearchDoc> =
        docs.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut rows = Vec::new();
    for judged in &file.queries {
        ensure!(
            CLASSES.contains(&judged.class.as_str()),
            "query `{}`: unknown class `{}`, expected one of {CLASSES:?}",
            judged.query,
            judged.class
        );
        ensure!(
            !judged.relevant.is_empty(),
            "query `{}`: nothing relevant",
            judged.query
        );
        for id in &judged.relevant {
            let doc = by_id
                .get(id.as_str())
                .with_context(|| format!("query `{}`: no document `{id}`", judged.query))?;
            // why: a relevant document the filters drop is a judging mistake, not a miss.
            ensure!(
                judged.filters.keeps(doc)?,
                "query `{}`: the filters drop the relevant `{id}`",
                judged.query
            );
        }
        let relevant: BTreeSet<String> = judged.relevant.iter().cloned().collect();

        let mut pairs = vec![("q", judged.query.clone())];
        pairs.extend(judged.filters.pairs());
        pairs.push(("limit", DEPTH.to_string()));
        let request = SearchRequest::from_query_pairs(pairs)
            .map_err(|e| anyhow::anyhow!("query `{}`: {e}", judged.query))?;
        let ours: Vec<String> = engine
            .search(&request)
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect();

        let mut theirs = Vec::new();
        for id in baseline.search(&judged.query)? {
            if theirs.len() == DEPTH {
                break;
            }
            if judged.filters.keeps(by_id[id.as_str()])? {
                theirs.push(id);
            }
        }
        rows.push((judged, score(&ours, &relevant), score(&theirs, &relevant)));
    }

    println!(
        "{} judged queries over {} DFDS post-mortems and {} distractors.\n",
        rows.len(),
        sources.len(),
        args.distractors
    );
    println!("| class | queries | MRR@10 blameless | MRR@10 baseline | success@1 blameless | success@1 baseline | recall@10 blameless | recall@10 baseline |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let groups = CLASSES
        .iter()
        .map(|c| (*c, Some(*c)))
        .chain([("all", None)]);
    for (name, class) in groups {
        let in_class: Vec<_> = rows
            .iter()
            .filter(|(j, _, _)| class.is_none_or(|c| j.class == c))
            .collect();
        let ours = summarise(in_class.iter().map(|(_, o, _)| o));
        let theirs = summarise(in_class.iter().map(|(_, _, t)| t));
        println!(
            "| {name} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            in_class.len(),
            ours.mrr,
            theirs.mrr,
            ours.success,
            theirs.success,
            ours.recall,
            theirs.recall
        );
    }

    if args.verbose {
        let rank = |s: &Scored| s.rank.map_or("-".to_string(), |r| r.to_string());
        let line = |(j, o, t): &(&Judged, Scored, Scored)| {
            let filters = j
                .filters
                .pairs()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "| {} | `{}` | {filters} | {} | {} | {:.2} | {:.2} |",
                j.class,
                j.query,
                rank(o),
                rank(t),
                o.recall,
                t.recall
            )
        };
        let header = "| class | query | filters | rank blameless | rank baseline | recall@10 blameless | recall@10 baseline |\n| --- | --- | --- | ---: | ---: | ---: | ---: |";
        println!(
            "\nEvery query (rank of the first relevant hit, `-` when none in the top {DEPTH}):\n"
        );
        println!("{header}");
        for row in &rows {
            println!("{}", line(row));
        }
        // why: a stable sort on (reciprocal-rank loss, recall loss) keeps the file's order
        // among equal losses, so the list is the same on every run.
        let mut losses: Vec<_> = rows
            .iter()
            .map(|row| {
                let rr = |s: &Scored| s.rank.map_or(0.0, |r| 1.0 / r as f64);
                (rr(&row.2) - rr(&row.1), row.2.recall - row.1.recall, row)
            })
            .filter(|(rr, recall, _)| *rr > 0.0 || *recall > 0.0)
            .collect();
        losses.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
        println!("\nLargest losses to the baseline:\n");
        println!("{header}");
        for (_, _, row) in losses.iter().take(10) {
            println!("{}", line(row));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn set(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scores_the_first_relevant_rank_and_the_share_found_in_the_top_ten() {
        let hits = ids(&["x", "a", "y", "b"]);
        let s = score(&hits, &set(&["a", "b", "c", "d"]));
        assert_eq!(s.rank, Some(2));
        assert_eq!(s.recall, 0.5);
    }

    #[test]
    fn a_hit_below_the_tenth_counts_for_nothing() {
        let mut hits: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
        hits.push("a".into());
        let s = score(&hits, &set(&["a"]));
        assert_eq!(
            s,
            Scored {
                rank: None,
                recall: 0.0
            }
        );
    }

    #[test]
    fn summary_averages_reciprocal_ranks_successes_and_recall() {
        let scores = [
            Scored {
                rank: Some(1),
                recall: 1.0,
            },
            Scored {
                rank: Some(4),
                recall: 0.5,
            },
            Scored {
                rank: None,
                recall: 0.0,
            },
            Scored {
                rank: Some(2),
                recall: 0.5,
            },
        ];
        let s = summarise(&scores);
        assert!((s.mrr - (1.0 + 0.25 + 0.0 + 0.5) / 4.0).abs() < 1e-12);
        assert_eq!(s.success, 0.25);
        assert_eq!(s.recall, 0.5);
        assert_eq!(summarise(&[]), Summary::default());
    }

    #[test]
    fn filters_read_until_as_the_end_of_the_date_and_values_case_insensitively() {
        let doc = SearchDoc {
            tags: vec!["Kubernetes".into()],
            severity: "SEV-3".into(),
            started: parse_date_span("2020-12-31").unwrap().0,
            ..SearchDoc::default()
        };
        let until = |d: &str| Filters {
            until: Some(d.into()),
            tag: vec!["kubernetes".into()],
            ..Filters::default()
        };
        assert!(until("2020").keeps(&doc).unwrap());
        assert!(!until("2020-12-30").keeps(&doc).unwrap());
        let since = Filters {
            since: Some("2021".into()),
            ..Filters::default()
        };
        assert!(!since.keeps(&doc).unwrap());
        let severity = Filters {
            severity: vec!["sev-1".into(), "sev-3".into()],
            ..Filters::default()
        };
        assert!(severity.keeps(&doc).unwrap());
    }
}
