//! The pipeline that `check` and `build` share: load, parse in parallel, validate, apply the
//! archive's rule levels; then, for a build, render, index and publish.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::archive::Archive;
use crate::config::Config;
use crate::diagnostic::{self, Diagnostic, Level};
use crate::index;
use crate::insights::Analysis;
use crate::load;
use crate::output;
use crate::parse;
use crate::postmortem::{PostMortem, Status};
use crate::render::{self, Renderer};
use crate::rules;
use crate::theme::Theme;
use crate::validate;

/// The outcome of checking an archive.
pub struct Checked {
    /// Every post-mortem that could be read, drafts included.
    pub archive: Archive,
    /// The same without the drafts: what a build publishes by default.
    pub published: Archive,
    /// What `published` teaches across incidents.
    pub analysis: Analysis,
    /// Every problem, levels applied, `allow`ed ones removed, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// The archive a build publishes and its analysis, owned: see [`with_drafts`].
    pub fn into_site(self, drafts: bool) -> (Archive, Analysis) {
        match with_drafts(&self, drafts) {
            Some(site) => site,
            None => (self.published, self.analysis),
        }
    }

    /// Whether the diagnostics fail the run.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == Level::Error || (deny_warnings && d.level == Level::Warning))
    }
}

/// What [`check_again`] keeps from one check of an archive to the next: every source as it was
/// read and what parsing it gave, under one configuration, and which post-mortems changed
/// since the caller last took them.
#[derive(Default)]
pub struct Memo {
    /// The configuration the sources were parsed under, as its `Debug` text.
    // why: a fingerprint that covers every field the parse may read; one that differs for equal
    // configurations only costs a parse of everything.
    config: String,
    parsed: HashMap<PathBuf, (load::Source, parse::Parsed)>,
    /// The problems the [`rules::Rule::timeless`] rules found in each post-mortem, by its path,
    /// with the post-mortem they were found in.
    timeless: Timeless,
    /// The ids parsed again or gone since [`Memo::take_changed`]; `None` for every one.
    changed: Option<BTreeSet<String>>,
}

impl Memo {
    /// The ids of the post-mortems that changed (were added, edited or removed) since the last
    /// call, or `None` when it cannot tell which (the first check, a new configuration).
    pub fn take_changed(&mut self) -> Option<BTreeSet<String>> {
        self.changed.replace(BTreeSet::new())
    }

    /// Whether `source`, as listed, is a version of a file that the last check read, so that
    /// it need not be read again.
    fn knows(&self, source: &load::Source) -> bool {
        self.parsed
            .get(&source.path)
            .is_some_and(|(was, _)| was.stamp.is_some() && source.is_same(was))
    }

    /// Forgets every source when `config` is not the configuration they were parsed under.
    fn configure(&mut self, config: &Config) {
        let fingerprint = format!("{config:?}");
        if fingerprint != self.config {
            self.parsed.clear();
            self.timeless.clear();
            self.config = fingerprint;
            self.changed = None;
        }
    }

    /// Parses the sources of `loaded` that differ from those of the last check, which was
    /// under `config` (see [`Memo::configure`]).
    fn parse(&mut self, loaded: Vec<load::Source>, config: &Config) -> Vec<parse::Parsed> {
        let old = std::mem::take(&mut self.parsed);
        let parsed: Vec<(load::Source, parse::Parsed, bool)> = loaded
            .into_par_iter()
            .map(|source| match old.get(&source.path) {
                Some((was, parsed)) if source.is_same(was) => (source, parsed.clone(), false),
                _ => {
                    let parsed = parse::parse(&source, config);
                    (source, parsed, true)
                }
            })
            .collect();
        let mut changed: Vec<String> = Vec::new();
        let mut result = Vec::with_capacity(parsed.len());
        for (mut source, parsed, fresh) in parsed {
            if fresh {
                changed.push(source.id.clone());
            }
            // why: a stamp tells the next version from this one; the bytes are only needed
            // without one.
            if source.stamp.is_some() {
                source.bytes = Vec::new();
            }
            result.push(parsed.clone());
            self.parsed.insert(source.path.clone(), (source, parsed));
        }
        changed.extend(
            old.into_iter()
                .filter(|(path, _)| !self.parsed.contains_key(path))
                .map(|(_, (source, _))| source.id),
        );
        if let Some(ids) = &mut self.changed {
            ids.extend(changed);
        }
        result
    }
}

