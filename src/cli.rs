//! The command line: argument definitions and one `run` that turns a command into an exit code.
//!
//! Data goes to stdout, diagnostics and progress to stderr. Exit codes: 0 success (warnings
//! allowed), 1 content errors (or warnings with `--deny-warnings`), 2 usage or environment error.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::{Parser, Subcommand};

use crate::cmd::{self, Context};
use crate::config::Config;
use crate::diagnostic::{self, Format};
use crate::load::{self, ConfigError};

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
    /// Report problems in the archive (or only in the files given) without writing anything.
    Check {
        /// Only these post-mortem files (cross-file checks still see the whole archive).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
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
    /// Print the archive's figures across incidents (those of `/insights/`), for a review.
    Insights {
        /// Incidents that started on or after this day (YYYY-MM-DD).
        #[arg(long, value_name = "D")]
        since: Option<NaiveDate>,
        /// Incidents that started on or before this day (YYYY-MM-DD).
        #[arg(long, value_name = "D")]
        until: Option<NaiveDate>,
        /// Only the incidents that list this service.
        #[arg(long, value_name = "S")]
        service: Option<String>,
        /// Print the figures as JSON (the site's `insights.json`) instead of a report.
        #[arg(long)]
        json: bool,
    },
    /// Convert existing Markdown post-mortems (optionally with YAML or TOML front matter) into
    /// sources of this format, one per report, never overwriting; what was guessed is reported.
    Import {
        /// Report files, or directories of them (read without following links).
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<PathBuf>,
        /// Where to write the sources (default: content/ under the root).
        #[arg(long, value_name = "DIR")]
        into: Option<PathBuf>,
        /// Also write the report of what was recovered and guessed as JSON to this file.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// The severity of a report that states none (default: the scale's mildest).
        #[arg(long, value_name = "S")]
        default_severity: Option<String>,
    },
    /// Print a chat export (Slack folder or JSON, IRC log, timed lines) as `## Timeline` rows,
    /// or append them to a post-mortem's timeline.
    Timeline {
        /// Slack channel folders or JSON files, IRC logs, or text files of timed lines.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// Keep messages at or after this time (default with --into: the post-mortem's started).
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// Keep messages at or before this time (default with --into: its resolved).
        #[arg(long, value_name = "T")]
        until: Option<String>,
        /// Keep only messages with a reaction, a pin or a star.
        #[arg(long)]
        marked: bool,
        /// Keep only messages whose text or author matches this regular expression.
        #[arg(long, value_name = "RE")]
        grep: Option<String>,
        /// Append the rows to this post-mortem's `## Timeline`, skipping rows already there.
        #[arg(long, value_name = "ID")]
        into: Option<String>,
        /// The zone of chat times that carry none (IRC, text; default: the output's zone).
        #[arg(long, value_name = "TZ")]
        zone: Option<String>,
    },
    /// Print the complete catalog as JSON: every field and the body of every post-mortem (the
    /// site's `postmortems.json` has every field but the bodies).
    Export {
        /// Include Draft post-mortems.
        #[arg(long)]
        drafts: bool,
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
    let config = match load::load_config(&root) {
        Ok(config) => config,
        Err(ConfigError::Io(err)) => return Err(err),
        Err(ConfigError::Invalid(diagnostics)) => {
            eprint!("{}", diagnostic::render(&diagnostics, Format::Human));
            return Ok(EXIT_USAGE);
        }
    };
    let ctx = Context {
        root,
        out,
        now,
        config,
    };
    match cli.command {
        Command::Check {
            files,
            format,
            deny_warnings,
        } => cmd::check::run(ctx, &files, &cwd, format, deny_warnings),
        Command::Build {
            drafts,
            base_url,
            jobs,
            deny_warnings,
        } => cmd::build::run(ctx, drafts, base_url, jobs.unwrap_or(0), deny_warnings),
        Command::New {
            title,
            severity,
            started,
        } => cmd::new::run(ctx, &title, severity.as_deref(), started.as_deref()),
        Command::Serve { port, drafts } => cmd::serve::run(ctx, cli.global.now, port, drafts),
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
            let filters = [
                ("severity", severity),
                ("status", status),
                ("tag", tag),
                ("service", service),
                ("cause", cause),
            ];
            let request = cmd::search::request(query, filters, since, until, newest, limit)?;
            cmd::search::answer(ctx, &request, json)
        }
        Command::Message { id } => cmd::show::message(ctx, &id),
        Command::Email { id } => cmd::show::email(ctx, &id),
        Command::Export { drafts } => cmd::show::export(ctx, drafts),
        Command::Digest { since, until } => cmd::digest::run(ctx, since, until),
        Command::Timeline {
            files,
            since,
            until,
            marked,
            grep,
            into,
            zone,
        } => cmd::timeline::run(
            ctx,
            &cmd::timeline::Request {
                files: &files,
                since: since.as_deref(),
                until: until.as_deref(),
                marked,
                grep: grep.as_deref(),
                into: into.as_deref(),
                zone: zone.as_deref(),
                cwd: &cwd,
            },
        ),
        Command::Import {
            paths,
            into,
            report,
            default_severity,
        } => cmd::import::run(
            ctx,
            &cmd::import::Request {
                paths: &paths,
                into: into.as_deref(),
                report: report.as_deref(),
                default_severity: default_severity.as_deref(),
                cwd: &cwd,
            },
        ),
        Command::Insights {
            since,
            until,
            service,
            json,
        } => cmd::insights::run(ctx, since, until, service, json),
    }
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
