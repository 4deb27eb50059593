//! blameless against Hugo, side by side on the same archive: generates post-mortems with the
//! benchmark's generator, writes the same files as a bare Hugo site (single and list
//! templates, no taxonomies, no feeds), and times both builds, alternating, as separate
//! processes: wall, user and system time and peak memory (from `wait4`), medians of the runs.
//!
//! ```text
//! scripts/compare-hugo.sh [SIZES...]     # installs Hugo when missing, builds, runs this
//! cargo run --release --example compare -- --runs 5 1000 10000
//! cargo run --release --example compare -- --keep /dev/shm/bench 10000
//! ```
//!
//! `--keep DIR` writes the archives, the Hugo sites and both outputs to `DIR/<size>/` and
//! leaves them there, for profiling one build or trying `serve` on the same archive.
//!
//! blameless does all of its work (validation, pages, facets, artifacts, the search index);
//! Hugo only renders the pages. Both write to a fresh directory on the same file system.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

#[path = "common/generate.rs"]
mod generate;

/// One timed run of one process.
#[derive(Clone, Copy, Debug)]
struct Sample {
    wall: Duration,
    user: Duration,
    system: Duration,
    peak_mib: f64,
}

/// Runs `command` to the end, with its own times and peak memory.
fn timed(command: &mut Command) -> Result<Sample> {
    // why: a build of a large archive prints more diagnostics than a pipe holds, and a pipe
    // nobody reads until the end would stop it; a file takes them all.
    let mut stderr = tempfile::tempfile().context("cannot create a file for stderr")?;
    let start = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(stderr.try_clone().context("cannot share the stderr file")?)
        .spawn()
        .with_context(|| format!("cannot run {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct that wait4 fills in; `pid` is our own child, reaped
    // here once.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if waited != pid {
        bail!("cannot wait for {command:?}");
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        use std::io::{Read, Seek};
        let mut text = String::new();
        let _ = stderr
            .rewind()
            .and_then(|()| stderr.read_to_string(&mut text));
        bail!("{command:?} failed: {text}");
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    Ok(Sample {
        wall,
        user: time(usage.ru_utime),
        system: time(usage.ru_stime),
        // ru_maxrss is in KiB on Linux.
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
    })
}

fn median(samples: &[Sample], field: impl Fn(&Sample) -> f64) -> f64 {
    let mut values: Vec<f64> = samples.iter().map(field).collect();
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The bare Hugo site of the same sources: Hugo reads our TOML front matter (`+++`) as it is.
// why: `timeout`: Hugo gives up on a page that takes more than 30 s to start rendering, which
// happened at 50,000 on a busy 2-core machine; the limit changes no work.
fn hugo_site(archive: &Path, site: &Path) -> Result<()> {
    fs::create_dir_all(site.join("layouts/_default"))?;
    fs::write(
        site.join("hugo.toml"),
        "baseURL = \"https://postmortems.example.com/\"\ntitle = \"Post-mortems\"\n\
         timeout = \"600s\"\n\
         disableKinds = [\"taxonomy\", \"term\", \"RSS\", \"sitemap\", \"robotsTXT\"]\n\
         [markup.goldmark.renderer]\nunsafe = false\n",
    )?;
    fs::write(
        site.join("layouts/_default/baseof.html"),
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{{ .Title }}</title></head>\
         <body>{{ block \"main\" . }}{{ end }}</body></html>\n",
    )?;
    fs::write(
        site.join("layouts/_default/single.html"),
        "{{ define \"main\" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n",
    )?;
    fs::write(
        site.join("layouts/_default/list.html"),
        "{{ define \"main\" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}\
         <li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n",
    )?;
    let content = site.join("content");
    fs::create_dir_all(&content)?;
    for entry in fs::read_dir(archive.join("content"))? {
        let entry = entry?;
        fs::copy(entry.path(), content.join(entry.file_name()))?;
    }
    Ok(())
}

fn tree_size(dir: &Path) -> (u64, usize) {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .fold((0, 0), |(bytes, files), m| (bytes + m.len(), files + 1))
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    let mut runs = 5;
    let mut sizes = Vec::new();
    let mut keep: Option<PathBuf> = None;
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = args.next().context("--runs needs a number")?.parse()?;
        } else if arg == "--keep" {
            keep = Some(args.next().context("--keep needs a directory")?.into());
        } else {
            sizes.push(arg.parse::<usize>().context("sizes are numbers")?);
        }
    }
    if sizes.is_empty() {
        sizes = vec![1000, 10000];
    }
    // why: the example lives in target/release/examples/; the binary beside that directory is
    // the release build of the same source.
    let exe = std::env::current_exe()?;
    let blameless: PathBuf = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("blameless"))
        .context("cannot find the blameless binary")?;
    if !blameless.exists() {
        bail!(
            "{} is missing: run `cargo build --release` first",
            blameless.display()
        );
    }
    let hugo = Command::new("hugo").arg("version").output();
    let hugo_version = match hugo {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => bail!("hugo is not installed (Debian: apt-get install hugo)"),
    };
    println!("Hugo: {hugo_version}");
    println!(
        "Machine: {} cores, {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(
                |c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                    .split(':')
                    .nth(1)
                    .unwrap_or("")
                    .trim()
                    .to_string())
            )
            .unwrap_or_default()
    );
    println!("Medians of {runs} alternating runs.\n");
    println!("| post-mortems | tool | wall | user | system | peak RSS | output | files | wall / Hugo's |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for n in sizes {
        let temporary = tempfile::tempdir()?;
        let work = match &keep {
            Some(dir) => dir.join(n.to_string()),
            None => temporary.path().to_path_buf(),
        };
        let archive = work.join("archive");
        let _ = fs::remove_dir_all(&archive);
        generate::generate(&archive, n)?;
        let site = work.join("hugo");
        hugo_site(&archive, &site)?;
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        let (mut our_size, mut their_size) = ((0, 0), (0, 0));
        for _ in 0..runs {
            let out = work.join("public-blameless");
            let _ = fs::remove_dir_all(&out);
            ours.push(timed(
                Command::new(&blameless)
                    .current_dir(&archive)
                    .args([
                        "build",
                        "--drafts",
                        "--now",
                        "2026-01-01T00:00:00Z",
                        "--out",
                    ])
                    .arg(&out),
            )?);
            our_size = tree_size(&out);
            let out = work.join("public-hugo");
            let _ = fs::remove_dir_all(&out);
            theirs.push(timed(
                Command::new("hugo")
                    .current_dir(&site)
                    .args(["--quiet", "--destination"])
                    .arg(&out),
            )?);
            their_size = tree_size(&out);
        }
        let hugo_wall = median(&theirs, |s| s.wall.as_secs_f64());
        for (tool, samples, (bytes, files)) in [
            ("blameless", &ours, our_size),
            ("Hugo", &theirs, their_size),
        ] {
            let wall = median(samples, |s| s.wall.as_secs_f64());
            println!(
                "| {n} | {tool} | {wall:.2} s | {:.2} s | {:.2} s | {:.0} MiB | {:.0} MB | {files} | {:.2} |",
                median(samples, |s| s.user.as_secs_f64()),
                median(samples, |s| s.system.as_secs_f64()),
                median(samples, |s| s.peak_mib),
                bytes as f64 / 1e6,
                wall / hugo_wall,
            );
        }
    }
    Ok(())
}
