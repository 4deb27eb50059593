//! The command line: argument definitions and one `run` that turns a command into an exit code.
//!
//! Data goes to stdout, diagnostics and progress to stderr. Exit codes: 0 success (warnings
//! allowed), 1 content errors (or warnings with `--deny-warnings`), 2 usage or environment error.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};

use crate::artifacts;
use crate::config::Config;
use crate::diagnostic::{self, Format};
use crate::load::{self, ConfigError};
use crate::pipeline::{self, BuildOptions};
use crate::scaffold;
use crate::serve;

/// Exit code: success, warnings allowed.
pub const EXIT_OK: u8 = 0;
/// Exit code: content errors, or warnings under `--deny-warnings`.
pub const EXIT_CONTENT: u8 = 1;
/// Exit code: usage or environment error.
pub const EXIT_USAGE: u8 = 2;

/// Turns a folder of incident post-mortems into a validated, searchable static site.
#[derive(Debug, Parser)]
#[command(name = "blameless", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// The archive root (default: the nearest directory upward with blameless.toml or content/).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The site directory (default: public/ under the root).
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Fix "now" (RFC 3339 or YYYY-MM-DD) for reproducible output; else SOURCE_DATE_EPOCH.
    #[arg(long, global = true, value_name = "T")]
    pub now: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the archive, then write the whole site atomically.
    Build {
        /// Publish Draft post-mortems too.
        #[arg(long)]
        drafts: bool,
        /// Override `base_url` from blameless.toml.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Worker threads for parsing and rendering (default: one per core).
        #[arg(short = 'j', long, value_name = "N")]
        jobs: Option<usize>,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Report problems in the archive without writing anything.
    Check {
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Write a new Draft post-mortem with every section, ready to fill in.
    New {
        /// The title.
        title: String,
        /// The severity (a name or alias from the scale).
        #[arg(long, value_name = "S")]
        severity: Option<String>,
        /// When impact began: RFC 3339, or "YYYY-MM-DD HH:MM" in the archive's zone.
        #[arg(long, value_name = "T")]
        started: Option<String>,
    },
    /// Build the site, serve it on 127.0.0.1, rebuild and reload on every change.
    Serve {
        /// The port to listen on.
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Publish Draft post-mortems too.
        #[arg(long)]
        drafts: bool,
    },
    /// Search the archive with the site's engine and index (built first when stale).
    Search {
        /// Words, "phrases", AND/OR/-, field:value (title, tag, service, severity, status, cause).
        query: Vec<String>,
        /// Keep this severity (repeatable).
        #[arg(long, value_name = "S")]
        severity: Vec<String>,
        /// Keep this status (repeatable).
        #[arg(long, value_name = "S")]
        status: Vec<String>,
        /// Keep this tag (repeatable).
        #[arg(long, value_name = "T")]
        tag: Vec<String>,
        /// Keep this service (repeatable).
        #[arg(long, value_name = "S")]
        service: Vec<String>,
        /// Keep this cause (repeatable).
        #[arg(long, value_name = "C")]
        cause: Vec<String>,
        /// Started on or after: YYYY, YYYY-MM or YYYY-MM-DD.
        #[arg(long, value_name = "D")]
        since: Option<String>,
        /// Started on or before: YYYY, YYYY-MM or YYYY-MM-DD (the whole period is included).
        #[arg(long, value_name = "D")]
        until: Option<String>,
        /// Newest first instead of best first.
        #[arg(long)]
        newest: bool,
        /// How many hits to print.
        #[arg(long, value_name = "N", default_value_t = 10)]
        limit: usize,
        /// Print a JSON array of hits instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the external status-page message of a post-mortem, as plain text.
    Message {
        /// The post-mortem's id (its file name without `.md`).
        id: String,
    },
    /// Print the internal email of a post-mortem, as an RFC 5322 message.
    Email {
        /// The post-mortem's id.
        id: String,
    },
    /// Print the internal digest email for a period, as an RFC 5322 message.
    Digest {
        /// The first day (YYYY-MM-DD; default: 7 days before today).
        #[arg(long, value_name = "D")]
        since: Option<NaiveDate>,
        /// The last day, included (YYYY-MM-DD; default: yesterday).
        #[arg(long, value_name = "D")]
        until: Option<NaiveDate>,
    },
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> u8 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            EXIT_USAGE
        }
    }
}