/// The problems of the timeless rules of each post-mortem, by path, with the parse they are of.
type Timeless = HashMap<PathBuf, (Arc<PostMortem>, Vec<Diagnostic>)>;

/// Loads and checks the archive at `root`.
pub fn check(root: &Path, config: Config, now: DateTime<Utc>) -> Result<Checked> {
    let loaded = load::load_sources(root)?;
    // why: each source's bytes are freed once parsed; the post-mortem keeps its own text.
    let parsed: Vec<parse::Parsed> = loaded
        .sources
        .into_par_iter()
        .map(|source| parse::parse(&source, &config))
        .collect();
    checked(parsed, loaded.diagnostics, config, now, None)
}

/// [`check`] again, parsing only the sources that changed since the check `memo` remembers.
pub fn check_again(
    root: &Path,
    config: Config,
    now: DateTime<Utc>,
    memo: &mut Memo,
) -> Result<Checked> {
    memo.configure(&config);
    let loaded = load::load_sources_except(root, &|source| memo.knows(source))?;
    let parsed = memo.parse(loaded.sources, &config);
    checked(
        parsed,
        loaded.diagnostics,
        config,
        now,
        Some(&mut memo.timeless),
    )
}

/// The parsed sources validated, analysed and checked against the process rules; the problems
/// of the timeless rules are taken from `kept` for the post-mortems it has, and kept there.
fn checked(
    parsed: Vec<parse::Parsed>,
    loaded: Vec<Diagnostic>,
    config: Config,
    now: DateTime<Utc>,
    kept: Option<&mut Timeless>,
) -> Result<Checked> {
    let (postmortems, mut diagnostics) = validate::validate(parsed);
    diagnostics.extend(loaded);
    let archive = Archive::of_shared(config, postmortems, now);
    let mut published = archive.clone();
    published.retain(|pm| pm.status != Status::Draft);
    // why: the repeat rule and the pages read one analysis, of the archive a build publishes.
    let analysis = Analysis::new(&published);
    let old = kept.as_deref();
    let found: Vec<(Vec<Diagnostic>, Vec<Diagnostic>)> = archive
        .postmortems
        .par_iter()
        .map(|pm| {
            let repeats = published
                .position(&pm.id)
                .map_or(&[][..], |i| analysis.repeats_of(i));
            let timeless = match old.and_then(|old| old.get(&pm.path)) {
                Some((was, found)) if Arc::ptr_eq(was, pm) => found.clone(),
                _ => rules::check_part(pm, &archive.config, now, repeats, true),
            };
            let timely = rules::check_part(pm, &archive.config, now, repeats, false);
            (timeless, timely)
        })
        .collect();
    match kept {
        Some(kept) => {
            kept.clear();
            for (pm, (lasting, timely)) in archive.postmortems.iter().zip(found) {
                diagnostics.extend(lasting.iter().cloned());
                diagnostics.extend(timely);
                kept.insert(pm.path.clone(), (pm.clone(), lasting));
            }
        }
        // why: a check that keeps nothing moves the problems instead of copying them.
        None => diagnostics.extend(found.into_iter().flat_map(|(a, b)| a.into_iter().chain(b))),
    }
    diagnostics.retain_mut(|d| {
        d.level = archive.config.rules.level(d.code);
        d.level != Level::Allow
    });
    diagnostic::sort(&mut diagnostics);
    let diagnostics = diagnostic::bound(diagnostics);
    Ok(Checked {
        archive,
        published,
        analysis,
        diagnostics,
    })
}

/// What a build is asked to do.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Where the site goes.
    pub out: PathBuf,
    /// Whether Draft post-mortems are published.
    pub drafts: bool,
}

/// What a build did.
#[derive(Debug)]
pub struct BuildReport {
    /// How many post-mortems were published.
    pub postmortems: usize,
    /// How many files were written.
    pub files: usize,
}

/// The archive a build with `drafts` publishes when it is not `checked.published`: every
/// post-mortem, drafts included, analysed again. `None` when the published one is the site.
fn with_drafts(checked: &Checked, drafts: bool) -> Option<(Archive, Analysis)> {
    // why: without drafts the archive with them is the published one, analysis and all.
    let has_drafts = checked.archive.postmortems.len() > checked.published.postmortems.len();
    (drafts && has_drafts).then(|| {
        let archive = checked.archive.clone();
        let analysis = Analysis::new(&archive);
        (archive, analysis)
    })
}

