//! `blameless timeline FILE...`: a chat export (Slack, IRC, plain lines) as the rows of a
//! `## Timeline` table, printed, or appended to a post-mortem with `--into ID`.
//!
//! Reading and writing happen here; the readers and the rendering are `crate::chat`.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, NaiveDate, Timelike as _, Utc};
use chrono_tz::Tz;
use regex::Regex;

use super::Context;
use crate::chat::{self, irc, plain, slack, Filter, Format, Message};
use crate::cli::{parse_time, EXIT_OK};
use crate::postmortem::{PostMortem, SectionKind};
use crate::{load, parse, safe_fs};

/// What `blameless timeline` was asked to do.
pub struct Request<'a> {
    /// Chat files or Slack channel folders, relative to `cwd`.
    pub files: &'a [PathBuf],
    /// Keep messages at or after this time (default: the post-mortem's `started`).
    pub since: Option<&'a str>,
    /// Keep messages at or before this time (default: the post-mortem's `resolved`).
    pub until: Option<&'a str>,
    /// Keep only messages with a reaction, a pin or a star.
    pub marked: bool,
    /// Keep only messages matching this regular expression.
    pub grep: Option<&'a str>,
    /// Append the rows to this post-mortem's timeline.
    pub into: Option<&'a str>,
    /// The zone of chat times that carry none (IRC, plain lines; default: the output's zone).
    pub zone: Option<&'a str>,
    /// The working directory.
    pub cwd: &'a Path,
}

/// Reads the chat files, filters them, prints the table or appends it.
pub fn run(ctx: Context, request: &Request<'_>) -> Result<u8> {
    let target = match request.into {
        Some(id) => Some(find(&ctx, id)?),
        None => None,
    };
    let pm = target.as_ref().map(|(_, pm)| pm);
    let out_zone = pm.map_or(ctx.config.timezone, |pm| pm.timezone);
    let chat_zone = match request.zone {
        Some(name) => name.parse::<Tz>().map_err(|_| {
            anyhow::anyhow!(
                "unknown zone `{name}` for --zone: write an IANA name such as `Europe/Berlin`"
            )
        })?,
        None => out_zone,
    };
    let day = pm.map(|pm| pm.started.with_timezone(&chat_zone).date_naive());
    let mut messages = Vec::new();
    for file in request.files {
        let read = read(&request.cwd.join(file), day, chat_zone)?;
        if read.is_empty() {
            // why: an IRC or text log whose lines carry no date has nothing to date them by.
            eprintln!(
                "warning: no messages in {}\n  = help: for a log without dates, put the date in \
                 its name (`#ops_20240312.log`) or use `--into ID`",
                file.display()
            );
        }
        messages.extend(read);
    }
    let time = |flag: Option<&str>, name: &str| -> Result<Option<DateTime<Utc>>> {
        flag.map(|t| {
            parse_time(t, &ctx.config)
                .map(|t| t.with_timezone(&Utc))
                .with_context(|| format!("invalid --{name}"))
        })
        .transpose()
    };
    let filter = Filter {
        since: time(request.since, "since")?.or(pm.map(|pm| pm.started.with_timezone(&Utc))),
        until: time(request.until, "until")?
            .or(pm.and_then(|pm| pm.resolved.map(|t| t.with_timezone(&Utc)))),
        marked: request.marked,
        grep: request
            .grep
            .map(Regex::new)
            .transpose()
            .context("invalid --grep")?,
    };
    let directory = ctx.config.directory.as_deref();
    let selected = chat::select(messages, &filter, directory);
    match target {
        None => {
            print!("{}", chat::render(&selected, out_zone));
            eprintln!("{} messages as timeline rows", selected.len());
        }
        Some((path, pm)) => {
            let full = ctx.root.join(&path);
            let (text, added, kept) = append(&pm, &selected)?;
            if added > 0 {
                write_over(&full, &text)?;
            }
            println!("{}", path.display());
            eprintln!(
                "appended {added} rows to {} ({kept} were there already)",
                path.display()
            );
        }
    }
    Ok(EXIT_OK)
}

/// The post-mortem `id`, parsed, with its path relative to the root.
fn find(ctx: &Context, id: &str) -> Result<(PathBuf, Arc<PostMortem>)> {
    let loaded = load::load_sources(&ctx.root)?;
    let Some(source) = loaded.sources.into_iter().find(|s| s.id == id) else {
        bail!("no post-mortem `{id}` under {}/", load::CONTENT_DIR);
    };
    let parsed = parse::parse(&source, &ctx.config);
    match parsed.postmortem {
        Some(pm) => Ok((source.path, pm)),
        None => bail!(
            "{} does not parse: run `blameless check` and fix it first",
            source.path.display()
        ),
    }
}