fn dispatch(cli: Cli) -> Result<u8> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = match &cli.global.root {
        Some(root) => cwd.join(root),
        None => load::find_root(&cwd),
    };
    let out = match &cli.global.out {
        Some(out) => cwd.join(out),
        None => root.join("public"),
    };
    let now = resolve_now(cli.global.now.as_deref())?;
    let mut config = match load::load_config(&root) {
        Ok(config) => config,
        Err(ConfigError::Io(err)) => return Err(err),
        Err(ConfigError::Invalid(diagnostics)) => {
            eprint!("{}", diagnostic::render(&diagnostics, Format::Human));
            return Ok(EXIT_USAGE);
        }
    };
    match cli.command {
        Command::Check {
            format,
            deny_warnings,
        } => {
            let checked = pipeline::check(&root, config, now)?;
            let rendered = diagnostic::render(&checked.diagnostics, format);
            if format == Format::Json {
                print!("{rendered}");
            } else {
                eprint!("{rendered}");
            }
            if format == Format::Human && checked.diagnostics.is_empty() {
                eprintln!(
                    "checked {} post-mortems: no problems",
                    checked.archive.postmortems.len()
                );
            }
            Ok(exit_for(checked.fails(deny_warnings)))
        }
        Command::Build {
            drafts,
            base_url,
            jobs,
            deny_warnings,
        } => {
            if let Some(url) = base_url {
                config.base_url = url.trim_end_matches('/').to_string();
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(jobs.unwrap_or(0))
                .build()
                .context("cannot start worker threads")?;
            pool.install(|| {
                let checked = pipeline::check(&root, config, now)?;
                eprint!(
                    "{}",
                    diagnostic::render(&checked.diagnostics, Format::Human)
                );
                if checked.fails(deny_warnings) {
                    eprintln!(
                        "build stopped: the site in {} was not changed",
                        out.display()
                    );
                    return Ok(EXIT_CONTENT);
                }
                let report = pipeline::build(
                    &root,
                    &checked,
                    &BuildOptions {
                        out: out.clone(),
                        drafts,
                    },
                )?;
                eprintln!(
                    "built {} post-mortems from {} into {} ({} files)",
                    report.postmortems,
                    root.display(),
                    out.display(),
                    report.files
                );
                Ok(EXIT_OK)
            })
        }
        Command::New {
            title,
            severity,
            started,
        } => new(
            &root,
            &config,
            &title,
            severity.as_deref(),
            started.as_deref(),
            now,
        ),
        Command::Serve { port, drafts } => {
            // why: before listening, so that a bad `--out` is one clear error, not a server
            // whose every rebuild fails.
            crate::output::check_out(&root, &out)?;
            let watch = vec![
                root.join(load::CONTENT_DIR),
                root.join(crate::load::THEMES_DIR),
                root.join(crate::config::FILE_NAME),
            ];
            let (root, out_dir) = (root.clone(), out.clone());
            serve::serve(&out, port, &watch, move || {
                rebuild(&root, &out_dir, drafts, cli.global.now.as_deref())
            })?;
            Ok(EXIT_OK)
        }
        Command::Search {
            query,
            severity,
            status,
            tag,
            service,
            cause,
            since,
            until,
            newest,
            limit,
            json,
        } => {
            let mut pairs: Vec<(&str, String)> = vec![("q", query.join(" "))];
            for (key, values) in [
                ("severity", severity),
                ("status", status),
                ("tag", tag),
                ("service", service),
                ("cause", cause),
            ] {
                pairs.extend(values.into_iter().map(|v| (key, v)));
            }
            pairs.extend(since.map(|d| ("since", d)));
            pairs.extend(until.map(|d| ("until", d)));
            pairs.push(("sort", if newest { "newest" } else { "relevance" }.into()));
            pairs.push(("limit", limit.to_string()));
            let request =
                blameless_search::SearchRequest::from_query_pairs(pairs).map_err(|e| {
                    match e.param.as_str() {
                        "q" => anyhow::anyhow!("cannot search: {}", e.message),
                        param => anyhow::anyhow!("--{param}: {}", e.message),
                    }
                })?;
            search(&root, &out, config, now, &request, json)
        }
        Command::Message { id } => with_postmortem(&root, config, now, &id, |pm, _| {
            match artifacts::message::external_message(pm) {
                Some(message) => Ok(crate::terminal::printable(&message).into_owned()),
                None => bail!(
                    "`{id}` has no `## External message` section: add one to {}",
                    pm.path.display()
                ),
            }
        }),
        Command::Email { id } => with_postmortem(&root, config, now, &id, |pm, archive| {
            Ok(artifacts::email::internal_email(pm, &archive.config, now))
        }),
        Command::Digest { since, until } => {
            let checked = pipeline::check(&root, config, now)?;
            let (default_since, default_until) =
                artifacts::digest::default_period(&checked.archive.config, now);
            let since = since.unwrap_or(default_since);
            // why: `--until` names the last day shown, the digest's bound is the day after.
            let until = until.and_then(|d| d.succ_opt()).unwrap_or(default_until);
            if until <= since {
                bail!("--until must not be before --since");
            }
            print!(
                "{}",
                artifacts::digest::digest_email(&checked.archive, since, until, now)
            );
            Ok(EXIT_OK)
        }
    }
}

