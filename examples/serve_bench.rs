//! Preview benchmark: `blameless serve` over a generated archive, and how long after a source
//! is saved the preview has its new version.
//!
//! ```text
//! cargo build --release && cargo run --release --example serve_bench -- 1000 10000
//! cargo run --release --example serve_bench -- --binary=old/blameless --saves=9 10000
//! ```
//!
//! For each size it generates the archive (`common/generate.rs`, as the other benchmarks do)
//! and starts the release binary's `blameless serve` on it: "start" is until it answers, its
//! first build done. Then, one after another, it edits the title of a post-mortem and writes
//! the file, as an editor saves (the newest post-mortems, which the home page lists), and polls the preview's status every 5 ms until its version
//! changes: "save to new version" covers the watcher, the settling of the save's events, the
//! check of the archive, the search index brought up to date and the site's paths listed.
//! It then fetches the edited page and the home page and checks that both show the new title
//! ("page" and "home" are the times of those two requests). The pages of a preview poll the
//! same status every 100 ms, so a browser reloads at most that much after the new version.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

#[path = "common/generate.rs"]
mod generate;
#[path = "common/serve.rs"]
mod serve;

/// How long a page of the preview waits between two polls of the status.
const PAGE_POLL: Duration = Duration::from_millis(100);

fn main() -> Result<()> {
    let mut binary = None;
    let mut saves = 5;
    let mut sizes = Vec::new();
    for arg in std::env::args().skip(1) {
        if let Some(path) = arg.strip_prefix("--binary=") {
            binary = Some(PathBuf::from(path));
        } else if let Some(count) = arg.strip_prefix("--saves=") {
            saves = count.parse().context("`--saves=N` takes a count")?;
        } else {
            sizes.push(arg.parse::<usize>().with_context(|| {
                format!("`{arg}`: expected an archive size, such as `10000`, `--binary=PATH` or `--saves=N`")
            })?);
        }
    }
    if sizes.is_empty() {
        sizes.push(1000);
    }
    let binary = serve::binary(binary)?;
    println!("| post-mortems | start | save to new version: median (min-max) | page | home | reload after the save, at most |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in sizes {
        let dir = tempfile::tempdir()?;
        generate::generate(dir.path(), n)?;
        let started = Instant::now();
        let serve = serve::Serve::start(&binary, dir.path(), Some(&dir.path().join("serve.log")))?;
        let start = started.elapsed();
        let agent = ureq::Agent::new_with_defaults();
        let mut times = Vec::new();
        for save in 0..saves {
            // why: the newest post-mortems, which the home page lists.
            let id = id_of(dir.path(), n - 1 - save % n)?;
            times.push(save_once(&agent, &serve.base(), dir.path(), &id, save)?);
        }
        times.sort_by_key(|t| t.version);
        let versions: Vec<f64> = times.iter().map(|t| ms(t.version)).collect();
        let median = &times[times.len() / 2];
        println!(
            "| {n} | {:.1} s | {:.0} ms ({:.0}-{:.0}) | {:.0} ms | {:.0} ms | {:.0} ms |",
            start.as_secs_f64(),
            ms(median.version),
            versions[0],
            versions[versions.len() - 1],
            ms(median.page),
            ms(median.home),
            ms(median.version + PAGE_POLL),
        );
    }
    Ok(())
}

/// What one save cost.
struct Save {
    version: Duration,
    page: Duration,
    home: Duration,
}

/// The id of the `i`th post-mortem of the archive at `root`, in file-name (so date) order.
fn id_of(root: &Path, i: usize) -> Result<String> {
    let mut names: Vec<String> = fs::read_dir(root.join("content"))?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    let name = names.get(i % names.len()).context("the archive is empty")?;
    Ok(name.trim_end_matches(".md").to_string())
}

/// Edits the title of post-mortem `id` and waits for the preview to show it.
fn save_once(agent: &ureq::Agent, base: &str, root: &Path, id: &str, save: usize) -> Result<Save> {
    let path = root.join("content").join(format!("{id}.md"));
    let text = fs::read_to_string(&path)?;
    let title = format!("Benchmark edit {save} of {id}");
    let Some(line) = text.lines().find(|l| l.starts_with("title = ")) else {
        bail!("{} has no title line", path.display());
    };
    let edited = text.replacen(line, &format!("title = \"{title}\""), 1);
    let before = version(agent, base)?;
    let saved = Instant::now();
    fs::write(&path, edited)?;
    while version(agent, base)? == before {
        if saved.elapsed() > Duration::from_secs(600) {
            bail!(
                "the preview did not rebuild after {} was saved",
                path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let version = saved.elapsed();
    let page = fetch_showing(agent, &format!("{base}/pm/{id}/"), &title)?;
    let home = fetch_showing(agent, &format!("{base}/"), &title)?;
    Ok(Save {
        version,
        page,
        home,
    })
}

/// The preview's build version; a failed build counts as no rebuild.
fn version(agent: &ureq::Agent, base: &str) -> Result<u64> {
    let status: serde_json::Value = serde_json::from_str(
        &agent
            .get(&format!("{base}/__blameless/status"))
            .call()?
            .into_body()
            .read_to_string()?,
    )?;
    if let Some(problems) = status["problems"].as_str() {
        bail!("the preview's build failed:\n{problems}");
    }
    status["version"]
        .as_u64()
        .context("no version in the status")
}

/// How long `url` took to answer; fails unless its page shows `text`.
fn fetch_showing(agent: &ureq::Agent, url: &str, text: &str) -> Result<Duration> {
    let asked = Instant::now();
    let page = agent.get(url).call()?.into_body().read_to_string()?;
    let took = asked.elapsed();
    if !page.contains(text) {
        bail!("{url} does not show `{text}` after the save");
    }
    Ok(took)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