/// The renderer of the theme that `config` names, under `root`.
pub fn renderer(root: &Path, config: &Config) -> Result<Renderer> {
    let theme_dir = root.join(crate::load::THEMES_DIR).join(&config.theme);
    Renderer::new(Theme::load(&theme_dir)?)
}

/// Renders and publishes a checked archive. The caller decides whether the diagnostics allow it.
pub fn build(root: &Path, checked: &Checked, options: &BuildOptions) -> Result<BuildReport> {
    let site = with_drafts(checked, options.drafts);
    let (archive, analysis) = site
        .as_ref()
        .map_or((&checked.published, &checked.analysis), |(a, an)| (a, an));
    let renderer = renderer(root, &archive.config)?;
    let staging = output::Staging::begin(root, &options.out)
        .with_context(|| format!("cannot publish the site to {}", options.out.display()))?;
    // why: indexing is single-threaded for deterministic bytes; it runs beside the rendering,
    // straight into the staging directory, so nothing is left elsewhere if the build is killed.
    // The archive-wide exports follow it on its side: made beside the index writer's last
    // merge, they were the peak of a 50,000 build's memory (3,126 MiB; 2,805 MiB once moved).
    let shared = render::Shared::new(archive);
    let (rendered, indexed) = rayon::join(
        || render::render_pages(archive, analysis, &renderer, &shared, &staging),
        || {
            let index = index::build(archive, &staging.path().join(index::SITE_DIR))?;
            render::render_exports(archive, analysis, &renderer, &shared, &staging)?;
            anyhow::Ok(index)
        },
    );
    rendered?;
    let index = indexed?;
    // why: the marker and the rendered files, which the staging counted, and the index's.
    let files = staging.written() + index.files.len();
    staging
        .commit()
        .with_context(|| format!("cannot publish the site to {}", options.out.display()))?;
    Ok(BuildReport {
        postmortems: archive.postmortems.len(),
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::fs;
    use std::time::{Duration, SystemTime};

    const POSTMORTEM: &str = "+++\ntitle = \"Checkout failed\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = 2024-01-01T00:00:00Z\n+++\n\n## Summary\n\nIt failed.\n";

    /// An archive of one post-mortem whose file was last modified long ago and has settled.
    fn archive() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("content")).unwrap();
        let file = dir.path().join("content/2024-01-01-a.md");
        write_old(&file, POSTMORTEM);
        // why: its change time is now, and a stamp is trusted once both times have settled.
        std::thread::sleep(load::SETTLED + Duration::from_millis(100));
        (dir, file)
    }

    /// Writes `text` to `file` and sets its modification time to one fixed long ago.
    fn write_old(file: &Path, text: &str) {
        fs::write(file, text).unwrap();
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        fs::File::options()
            .write(true)
            .open(file)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    }

    fn titles(checked: &Checked) -> Vec<&str> {
        checked
            .archive
            .postmortems
            .iter()
            .map(|pm| pm.title.as_str())
            .collect()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn a_settled_source_is_not_read_again_and_a_changed_one_is() {
        let (dir, file) = archive();
        let mut memo = Memo::default();
        let first = check_again(dir.path(), Config::default(), now(), &mut memo).unwrap();
        assert_eq!(titles(&first), ["Checkout failed"]);
        let (kept, _) = &memo.parsed[Path::new("content/2024-01-01-a.md")];
        assert!(kept.stamp.is_some() && kept.bytes.is_empty(), "{kept:?}");
        let known = load::load_sources_except(dir.path(), &|source| memo.knows(source)).unwrap();
        assert!(known.sources[0].bytes.is_empty());
        memo.take_changed();
        // why: the same length and modification time; only the change time and the bytes tell.
        write_old(
            &file,
            &POSTMORTEM.replace("Checkout failed", "Checkout halted"),
        );
        let second = check_again(dir.path(), Config::default(), now(), &mut memo).unwrap();
        assert_eq!(titles(&second), ["Checkout halted"]);
        assert_eq!(
            memo.take_changed(),
            Some(BTreeSet::from(["2024-01-01-a".to_string()]))
        );
    }

    #[test]
    fn a_source_written_just_now_is_told_by_its_bytes() {
        let (dir, file) = archive();
        fs::write(&file, POSTMORTEM).unwrap();
        let mut memo = Memo::default();
        check_again(dir.path(), Config::default(), now(), &mut memo).unwrap();
        let (kept, _) = &memo.parsed[Path::new("content/2024-01-01-a.md")];
        assert!(kept.stamp.is_none() && !kept.bytes.is_empty(), "{kept:?}");
        let modified = fs::metadata(&file).unwrap().modified().unwrap();
        fs::write(
            &file,
            POSTMORTEM.replace("Checkout failed", "Checkout halted"),
        )
        .unwrap();
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let again = check_again(dir.path(), Config::default(), now(), &mut memo).unwrap();
        assert_eq!(titles(&again), ["Checkout halted"]);
    }

    #[test]
    fn a_new_configuration_reads_every_source_again() {
        let (dir, _) = archive();
        let mut memo = Memo::default();
        check_again(dir.path(), Config::default(), now(), &mut memo).unwrap();
        let config = Config {
            title: "Another archive".into(),
            ..Config::default()
        };
        let again = check_again(dir.path(), config, now(), &mut memo).unwrap();
        assert_eq!(titles(&again), ["Checkout failed"]);
        assert!(
            again.diagnostics.iter().all(|d| d.level != Level::Error),
            "{:?}",
            again.diagnostics
        );
    }

    /// Text from every kind of script and the characters that break byte-minded code: combining
    /// marks, emoji with joiners, right-to-left marks, and Markdown's own syntax.
    fn unicode_text(max: usize) -> impl Strategy<Value = String> {
        let ranges = prop_oneof![
            0x20u32..0x7f,       // ASCII, Markdown syntax included
            0xc0u32..0x250,      // Latin with accents
            0x300u32..0x370,     // combining marks
            0x370u32..0x530,     // Greek, Cyrillic
            0x590u32..0x700,     // Hebrew, Arabic
            0x900u32..0x980,     // Devanagari
            0xe00u32..0xe80,     // Thai
            0x3040u32..0x3100,   // Hiragana, Katakana
            0x4e00u32..0x4f00,   // CJK
            0xac00u32..0xad00,   // Hangul
            0x1f300u32..0x1fa00, // emoji
            Just(0x200d),        // zero-width joiner
            Just(0x200f),        // right-to-left mark
            Just(0xfe0f),        // variation selector
            Just(0x0a),          // line feed
        ];
        proptest::collection::vec(ranges, 0..max)
            .prop_map(|codes| codes.into_iter().filter_map(char::from_u32).collect())
    }

    fn toml_string(text: &str) -> String {
        toml::Value::String(text.to_string()).to_string()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        /// Random text in every field a reader sees goes through parse, the rules, the whole
        /// site's render and the search index without a panic.
        #[test]
        fn any_unicode_text_is_parsed_rendered_and_indexed(
            title in unicode_text(40),
            summary in unicode_text(80),
            tag in unicode_text(12),
            body in unicode_text(600),
        ) {
            let title = if title.trim().is_empty() { "x".to_string() } else { title };
            let text = format!(
                "+++\ntitle = {}\nseverity = \"SEV-2\"\nstatus = \"In Review\"\nstarted = 2024-03-12T09:41:00Z\nsummary = {}\ntags = [{}]\nservices = [{}]\n+++\n\n## Summary\n\n{body}\n\n## Timeline\n\n- 09:41 {body}\n\n## External message\n\n{body}\n",
                toml_string(&title),
                toml_string(&summary),
                toml_string(&tag),
                toml_string(&tag),
            );
            let config = Config::default();
            let source = crate::testing::source("2024-03-12-a", &text);
            let now = DateTime::parse_from_rfc3339("2024-04-01T00:00:00Z").unwrap().to_utc();
            let (postmortems, _) = validate::validate(vec![parse::parse(&source, &config)]);
            let archive = Archive::of_shared(config, postmortems, now);
            let analysis = Analysis::new(&archive);
            for (i, pm) in archive.postmortems.iter().enumerate() {
                let _ = rules::check(pm, &archive.config, now, analysis.repeats_of(i));
            }
            let renderer = Renderer::new(Theme::embedded()).unwrap();
            render::render(&archive, &analysis, &renderer).unwrap();
            let dir = tempfile::tempdir().unwrap();
            index::build(&archive, &dir.path().join("index")).unwrap();
        }
    }
}