/// Reads one chat file or Slack channel folder.
fn read(path: &Path, day: Option<NaiveDate>, zone: Tz) -> Result<Vec<Message>> {
    let meta =
        fs::symlink_metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.file_type().is_symlink() {
        bail!(
            "{} is a symbolic link, and blameless never follows one",
            path.display()
        );
    }
    if meta.is_dir() {
        let users = users_near(path, true)?;
        let mut days: Vec<PathBuf> = fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| {
                p.file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(irc::file_date)
                    .is_some()
            })
            .collect();
        days.sort();
        if days.is_empty() {
            bail!(
                "{} has no daily JSON files (`2024-03-12.json`): is it a Slack channel folder?",
                path.display()
            );
        }
        let mut out = Vec::new();
        for file in days {
            let text = text_of(&file)?;
            out.extend(
                slack::messages(&text, &users)
                    .with_context(|| format!("cannot read {}", file.display()))?,
            );
        }
        return Ok(out);
    }
    let text = text_of(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let day = irc::file_date(&name).or(day);
    Ok(match chat::detect(&text) {
        Format::Slack => {
            let users = users_near(path.parent().unwrap_or(Path::new(".")), false)?;
            slack::messages(&text, &users)
                .with_context(|| format!("cannot read {}", path.display()))?
        }
        Format::Irc => irc::messages(&text, day, zone),
        Format::Plain => plain::messages(&text, day, zone),
    })
}

fn text_of(path: &Path) -> Result<String> {
    let bytes = safe_fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

/// `users.json` in `dir`, or in its parent for a channel folder of a whole export.
fn users_near(dir: &Path, parent_too: bool) -> Result<slack::Users> {
    let mut candidates = vec![dir.join("users.json")];
    if parent_too {
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join("users.json"));
        }
    }
    for candidate in candidates {
        if fs::symlink_metadata(&candidate).is_ok_and(|m| m.is_file()) {
            return slack::users(&text_of(&candidate)?)
                .with_context(|| format!("cannot read {}", candidate.display()));
        }
    }
    Ok(slack::Users::new())
}

/// The post-mortem's source with the new rows at the end of its timeline table (a table, or a
/// `## Timeline` section, is made when there is none), and how many rows were added and how
/// many were there already.
fn append(pm: &PostMortem, messages: &[Message]) -> Result<(String, usize, usize)> {
    let text: &str = &pm.source;
    let minute = |t: DateTime<Utc>| {
        t.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(t)
    };
    let existing = &pm.timeline.entries;
    let (new, kept): (Vec<&Message>, Vec<&Message>) = messages.iter().partition(|m| {
        let event = chat::event(m).replace("\\|", "|");
        !existing.iter().any(|e| {
            e.time
                .is_some_and(|t| t.with_timezone(&Utc) == minute(m.time))
                && e.event.trim() == event.trim()
        })
    });
    if new.is_empty() {
        return Ok((text.to_string(), 0, kept.len()));
    }
    let new: Vec<Message> = new.into_iter().cloned().collect();
    // why: rows without a zone take the table's; an existing table whose zone is not an IANA
    // name (`CET`) gets rows in UTC that say so.
    let table_zone = pm.timeline.zone.parse::<Tz>().ok();
    let (zone, suffix) = match (pm.timeline.entries.is_empty(), table_zone) {
        (true, _) => (pm.timezone, ""),
        (false, Some(tz)) => (tz, ""),
        (false, None) => (chrono_tz::UTC, " UTC"),
    };
    let rows: String = chat::time_cells(&new, zone)
        .into_iter()
        .zip(&new)
        .map(|(time, m)| format!("| {time}{suffix} | {} |\n", chat::event(m)))
        .collect();
    let body_start = parse::split_front_matter(text)
        .map(|(_, _, b)| b)
        .unwrap_or(0);
    let sections = parse::split_sections(&std::sync::Arc::from(text), body_start);
    let section = sections
        .iter()
        .find(|s| s.kind == Some(SectionKind::Timeline));
    let mut out = String::with_capacity(text.len() + rows.len() + 64);
    match section {
        Some(section) => {
            let end = section.content_end;
            let last_table_line = section
                .markdown()
                .split_inclusive('\n')
                .scan(section.content_offset, |at, line| {
                    let start = *at;
                    *at += line.len();
                    Some((start, *at, line))
                })
                .filter(|(_, _, line)| line.trim_start().starts_with('|'))
                .last();
            match last_table_line {
                Some((_, line_end, line)) => {
                    out.push_str(&text[..line_end]);
                    if !line.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push_str(&rows);
                    out.push_str(&text[line_end..]);
                }
                None => {
                    let head = text[..end].trim_end_matches('\n');
                    out.push_str(head);
                    out.push_str("\n\n");
                    out.push_str(&chat::header(zone));
                    out.push_str(&rows);
                    let rest = &text[end..];
                    if !rest.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(rest);
                }
            }
        }
        None => {
            out.push_str(text.trim_end_matches('\n'));
            out.push_str("\n\n## Timeline\n\n");
            out.push_str(&chat::header(zone));
            out.push_str(&rows);
        }
    }
    Ok((out, new.len(), kept.len()))
}

/// Replaces `path` with `text` in one step (a temporary file beside it, renamed over it).
fn write_over(path: &Path, text: &str) -> Result<()> {
    if safe_fs::is_link(path).unwrap_or(false) {
        bail!(
            "{} is a symbolic link, and blameless never follows one",
            path.display()
        );
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    temp.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
