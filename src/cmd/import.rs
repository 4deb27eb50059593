//! `blameless import PATH...`: existing Markdown post-mortems converted into sources of this
//! format, one file (or bundle, when it shows local images) per report, never overwriting.
//!
//! Reading and writing happen here; the conversion itself is `crate::import`, pure.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

use super::Context;
use crate::cli::{EXIT_CONTENT, EXIT_OK};
use crate::import::report::{FileReport, Report};
use crate::import::{self, Converted, Input};
use crate::{load, parse, safe_fs, scaffold};

/// What `blameless import` was asked to do.
pub struct Request<'a> {
    /// Files and directories of reports, relative to `cwd`.
    pub paths: &'a [PathBuf],
    /// Where the sources go (default: `content/` under the root).
    pub into: Option<&'a Path>,
    /// Where to write the report as JSON.
    pub report: Option<&'a Path>,
    /// The severity of reports that state none (default: the scale's mildest).
    pub default_severity: Option<&'a str>,
    /// The working directory the paths are relative to.
    pub cwd: &'a Path,
}

/// Imports every report, prints the written paths on stdout and the report on stderr.
pub fn run(ctx: Context, request: &Request<'_>) -> Result<u8> {
    let config = &ctx.config;
    let default_severity = super::severity_or_mildest(config, request.default_severity)
        .context("invalid --default-severity")?;
    let into = match request.into {
        Some(dir) => request.cwd.join(dir),
        None => ctx.root.join(load::CONTENT_DIR),
    };
    fs::create_dir_all(&into).with_context(|| format!("cannot create {}", into.display()))?;
    let mut known: BTreeSet<String> = match load::load_sources(&ctx.root) {
        Ok(loaded) => loaded.sources.into_iter().map(|s| s.id).collect(),
        Err(_) => BTreeSet::new(),
    };
    let mut report = Report::default();
    let mut failed = false;
    for (file, explicit) in reports(request)? {
        let shown = file
            .strip_prefix(request.cwd)
            .unwrap_or(&file)
            .display()
            .to_string();
        let stem = stem_of(&file);
        if !explicit && is_template(&stem) {
            report.files.push(skipped(
                &shown,
                "a template, not a report (name it to import it)",
            ));
            continue;
        }
        let bytes = match safe_fs::read(&file) {
            Ok(bytes) => bytes,
            Err(err) => {
                report
                    .files
                    .push(skipped(&shown, &format!("cannot read it: {err}")));
                continue;
            }
        };
        let source = load::Source {
            id: stem.clone(),
            path: PathBuf::from(&shown),
            bundle: None,
            assets: Vec::new(),
            bytes,
            stamp: None,
        };
        let text = match parse::decode(&source) {
            Ok(text) => text,
            Err(_) => {
                report.files.push(skipped(&shown, "not UTF-8 text"));
                continue;
            }
        };
        let converted = import::convert(&Input {
            path: &shown,
            stem: &stem,
            text: &text,
            config,
            default_severity: &default_severity,
            now: ctx.now,
        });
        let mut file_report = converted.report.clone();
        let written = write(&into, &file, &converted, &mut file_report, &mut known)?;
        failed |= file_report
            .problems
            .iter()
            .any(|p| p.starts_with("check: error"));
        println!("{}", relative(&written, &ctx.root, request.cwd));
        file_report.written = Some(relative(&written, &ctx.root, request.cwd));
        report.files.push(file_report);
    }
    eprint!("{}", report.human());
    if let Some(path) = request.report {
        let path = request.cwd.join(path);
        fs::write(&path, report.json())
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    Ok(if failed { EXIT_CONTENT } else { EXIT_OK })
}

fn skipped(shown: &str, why: &str) -> FileReport {
    FileReport {
        source: shown.to_string(),
        problems: vec![format!("skipped: {why}")],
        ..FileReport::default()
    }
}

/// A path as the user sees it: under the root when it is, else under the working directory.
fn relative(path: &Path, root: &Path, cwd: &Path) -> String {
    path.strip_prefix(root)
        .or_else(|_| path.strip_prefix(cwd))
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The report files the paths name, each with whether it was named itself; a directory gives
/// its `.md` and `.markdown` files, sorted, without following links.
fn reports(request: &Request<'_>) -> Result<Vec<(PathBuf, bool)>> {
    let mut files = Vec::new();
    if request.paths.is_empty() {
        bail!("name the reports to import: `blameless import old-postmortems/`");
    }
    for path in request.paths {
        let path = request.cwd.join(path);
        let meta = fs::symlink_metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if meta.file_type().is_symlink() {
            bail!(
                "{} is a symbolic link, and blameless never follows one",
                path.display()
            );
        }
        if meta.is_file() {
            files.push((path, true));
            continue;
        }
        let walk = walkdir::WalkDir::new(&path)
            .follow_links(false)
            .sort_by_file_name();
        for entry in walk {
            let entry = entry.with_context(|| format!("cannot read {}", path.display()))?;
            let name = entry.file_name().to_string_lossy().to_lowercase();
            if entry.file_type().is_file() && (name.ends_with(".md") || name.ends_with(".markdown"))
            {
                files.push((entry.into_path(), false));
            }
        }
    }
    Ok(files)
}

/// The stem of a report, or its directory's name for `index.md` and `README.md`.
fn stem_of(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if ["index", "readme"].contains(&stem.to_lowercase().as_str()) {
        if let Some(dir) = file.parent().and_then(Path::file_name) {
            return dir.to_string_lossy().into_owned();
        }
    }
    stem
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether a file's name says it is the archive's template rather than a report.
fn is_template(stem: &str) -> bool {
    let lower = stem.to_lowercase();
    lower.contains("template") || lower.contains("_sample") || lower == "example"
}

/// Writes one converted report: `<into>/<id>.md`, or the bundle `<into>/<id>/index.md` with
/// its images; an id that is taken (as a file or a bundle) gets `-2`, `-3`, ….
fn write(
    into: &Path,
    file: &Path,
    converted: &Converted,
    report: &mut FileReport,
    known: &mut BTreeSet<String>,
) -> Result<PathBuf> {
    let report_dir = file.parent().unwrap_or(Path::new("."));
    report.images = 0;
    let present: Vec<_> = converted
        .images
        .iter()
        .filter(|i| fs::symlink_metadata(report_dir.join(&i.from)).is_ok_and(|m| m.is_file()))
        .collect();
    for image in &converted.images {
        if !present.iter().any(|p| p.to == image.to) {
            report.problems.push(format!(
                "the image `{}` is not beside the report: not copied",
                image.from
            ));
        }
    }
    // why: ids are unique across the archive, not only in the directory written to; a name is
    // taken when the archive has the id anywhere, or the other form (file or bundle) is here.
    let taken = |path: &Path, other: PathBuf, id: &str| {
        if other.exists() || known.contains(id) {
            Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
        } else {
            Ok(path.to_path_buf())
        }
    };
    let create_file = |path: &Path| {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    let (path, id) = if present.is_empty() {
        let (path, mut out) = scaffold::create_unique(into, &converted.id, ".md", |path| {
            let id = name_of(path);
            let id = id.trim_end_matches(".md");
            taken(path, path.with_file_name(id), id)?;
            create_file(path)
        })?;
        out.write_all(converted.source.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let id = name_of(&path).trim_end_matches(".md").to_string();
        (path, id)
    } else {
        let (dir, ()) = scaffold::create_unique(into, &converted.id, "", |path| {
            let id = name_of(path);
            taken(path, path.with_file_name(format!("{id}.md")), &id)?;
            fs::create_dir(path)
        })?;
        let index = dir.join("index.md");
        let mut out =
            create_file(&index).with_context(|| format!("cannot create {}", index.display()))?;
        out.write_all(converted.source.as_bytes())
            .with_context(|| format!("cannot write {}", index.display()))?;
        for image in present {
            let target = dir.join(&image.to);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let copied = safe_fs::open(&report_dir.join(&image.from)).and_then(|mut from| {
                let mut to = create_file(&target)?;
                std::io::copy(&mut from, &mut to).map(drop)
            });
            match copied {
                Ok(()) => report.images += 1,
                Err(err) => report
                    .problems
                    .push(format!("the image `{}` was not copied: {err}", image.from)),
            }
        }
        let id = name_of(&dir);
        (index, id)
    };
    known.insert(id.clone());
    report.id = id;
    Ok(path)
}
