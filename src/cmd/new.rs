//! `blameless new "Title"`: a Draft with every section, ready to fill in.

use std::fs;
use std::io::Write as _;

use anyhow::{bail, Context as _, Result};
use chrono::DateTime;

use super::Context;
use crate::cli::{parse_time, EXIT_OK};
use crate::load;
use crate::scaffold;

/// Writes `content/<date>-<slug>.md` and prints its path.
pub fn run(ctx: Context, title: &str, severity: Option<&str>, started: Option<&str>) -> Result<u8> {
    let (root, config, now) = (&ctx.root, &ctx.config, ctx.now);
    let title = &scaffold::clean_title(title);
    if title.is_empty() {
        bail!("the title is empty: write `blameless new \"What happened\"`");
    }
    let severity = super::severity_or_mildest(config, severity)?;
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
    // file.
    let (path, mut file) = scaffold::create_unique(&content, stem, ".md", |path| {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    })?;
    file.write_all(scaffold::source(title, &severity, started, config).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}", path.strip_prefix(root).unwrap_or(&path).display());
    eprintln!("created a Draft: fill in the sections, then run `blameless check`");
    Ok(EXIT_OK)
}