/// One build for `serve`: `None` when it succeeded, else the problems to show.
fn rebuild(root: &Path, out: &Path, drafts: bool, now: Option<&str>) -> Option<String> {
    let result = (|| -> Result<Option<String>> {
        let now = resolve_now(now)?;
        let config = match load::load_config(root) {
            Ok(config) => config,
            Err(ConfigError::Io(err)) => return Err(err),
            Err(ConfigError::Invalid(d)) => return Ok(Some(diagnostic::render(&d, Format::Human))),
        };
        let checked = pipeline::check(root, config, now)?;
        let report = diagnostic::render(&checked.diagnostics, Format::Human);
        eprint!("{report}");
        if checked.fails(false) {
            return Ok(Some(report));
        }
        let built = pipeline::build(
            root,
            &checked,
            &BuildOptions {
                out: out.to_path_buf(),
                drafts,
            },
        )?;
        eprintln!("built {} post-mortems", built.postmortems);
        Ok(None)
    })();
    match result {
        Ok(problems) => problems,
        Err(err) => {
            let text = format!("error: {err:#}\n");
            eprint!("{text}");
            Some(text)
        }
    }
}

/// Answers a search from the index under `out`, building the site first when the index is
/// missing or older than the sources.
fn search(
    root: &Path,
    out: &Path,
    config: Config,
    now: DateTime<Utc>,
    request: &blameless_search::SearchRequest,
    json: bool,
) -> Result<u8> {
    let dir = out.join(crate::index::SITE_DIR);
    let base_url = config.base_url.clone();
    if crate::index::is_stale(root, &dir) {
        eprintln!("the search index is missing or older than the sources: building the site");
        let checked = pipeline::check(root, config, now)?;
        if checked.fails(false) {
            eprint!(
                "{}",
                diagnostic::render(&checked.diagnostics, Format::Human)
            );
            return Ok(EXIT_CONTENT);
        }
        pipeline::build(
            root,
            &checked,
            &BuildOptions {
                out: out.to_path_buf(),
                drafts: false,
            },
        )?;
    }
    let engine = blameless_search::Engine::open_dir(&dir)
        .with_context(|| format!("cannot open the search index in {}", dir.display()))?;
    let response = engine.search(request);
    if let Some(error) = &response.error {
        eprintln!("warning: {}", error.message);
        if let Some(hint) = &error.hint {
            eprintln!("  = help: {hint}");
        }
    }
    if response.fuzzy {
        eprintln!("no exact matches: showing matches with one typo allowed");
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
            if !snippet.is_empty() {
                text.push_str(&format!("    {snippet}\n"));
            }
            text.push('\n');
        }
        print!("{}", crate::terminal::printable(&text));
        eprintln!("{} of {} matches", response.hits.len(), response.total);
    }
    Ok(EXIT_OK)
}

