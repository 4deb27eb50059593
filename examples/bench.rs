//! Build benchmark: generates archives of realistic post-mortems and times every stage of a
//! full build (wall time, and the user and system time of the whole process during it), with
//! the peak memory of the process.
//!
//! ```text
//! cargo run --release --example bench -- 1000 10000
//! ```
//!
//! The post-mortems come from the generator in `common/generate.rs`: about 1,000 words each,
//! a timeline table, actions, related links, tags, services and causes, so that parsing,
//! rendering and indexing do real work.
//!
//! Each one is about one of the generator's incident topics: its primary service, usually its
//! cause, one tag and a share of its words follow the topic, and a long tail of rarer words
//! makes the vocabulary as wide as a real archive's. So the related post-mortems have something
//! real to find, and the "related" stage (text vectors and related lists, which the build
//! computes for the pages) is timed on text that looks like an archive's, with its share of the
//! whole build.

use std::fs;
use std::time::{Duration, Instant};

use anyhow::Result;
use blameless::config::Config;
use blameless::insights::related::{self, Reason};
use blameless::insights::text::TextVectors;
use blameless::output;
use blameless::pipeline::{self, BuildOptions};
use blameless::render::{self, Renderer};
use blameless::theme::Theme;
use chrono::{TimeZone, Utc};

#[path = "common/generate.rs"]
mod generate;

use generate::generate;

fn peak_rss_mib() -> Option<f64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The user and system time the process has used so far, from `getrusage`.
fn cpu_times() -> (Duration, Duration) {
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    // SAFETY: `usage` is a plain C struct that getrusage fills in for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return (Duration::ZERO, Duration::ZERO);
    }
    (time(usage.ru_utime), time(usage.ru_stime))
}

/// A stage's wall time and the user and system time of every thread during it.
#[derive(Clone, Copy, Default)]
struct Spent {
    wall: Duration,
    user: Duration,
    system: Duration,
}

impl Spent {
    /// Runs `stage` and measures it.
    fn of<T>(stage: impl FnOnce() -> Result<T>) -> Result<(T, Spent)> {
        let (user, system) = cpu_times();
        let started = Instant::now();
        let value = stage()?;
        let wall = started.elapsed();
        let (user_after, system_after) = cpu_times();
        Ok((
            value,
            Spent {
                wall,
                user: user_after - user,
                system: system_after - system,
            },
        ))
    }
}

impl std::ops::Add for Spent {
    type Output = Spent;
    fn add(self, other: Spent) -> Spent {
        Spent {
            wall: self.wall + other.wall,
            user: self.user + other.user,
            system: self.system + other.system,
        }
    }
}

impl std::fmt::Display for Spent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.2} s ({:.2} + {:.2})",
            self.wall.as_secs_f64(),
            self.user.as_secs_f64(),
            self.system.as_secs_f64()
        )
    }
}

fn main() -> Result<()> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let sizes = if sizes.is_empty() { vec![1000] } else { sizes };
    println!("Each stage: wall time (user + system time of the process during it).");
    println!();
    println!("| post-mortems | source MB | check | build | total | (render | index | publish) | related | related share | files | index | peak RSS |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut notes = Vec::new();
    for n in sizes {
        let dir = tempfile::tempdir()?;
        let bytes = generate(dir.path(), n)?;
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let (checked, check) = Spent::of(|| pipeline::check(dir.path(), Config::default(), now))?;
        let errors = checked
            .diagnostics
            .iter()
            .filter(|d| d.level == blameless::diagnostic::Level::Error)
            .count();
        anyhow::ensure!(
            errors == 0,
            "generated archive has {errors} errors: {:?}",
            checked.diagnostics.first()
        );
        let (report, build) = Spent::of(|| {
            pipeline::build(
                dir.path(),
                &checked,
                &BuildOptions {
                    out: dir.path().join("public"),
                    drafts: false,
                },
            )
        })?;
        let peak = peak_rss_mib();
        // Each stage again on its own, to see what dominates (the build runs render and index
        // side by side, then publishes).
        let renderer = Renderer::new(Theme::embedded())?;
        let (files, render) =
            Spent::of(|| render::render(&checked.published, &checked.analysis, &renderer))?;
        let scratch = tempfile::tempdir()?;
        let (stats, index) =
            Spent::of(|| blameless::index::build(&checked.archive, &scratch.path().join("index")))?;
        let ((), publish) =
            Spent::of(|| output::publish(&files, dir.path(), &dir.path().join("public-again")))?;
        let (text, vectors) = Spent::of(|| Ok(TextVectors::new(&checked.archive)))?;
        let (lists, lists_spent) = Spent::of(|| Ok(related::related(&checked.archive, text, 5)))?;
        let related = vectors + lists_spent;
        let total = check + build;
        notes.push(format!(
            "{} (text vectors {}, lists {})",
            related_note(n, &lists),
            secs(vectors.wall),
            secs(lists_spent.wall),
        ));
        println!(
            "| {n} | {:.1} | {check} | {build} | {total} | {render} | {index} | {publish} | {related} | {:.1} % | {} | {:.1} MB | {} |",
            bytes as f64 / 1e6,
            100.0 * related.wall.as_secs_f64() / total.wall.as_secs_f64(),
            report.files,
            stats.index_bytes() as f64 / 1e6,
            peak.map_or("?".into(), |m| format!("{m:.0} MiB")),
        );
    }
    println!();
    for note in notes {
        println!("{note}");
    }
    Ok(())
}

/// What the related lists of `n` post-mortems hold: their average length, and how many entries
/// were found rather than linked, and with what reasons.
fn related_note(n: usize, lists: &[Vec<related::Related>]) -> String {
    let entries: Vec<&related::Related> = lists.iter().flatten().collect();
    let found: Vec<&&related::Related> = entries
        .iter()
        .filter(|r| !r.reasons.contains(&Reason::Linked))
        .collect();
    let with = |reason: fn(&Reason) -> bool| {
        found
            .iter()
            .filter(|r| r.reasons.iter().any(reason))
            .count()
    };
    format!(
        "related at {n}: {:.2} entries per post-mortem, {} found ({} similar text, {} same service, {} text alone)",
        entries.len() as f64 / n.max(1) as f64,
        found.len(),
        with(|r| *r == Reason::SimilarText),
        with(|r| matches!(r, Reason::Service(_))),
        found
            .iter()
            .filter(|r| r.reasons == [Reason::SimilarText])
            .count(),
    )
}