/// Runs `print` on one post-mortem of the checked archive (drafts included) and prints the
/// result; its own errors are shown when it could not be read.
fn with_postmortem(
    root: &Path,
    config: Config,
    now: DateTime<Utc>,
    id: &str,
    print: impl FnOnce(&crate::postmortem::PostMortem, &crate::archive::Archive) -> Result<String>,
) -> Result<u8> {
    let checked = pipeline::check(root, config, now)?;
    let Some(pm) = checked.archive.get(id) else {
        let own: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| {
                d.level == diagnostic::Level::Error
                    && d.file.as_deref().is_some_and(|f| {
                        f.file_stem().is_some_and(|s| s == id)
                            || (f.file_stem().is_some_and(|s| s == "index")
                                && f.parent()
                                    .and_then(|p| p.file_name())
                                    .is_some_and(|p| p == id))
                    })
            })
            .cloned()
            .collect();
        if !own.is_empty() {
            eprint!("{}", diagnostic::render(&own, Format::Human));
            return Ok(EXIT_CONTENT);
        }
        let ids = checked.archive.postmortems.iter().map(|pm| pm.id.as_str());
        match diagnostic::did_you_mean(id, ids) {
            Some(similar) => bail!("no post-mortem `{id}`: did you mean `{similar}`?"),
            None => bail!("no post-mortem `{id}`: the id is the file name without `.md`"),
        }
    };
    let text = print(pm, &checked.archive)?;
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(EXIT_OK)
}

fn exit_for(fails: bool) -> u8 {
    if fails {
        EXIT_CONTENT
    } else {
        EXIT_OK
    }
}

fn new(
    root: &Path,
    config: &Config,
    title: &str,
    severity: Option<&str>,
    started: Option<&str>,
    now: DateTime<Utc>,
) -> Result<u8> {
    let title = &scaffold::clean_title(title);
    if title.is_empty() {
        bail!("the title is empty: write `blameless new \"What happened\"`");
    }
    let severity = match severity {
        Some(name) => match config.severity(name) {
            Some((_, spec)) => spec.name.clone(),
            None => bail!(
                "unknown severity `{name}`: use one of {}",
                config
                    .severities
                    .iter()
                    .map(|s| format!("`{}`", s.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None => config
            .severities
            .last()
            .map_or_else(|| "SEV-3".to_string(), |s| s.name.clone()),
    };
    let started = match started {
        Some(text) => parse_time(text, config)?,
        None => {
            let minute = now.timestamp() - now.timestamp().rem_euclid(60);
            let utc = DateTime::from_timestamp(minute, 0).unwrap_or(now);
            utc.with_timezone(&config.timezone).fixed_offset()
        }
    };
    let content = root.join(load::CONTENT_DIR);
    fs::create_dir_all(&content).with_context(|| format!("cannot create {}", content.display()))?;
    let name = scaffold::file_name(title, started);
    let stem = name.trim_end_matches(".md");
    // why: two incidents of one day can share a title; the second gets `-2`, never the first's
    // file. `create_new` makes taking the name and creating the file one step.
    let (path, mut file) = (1..=100)
        .map(|n| match n {
            1 => content.join(&name),
            n => content.join(format!("{stem}-{n}.md")),
        })
        .find_map(|path| {
            let file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path);
            match file {
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => None,
                file => Some(
                    file.map(|f| (path.clone(), f))
                        .with_context(|| format!("cannot create {}", path.display())),
                ),
            }
        })
        .unwrap_or_else(|| {
            bail!(
                "{} and 99 more like it already exist: choose another title",
                content.join(&name).display()
            )
        })?;
    file.write_all(scaffold::source(title, &severity, started, config).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}", path.strip_prefix(root).unwrap_or(&path).display());
    eprintln!("created a Draft: fill in the sections, then run `blameless check`");
    Ok(EXIT_OK)
}

/// Reads a time given on the command line: RFC 3339, or a local "YYYY-MM-DD[ HH:MM]" in the
/// archive's zone.
pub fn parse_time(text: &str, config: &Config) -> Result<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t);
    }
    let naive = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    });
    match naive.and_then(|n| config.timezone.from_local_datetime(&n).earliest()) {
        Some(t) => Ok(t.fixed_offset()),
        None => bail!(
            "cannot read the time `{text}`: write 2024-03-12T09:41:00+01:00 or \"2024-03-12 09:41\""
        ),
    }
}

/// "Now": `--now`, else `SOURCE_DATE_EPOCH`, else the clock.
pub fn resolve_now(flag: Option<&str>) -> Result<DateTime<Utc>> {
    if let Some(text) = flag {
        return parse_time(text, &Config::default())
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| format!("invalid --now `{text}`"));
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        let seconds: i64 = epoch
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{epoch}` is not a number of seconds"))?;
        return Utc
            .timestamp_opt(seconds, 0)
            .single()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{epoch}` is out of range"));
    }
    Ok(Utc::now())
}
