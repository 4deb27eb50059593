//! Render: the `Archive` into the site's files. Pure: templates see the view structs of
//! `view`, never the model, and each file goes to a [`Sink`] as soon as it is made (a build's
//! staging directory writes it at once, so the site is never held in memory whole).
//!
//! Every link in the site is relative (`../../pm/x/`), so the site works from any host, any
//! sub-path and straight from the disk.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::archive::Archive;
use crate::artifacts;
use crate::artifacts::actions::ActionRow;
use crate::artifacts::digest::{DigestWeek, Week};
use crate::diagnostic::display_path;
use crate::insights::{self, Analysis};
use crate::markdown;
use crate::slug::slugify;
use crate::theme::Theme;
use crate::view::{
    attention, card, facet_insights, facets, insights_view, postmortem_view, severities, Facet,
    SiteView, TeamView,
};

/// One file of the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputFile {
    /// A file with these contents, at a path relative to the site root.
    Bytes { path: String, contents: Vec<u8> },
    /// A bundle file copied from the archive (path relative to the root).
    Copy { path: String, from: PathBuf },
}

impl OutputFile {
    /// The path relative to the site root, with forward slashes.
    pub fn path(&self) -> &str {
        match self {
            OutputFile::Bytes { path, .. } | OutputFile::Copy { path, .. } => path,
        }
    }
}

/// Where rendered files go, from every rendering thread, as soon as each is made.
pub trait Sink: Sync {
    /// Takes one file of the site.
    fn put(&self, file: OutputFile) -> Result<()>;

    /// Whether the file at `path` is wanted. A file that is not is never made: a sink that
    /// takes one page (the preview's answer to a request) spares the rendering of the others.
    fn wants(&self, _path: &str) -> bool {
        true
    }
}

/// Puts the file at `path` into `sink`, made by `make` only when the sink wants it.
fn emit(sink: &dyn Sink, path: String, make: impl FnOnce() -> Result<Vec<u8>>) -> Result<()> {
    if sink.wants(&path) {
        let contents = make()?;
        sink.put(OutputFile::Bytes { path, contents })?;
    }
    Ok(())
}

/// What many files of one archive's site are made from, each made the first time a file needs
/// it: the card of every post-mortem (reused on every list that shows it), the facets, the
/// teams, the follow-up actions and the digest's weeks. A build makes them all once; a preview
/// keeps them from one request to the next.
pub struct Shared {
    cards: Vec<OnceLock<String>>,
    facets: OnceLock<Vec<Facet>>,
    teams: OnceLock<Vec<TeamView>>,
    rows: OnceLock<Vec<ActionRow>>,
    weeks: OnceLock<Vec<Week>>,
    digests: OnceLock<Vec<DigestWeek>>,
}

impl Shared {
    /// Nothing made yet, for the site of `archive`.
    pub fn new(archive: &Archive) -> Shared {
        Shared {
            cards: archive
                .postmortems
                .iter()
                .map(|_| OnceLock::new())
                .collect(),
            facets: OnceLock::new(),
            teams: OnceLock::new(),
            rows: OnceLock::new(),
            weeks: OnceLock::new(),
            digests: OnceLock::new(),
        }
    }

    fn card(&self, index: usize, archive: &Archive, renderer: &Renderer) -> Result<&str> {
        let cell = self
            .cards
            .get(index)
            .context("a card of a post-mortem the archive does not have")?;
        if let Some(card) = cell.get() {
            return Ok(card);
        }
        let mut context = Context::new();
        context.insert("root", ROOT_MARKER);
        context.insert("pm", &card(&archive.postmortems[index], &archive.config));
        let html = String::from_utf8_lossy(&renderer.page("card.html", &context)?).into_owned();
        // why: two threads may render the same card at once; either result is the same.
        Ok(cell.get_or_init(|| html))
    }
}

/// A sink that keeps the files, for callers that want the site as a list.
#[derive(Default)]
pub struct Collect(std::sync::Mutex<Vec<OutputFile>>);

impl Sink for Collect {
    fn put(&self, file: OutputFile) -> Result<()> {
        self.0
            .lock()
            .map_err(|_| anyhow::anyhow!("a rendering thread panicked"))?
            .push(file);
        Ok(())
    }
}

impl Collect {
    /// The files taken, sorted by path.
    pub fn into_files(self) -> Vec<OutputFile> {
        let mut files = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        files.sort_by(|a, b| a.path().cmp(b.path()));
        files
    }
}

/// Prepared templates, ready to render many pages in parallel.
pub struct Renderer {
    tera: Tera,
    theme: Theme,
}

impl Renderer {
    /// Compiles the theme's templates.
    pub fn new(theme: Theme) -> Result<Renderer> {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        // why: Tera's default also escapes `/`, which is safe but makes every URL unreadable.
        tera.set_escape_fn(markdown::escape_html);
        tera.add_raw_templates(theme.templates()?)
            .map_err(|e| anyhow::anyhow!(tera_chain(&e)))
            .context("the theme's templates do not compile")?;
        Ok(Renderer { tera, theme })
    }

    fn page(&self, template: &str, context: &Context) -> Result<Vec<u8>> {
        // why: Tera's own buffer starts at 2 KB and is copied as it doubles, four times for a
        // post-mortem's page, then checked for UTF-8 once more; the templates are text, and
        // the callers that need a `str` check it themselves.
        let mut page = Vec::with_capacity(PAGE_BYTES);
        self.tera
            .render_to(template, context, &mut page)
            .map_err(|e| anyhow::anyhow!(tera_chain(&e)))
            .with_context(|| format!("cannot render template {template}"))?;
        Ok(page)
    }
}

fn tera_chain(err: &tera::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

/// What a page's buffer starts at: most pages fit, a post-mortem's after one doubling.
const PAGE_BYTES: usize = 16 * 1024;

/// How many post-mortems a list page shows.
pub const PAGE_SIZE: usize = 50;

/// How many follow-up actions a page of `/actions/` shows.
pub const ACTIONS_PAGE_SIZE: usize = 200;

// why: a card is rendered once and reused on every list that shows it, but its links are
// relative to the page; this marker stands for the page's root until the page is assembled.
const ROOT_MARKER: &str = "\u{1}root\u{1}";

/// Links between the pages of one paginated list.
#[derive(Serialize)]
struct Pagination {
    current: usize,
    total: usize,
    first: usize,
    last: usize,
    count: usize,
    prev: Option<String>,
    next: Option<String>,
}

/// One page of a paginated list: its directory (relative to the site root) and its items.
struct ListPage<'a> {
    dir: String,
    root: String,
    items: &'a [usize],
    pagination: Pagination,
}

fn paginate<'a>(dir: &str, items: &'a [usize], size: usize) -> Vec<ListPage<'a>> {
    let total = items.len().div_ceil(size).max(1);
    (1..=total)
        .map(|current| {
            let page_dir = match current {
                1 => dir.to_string(),
                n => format!("{dir}page/{n}/"),
            };
            let up = |to: usize| match (current, to) {
                (1, to) => format!("page/{to}/"),
                (_, 1) => "../../".to_string(),
                (_, to) => format!("../{to}/"),
            };
            let start = (current - 1) * size;
            let slice = &items[start.min(items.len())..(start + size).min(items.len())];
            ListPage {
                root: "../".repeat(page_dir.matches('/').count()),
                dir: page_dir,
                items: slice,
                pagination: Pagination {
                    current,
                    total,
                    first: start + 1,
                    last: start + slice.len(),
                    count: items.len(),
                    prev: (current > 1).then(|| up(current - 1)),
                    next: (current < total).then(|| up(current + 1)),
                },
            }
        })
        .collect()
}

/// Renders the whole site, as a list sorted by path.
pub fn render(
    archive: &Archive,
    analysis: &Analysis,
    renderer: &Renderer,
) -> Result<Vec<OutputFile>> {
    let files = Collect::default();
    render_to(archive, analysis, renderer, &Shared::new(archive), &files)?;
    Ok(files.into_files())
}

/// Renders the files of the site that `sink` wants into it, in no particular order. `shared`
/// is that of `archive`.
pub fn render_to(
    archive: &Archive,
    analysis: &Analysis,
    renderer: &Renderer,
    shared: &Shared,
    sink: &dyn Sink,
) -> Result<()> {
    render_pages(archive, analysis, renderer, shared, sink)?;
    render_exports(archive, analysis, renderer, shared, sink)
}

/// What every page says of the site.
fn site_view(archive: &Archive) -> SiteView<'_> {
    SiteView {
        title: &archive.config.title,
        base_url: &archive.config.base_url,
        teams: archive.config.directory.is_some(),
    }
}

/// The rest of [`render_to`]: the lists, facets, teams, insights and every post-mortem's page
/// and files, and the theme's static files.
pub fn render_pages(
    archive: &Archive,
    analysis: &Analysis,
    renderer: &Renderer,
    shared: &Shared,
    sink: &dyn Sink,
) -> Result<()> {
    let site = site_view(archive);
    let facets = shared.facets.get_or_init(|| facets(archive));
    let list = |template: &str,
                page: &ListPage,
                fill: &dyn Fn(&mut Context) -> Result<()>|
     -> Result<()> {
        emit(sink, format!("{}index.html", page.dir), || {
            let items: Vec<&str> = page
                .items
                .iter()
                .map(|i| shared.card(*i, archive, renderer))
                .collect::<Result<_>>()?;
            let mut context = Context::new();
            fill(&mut context)?;
            context.insert("site", &site);
            context.insert("root", &page.root);
            context.insert("cards", &items);
            context.insert("pagination", &page.pagination);
            let html = String::from_utf8(renderer.page(template, &context)?)
                .context("a template produced text that is not UTF-8")?;
            Ok(html.replace(ROOT_MARKER, &page.root).into_bytes())
        })
    };

    let everything: Vec<usize> = (0..archive.postmortems.len()).collect();
    paginate("", &everything, PAGE_SIZE)
        .par_iter()
        .try_for_each(|page| {
            list("index.html", page, &|context| {
                context.insert("facets", facets);
                if page.pagination.current == 1 {
                    context.insert("attention", &attention(archive));
                }
                Ok(())
            })
        })?;
    let rows = shared
        .rows
        .get_or_init(|| artifacts::actions::rows(archive));
    emit(sink, "search/index.html".into(), || {
        let mut context = Context::new();
        context.insert("site", &site);
        context.insert("root", "../");
        // why: the page colours a hit's badge as every other page does, from the severity
        // views, rather than working a colour out in JavaScript.
        let colours: BTreeMap<String, usize> = severities(&archive.config)
            .into_values()
            .map(|s| (s.slug, s.colour))
            .collect();
        context.insert(
            "severity_colours",
            &serde_json::to_string(&colours).context("cannot encode the severity colours")?,
        );
        renderer.page("search.html", &context)
    })?;
    emit(sink, "404.html".into(), || {
        let mut context = Context::new();
        context.insert("site", &site);
        // why: a host serves 404.html at any depth, so its links start at the site's own path.
        context.insert("root", &base_path(&archive.config.base_url));
        renderer.page("404.html", &context)
    })?;

    let everything_figures = OnceLock::new();
    let figures =
        || everything_figures.get_or_init(|| insights::figures(archive, analysis, &everything));
    emit(sink, "insights/index.html".into(), || {
        let mut context = Context::new();
        context.insert("site", &site);
        context.insert("root", "../");
        context.insert("insights", &insights_view(figures(), archive));
        renderer.page("insights.html", &context)
    })?;
    emit(sink, "insights/insights.json".into(), || {
        Ok(insights::export::json(figures()).into_bytes())
    })?;
    emit(sink, "insights/insights.csv".into(), || {
        Ok(insights::export::csv(figures()).into_bytes())
    })?;

    for facet in facets {
        // why: trends of a subset mean something for what incidents share (a service, a
        // cause, a tag), not for a severity, a status or a year, which are the trends' axes.
        let with_figures = matches!(facet.key, "services" | "causes" | "tags");
        emit(sink, format!("{}/index.html", facet.key), || {
            let mut context = Context::new();
            context.insert("site", &site);
            context.insert("root", "../");
            context.insert("facet", facet);
            renderer.page("facet_index.html", &context)
        })?;
        facet.values.par_iter().try_for_each(|value| {
            paginate(
                &format!("{}/{}/", facet.key, value.slug),
                &value.members,
                PAGE_SIZE,
            )
            .iter()
            .try_for_each(|page| {
                list("facet.html", page, &|context| {
                    context.insert("facet", facet);
                    context.insert("value", value);
                    if page.pagination.current == 1 {
                        let figures = with_figures.then(|| {
                            let figures = insights::figures(archive, analysis, &value.members);
                            let own = matches!(facet.key, "services" | "causes")
                                .then_some(value.name.as_str());
                            let chart = format!("volume-{}", value.slug);
                            facet_insights(&figures, archive, &chart, own)
                        });
                        context.insert("insights", &figures);
                    }
                    Ok(())
                })
            })
        })?;
    }

    let teams = shared.teams.get_or_init(|| crate::view::teams(archive));
    if archive.config.directory.is_some() {
        emit(sink, "teams/index.html".into(), || {
            let mut context = Context::new();
            context.insert("site", &site);
            context.insert("root", "../");
            context.insert("teams", teams);
            renderer.page("teams.html", &context)
        })?;
    }
    teams.par_iter().try_for_each(|team| {
        paginate(&format!("teams/{}/", team.slug), &team.incidents, PAGE_SIZE)
            .iter()
            .try_for_each(|page| {
                list("team.html", page, &|context| {
                    context.insert("team", team);
                    if page.pagination.current == 1 {
                        let figures = (!team.incidents.is_empty()).then(|| {
                            let figures = insights::figures(archive, analysis, &team.incidents);
                            let chart = format!("volume-team-{}", team.slug);
                            facet_insights(&figures, archive, &chart, None)
                        });
                        let open: Vec<&artifacts::actions::ActionRow> = rows
                            .iter()
                            .filter(|r| {
                                r.status == crate::postmortem::ActionStatus::Open
                                    && r.team.as_deref() == Some(team.name.as_str())
                            })
                            .collect();
                        context.insert("insights", &figures);
                        context.insert("open_actions", &open);
                    }
                    Ok(())
                })
            })
    })?;

    archive
        .postmortems
        .par_iter()
        .enumerate()
        .try_for_each(|(index, pm)| {
            let config = &archive.config;
            emit(sink, format!("pm/{}/index.html", pm.id), || {
                let view = postmortem_view(index, archive, analysis);
                let mut context = Context::new();
                context.insert("site", &site);
                context.insert("root", "../../");
                context.insert("pm", &view);
                renderer.page("postmortem.html", &context)
            })?;
            let path = format!("pm/{}/external-message.txt", pm.id);
            if sink.wants(&path) {
                if let Some(message) = artifacts::message::external_message(pm) {
                    sink.put(bytes(path, message))?;
                }
            }
            emit(sink, format!("pm/{}/internal-email.eml", pm.id), || {
                Ok(artifacts::email::internal_email(pm, config, archive.now).into_bytes())
            })?;
            let path = format!("pm/{}/meeting.ics", pm.id);
            if sink.wants(&path) {
                if let Some(invite) = artifacts::ics::meeting_invite(pm, config) {
                    sink.put(bytes(path, invite))?;
                }
            }
            if let Some(bundle) = &pm.bundle {
                for asset in &pm.assets {
                    let path = format!("pm/{}/{}", pm.id, display_path(asset));
                    if sink.wants(&path) {
                        sink.put(OutputFile::Copy {
                            path,
                            from: bundle.join(asset),
                        })?;
                    }
                }
            }
            anyhow::Ok(())
        })?;

    for (path, bytes) in renderer.theme.statics() {
        emit(sink, format!("static/{path}"), || Ok(bytes.to_vec()))?;
    }
    Ok(())
}

fn bytes(path: String, contents: String) -> OutputFile {
    OutputFile::Bytes {
        path,
        contents: contents.into_bytes(),
    }
}

/// The archive-wide files of [`render_to`]: the feed, the catalog, the follow-up actions
/// (their exports and pages) and the digests, the largest texts a build holds at once.
pub fn render_exports(
    archive: &Archive,
    analysis: &Analysis,
    renderer: &Renderer,
    shared: &Shared,
    sink: &dyn Sink,
) -> Result<()> {
    let site = &site_view(archive);
    let rows = shared
        .rows
        .get_or_init(|| artifacts::actions::rows(archive));
    // why: the catalog and the digests are the two large pieces of work here.
    let (catalog, digests) = rayon::join(
        || {
            emit(sink, "postmortems.json".into(), || {
                let contents = artifacts::catalog::Contents::Fields;
                Ok(artifacts::catalog::json(archive, contents).into_bytes())
            })
        },
        || digest_pages(archive, analysis, renderer, site, shared, sink),
    );
    catalog?;
    digests?;
    // why: each is written as soon as it is made, so that one of these texts, which grow with
    // the archive (100 MB of actions at 50,000 post-mortems), is held at a time.
    emit(sink, "feed.xml".into(), || {
        Ok(artifacts::feed::feed(archive).into_bytes())
    })?;
    emit(sink, "actions.csv".into(), || {
        let needing_tickets = rows.iter().filter(|r| artifacts::actions::needs_ticket(r));
        Ok(artifacts::actions::csv(needing_tickets).into_bytes())
    })?;
    emit(sink, "actions-all.csv".into(), || {
        Ok(artifacts::actions::csv(rows).into_bytes())
    })?;
    emit(sink, "actions.json".into(), || {
        Ok(artifacts::actions::json(rows).into_bytes())
    })?;
    action_pages(archive, renderer, site, rows, sink)
}

/// `/digest/`: the list of weeks, the latest email, and each week's page and email. The
/// weeks are known without their digests, which are made only when a page needs them.
fn digest_pages(
    archive: &Archive,
    analysis: &Analysis,
    renderer: &Renderer,
    site: &SiteView,
    shared: &Shared,
    sink: &dyn Sink,
) -> Result<()> {
    let weeks = shared
        .weeks
        .get_or_init(|| artifacts::digest::weeks(archive, archive.now));
    let digests = || {
        shared
            .digests
            .get_or_init(|| artifacts::digest::digests(archive, analysis, weeks, archive.now))
    };
    emit(sink, "digest/index.html".into(), || {
        let mut context = Context::new();
        context.insert("site", site);
        context.insert("root", "../");
        context.insert("weeks", digests());
        renderer.page("digest_index.html", &context)
    })?;
    emit(sink, "digest/latest.eml".into(), || {
        let (since, until) = artifacts::digest::default_period(&archive.config, archive.now);
        let email = artifacts::digest::digest_email(archive, analysis, since, until, archive.now);
        Ok(email.into_bytes())
    })?;
    // why: the action rows and the digest carry only a severity's name, for their CSV, JSON
    // and email forms; the pages look its view up by that name.
    let severities = severities(&archive.config);
    weeks.par_iter().enumerate().try_for_each(|(i, week)| {
        emit(sink, format!("digest/{}/index.html", week.name), || {
            let mut context = Context::new();
            context.insert("site", site);
            context.insert("root", "../../");
            context.insert("week", &digests()[i]);
            context.insert("severities", &severities);
            renderer.page("digest.html", &context)
        })?;
        if week.email {
            emit(sink, format!("digest/{}.eml", week.name), || {
                let email =
                    artifacts::digest::email(&archive.config, &digests()[i].digest, archive.now);
                Ok(email.into_bytes())
            })?;
        }
        Ok(())
    })
}

/// A filter of `/actions/`: a team or an owner, each with its own pages.
#[derive(Serialize)]
struct ActionFilter {
    /// `team` or `owner`.
    kind: &'static str,
    /// The team's or the owner's name.
    name: String,
    /// Its part of the path: `/actions/<kind>/<slug>/`.
    slug: String,
    /// How many actions it has.
    count: usize,
}

/// `/actions/`, and the same list for each team (with a directory) and each owner, at
/// `/actions/team/<slug>/` and `/actions/owner/<slug>/`.
fn action_pages(
    archive: &Archive,
    renderer: &Renderer,
    site: &SiteView,
    rows: &[artifacts::actions::ActionRow],
    sink: &dyn Sink,
) -> Result<()> {
    // why: the action rows and the digest carry only a severity's name, for their CSV, JSON
    // and email forms; the pages look its view up by that name.
    let severities = severities(&archive.config);
    let group = |kind: &'static str, key: fn(&artifacts::actions::ActionRow) -> Option<&str>| {
        let mut groups: BTreeMap<String, (ActionFilter, Vec<usize>)> = BTreeMap::new();
        for (i, row) in rows.iter().enumerate() {
            let Some(name) = key(row) else { continue };
            let slug = slugify(name);
            let (filter, members) = groups.entry(slug.clone()).or_insert_with(|| {
                (
                    ActionFilter {
                        kind,
                        name: name.to_string(),
                        slug,
                        count: 0,
                    },
                    Vec::new(),
                )
            });
            filter.count += 1;
            members.push(i);
        }
        groups.into_values().collect::<Vec<_>>()
    };
    let teams = group("team", |r| r.team.as_deref());
    let owners = group("owner", |r| {
        r.owner.as_deref().filter(|o| !slugify(o).is_empty())
    });
    let team_filters: Vec<&ActionFilter> = teams.iter().map(|(f, _)| f).collect();
    let owner_filters: Vec<&ActionFilter> = owners.iter().map(|(f, _)| f).collect();
    let team_slugs: BTreeMap<&str, &str> = team_filters
        .iter()
        .map(|f| (f.name.as_str(), f.slug.as_str()))
        .collect();
    let everything: Vec<usize> = (0..rows.len()).collect();
    let mut lists: Vec<(String, Option<&ActionFilter>, &[usize])> =
        vec![("actions/".to_string(), None, &everything)];
    for (filter, members) in teams.iter().chain(&owners) {
        lists.push((
            format!("actions/{}/{}/", filter.kind, filter.slug),
            Some(filter),
            members,
        ));
    }
    lists
        .par_iter()
        .flat_map_iter(|(dir, filter, members)| {
            let (severities, team_filters, owner_filters, team_slugs) =
                (&severities, &team_filters, &owner_filters, &team_slugs);
            let open = members
                .iter()
                .filter(|&&i| rows[i].status == crate::postmortem::ActionStatus::Open)
                .count();
            let overdue = members.iter().filter(|&&i| rows[i].overdue).count();
            paginate(dir, members, ACTIONS_PAGE_SIZE)
                .into_iter()
                .map(move |page| {
                    let path = format!("{}index.html", page.dir);
                    if !sink.wants(&path) {
                        return Ok(None);
                    }
                    let shown: Vec<&artifacts::actions::ActionRow> =
                        page.items.iter().map(|i| &rows[*i]).collect();
                    let mut context = Context::new();
                    context.insert("site", site);
                    context.insert("root", &page.root);
                    context.insert("actions", &shown);
                    context.insert("severities", severities);
                    context.insert("filter", filter);
                    context.insert("teams", team_filters);
                    context.insert("owners", owner_filters);
                    context.insert("team_slugs", team_slugs);
                    context.insert("total", &members.len());
                    context.insert("open", &open);
                    context.insert("overdue", &overdue);
                    context.insert("pagination", &page.pagination);
                    Ok(Some(OutputFile::Bytes {
                        path,
                        contents: renderer.page("actions.html", &context)?,
                    }))
                })
        })
        .try_for_each(|page: Result<Option<OutputFile>>| match page? {
            Some(page) => sink.put(page),
            None => Ok(()),
        })
}

/// The path of `base_url` with a trailing slash: "https://x.example/pm" → "/pm/".
pub fn base_path(base_url: &str) -> String {
    let without_scheme = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let path = without_scheme
        .find('/')
        .map_or("", |i| &without_scheme[i..]);
    format!("{}/", path.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::Utc;

    use crate::config::Config;
    use crate::view::SEVERITY_COLOURS;

    /// The site of one post-mortem `2024-03-12-a` with `front` and `body`, by path.
    fn site_of(config: &str, front: &str, body: &str) -> BTreeMap<String, String> {
        let config = Config::parse(config, Path::new("blameless.toml")).unwrap();
        let text = format!(
            "+++\ntitle = \"A\"\nseverity = \"SEV-1\"\nstatus = \"In Review\"\nstarted = 2024-03-12T09:41:00Z\n{front}+++\n\n{body}"
        );
        let pm = crate::testing::parse("2024-03-12-a", &text, &config);
        let archive = Archive::new(config, vec![pm], Utc::now());
        let renderer = Renderer::new(Theme::embedded()).unwrap();
        render(&archive, &Analysis::new(&archive), &renderer)
            .unwrap()
            .into_iter()
            .filter_map(|f| match f {
                OutputFile::Bytes { path, contents } if path.ends_with(".html") => {
                    Some((path, String::from_utf8(contents).unwrap()))
                }
                OutputFile::Bytes { .. } | OutputFile::Copy { .. } => None,
            })
            .collect()
    }

    fn page() -> String {
        site_of(
            "",
            "detected = 2024-03-12T09:47:00Z\nresolved = 2024-03-12T11:05:00Z\nowner = \"Ana Ruiz\"\n",
            "## Summary\n\nThe disk filled.\n\n## Timeline\n\n- ~09:41 UTC disk at 100% [graph](https://grafana.example/d/1)\n- 09:47 UTC paged\n",
        )
        .remove("pm/2024-03-12-a/index.html")
        .unwrap()
    }

    #[test]
    fn key_facts_come_before_the_sections_and_the_process() {
        let page = page();
        let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle}"));
        // why: on a phone and on paper the page reads in document order.
        assert!(at("id=\"key-facts\"") < at("id=\"summary\""));
        assert!(at("id=\"summary\"") < at("class=\"facts process\""));
        let facts = &page[at("id=\"key-facts\"")..at("class=\"pm-body\"")];
        for fact in [
            "SEV-1",
            "In Review",
            "Started",
            "Detected",
            "Resolved",
            "1 h 24 min",
            "Ana Ruiz",
        ] {
            assert!(
                facts.contains(fact),
                "{fact} missing from the key facts: {facts}"
            );
        }
    }

    #[test]
    fn the_timeline_shows_approximate_times_milestones_and_phases() {
        let page = page();
        assert!(
            page.contains(
                "<time datetime=\"2024-03-12T09:41:00+00:00\" title=\"approximate\">~09:41</time>"
            ),
            "{page}"
        );
        assert!(page.contains("<span class=\"pin pin-started\">Impact started</span>"));
        assert!(page.contains("<span class=\"pin pin-detected\">Detected</span>"));
        assert!(page.contains("<span class=\"pin pin-resolved\">Resolved</span>"));
        assert!(
            page.contains("tl-inserted"),
            "resolved has no row of its own"
        );
        assert!(page.contains("class=\"phase phase-detected\" style=\"width: 7.1%\""));
        assert!(page.contains("<strong>Resolution</strong> 1 h 18 min"));
    }

    #[test]
    fn severity_badges_have_a_colour_and_say_what_they_mean() {
        let site = site_of(
            "[[severity]]\nname = \"Critical\"\naliases = [\"SEV-1\"]\ndescription = \"Everything is down\"\n",
            "causes = [\"deploy\"]\n[[actions]]\ntitle = \"Alert on disk\"\n",
            "",
        );
        let badge = "class=\"sev sev-c0\" title=\"Everything is down\">Critical<";
        for path in [
            "index.html",
            "pm/2024-03-12-a/index.html",
            "actions/index.html",
        ] {
            assert!(site[path].contains(badge), "{path}: {}", site[path]);
        }
        assert!(site["severity/critical/index.html"].contains("Everything is down"));
        assert!(site["severity/index.html"].contains("Everything is down"));
        assert!(site["index.html"].contains("class=\"chip chip-cause\""));
        for (path, html) in &site {
            assert!(
                !html.contains("sev-sev-"),
                "{path} has a severity class from its name"
            );
        }
    }

    /// The rules of a stylesheet, nested in their at-rules: (prelude, declarations, children).
    struct Rule {
        prelude: String,
        declarations: Vec<(String, String)>,
        children: Vec<Rule>,
    }

    fn parse_css(css: &str) -> Vec<Rule> {
        let mut text = css.to_string();
        while let Some(start) = text.find("/*") {
            let end = text[start..]
                .find("*/")
                .map_or(text.len(), |e| start + e + 2);
            text.replace_range(start..end, "");
        }
        fn block(text: &str, at: &mut usize) -> (Vec<(String, String)>, Vec<Rule>) {
            let (mut declarations, mut children) = (Vec::new(), Vec::new());
            let mut pending = String::new();
            while *at < text.len() {
                let c = text[*at..].chars().next().unwrap();
                *at += c.len_utf8();
                match c {
                    '{' => {
                        let prelude = std::mem::take(&mut pending).trim().to_string();
                        let (declarations, grandchildren) = block(text, at);
                        children.push(Rule {
                            prelude,
                            declarations,
                            children: grandchildren,
                        });
                    }
                    '}' => break,
                    ';' => {
                        if let Some((name, value)) = std::mem::take(&mut pending).split_once(':') {
                            declarations.push((name.trim().into(), value.trim().into()));
                        }
                    }
                    _ => pending.push(c),
                }
            }
            if let Some((name, value)) = pending.split_once(':') {
                declarations.push((name.trim().into(), value.trim().into()));
            }
            (declarations, children)
        }
        block(&text, &mut 0).1
    }

    fn custom_properties(rules: &[Rule], into: &mut BTreeMap<String, String>) {
        for rule in rules.iter().filter(|r| r.prelude == ":root") {
            for (name, value) in &rule.declarations {
                if name.starts_with("--") {
                    into.insert(name.clone(), value.clone());
                }
            }
        }
    }

    /// A colour as sRGB bytes: `#rgb`, `#rrggbb`, or `var(--x)` of the palette.
    fn colour(value: &str, palette: &BTreeMap<String, String>) -> Option<[u8; 3]> {
        let value = value.trim().trim_end_matches("!important").trim();
        if let Some(name) = value.strip_prefix("var(").and_then(|v| v.strip_suffix(')')) {
            let name = name.split(',').next()?.trim();
            return colour(palette.get(name)?, palette);
        }
        let hex = value.strip_prefix('#')?;
        let hex: String = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect(),
            6 => hex.to_string(),
            _ => return None,
        };
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some([byte(0)?, byte(2)?, byte(4)?])
    }

    /// The WCAG 2 contrast ratio of two colours.
    fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
        let luminance = |c: [u8; 3]| {
            let linear = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.04045 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * linear(c[0]) + 0.7152 * linear(c[1]) + 0.0722 * linear(c[2])
        };
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn contrast_sums_agree_with_wcag() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        // The dark palette's old button: white on #58a6ff.
        assert!((contrast([255, 255, 255], [0x58, 0xa6, 0xff]) - 2.53).abs() < 0.01);
    }

    /// The light and the dark palette's custom properties, and the stylesheet's rules.
    fn palettes() -> (
        BTreeMap<String, String>,
        BTreeMap<String, String>,
        Vec<Rule>,
    ) {
        let theme = Theme::embedded();
        let css = std::str::from_utf8(&theme.files["static/style.css"]).unwrap();
        let rules = parse_css(css);
        let mut light = BTreeMap::new();
        custom_properties(&rules, &mut light);
        let mut dark = light.clone();
        let dark_rules: Vec<&Rule> = rules
            .iter()
            .filter(|r| r.prelude.contains("prefers-color-scheme: dark"))
            .collect();
        assert_eq!(dark_rules.len(), 1, "one dark palette");
        custom_properties(&dark_rules[0].children, &mut dark);
        (light, dark, rules)
    }

    #[test]
    fn every_chart_colour_stands_out_at_3_to_1_in_light_and_dark() {
        let (light, dark, _) = palettes();
        let mut failures = Vec::new();
        for (name, palette) in [("light", &light), ("dark", &dark)] {
            for n in 0..crate::chart::CATEGORY_COLOURS {
                for bg in ["--bg", "--surface"] {
                    let f = colour(&format!("var(--cat{n})"), palette).expect("a colour");
                    let ratio = contrast(f, colour(&format!("var({bg})"), palette).unwrap());
                    // why: 3:1 is WCAG's minimum for graphics, which charts' marks are.
                    if ratio < 3.0 {
                        failures.push(format!("{name}: --cat{n} on {bg} is {ratio:.2}:1"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "below 3:1:\n{}", failures.join("\n"));
    }

    #[test]
    fn every_text_colour_meets_wcag_aa_in_light_and_dark() {
        let (light, dark, rules) = palettes();

        // Text colours on every surface, each severity on its own background, and every rule
        // of the screen styles that sets both a colour and a background.
        let foregrounds = ["--text", "--muted", "--accent", "--ok", "--warn", "--bad"];
        let surfaces = ["--bg", "--surface", "--surface-2"];
        let mut pairs: Vec<(String, String, String)> = Vec::new();
        for fg in foregrounds
            .iter()
            .map(|s| s.to_string())
            .chain((0..SEVERITY_COLOURS).map(|n| format!("--sev{n}")))
        {
            for bg in surfaces {
                pairs.push((
                    format!("{fg} on {bg}"),
                    format!("var({fg})"),
                    format!("var({bg})"),
                ));
            }
        }
        for n in 0..SEVERITY_COLOURS {
            pairs.push((
                format!("--sev{n} on --sev{n}-bg"),
                format!("var(--sev{n})"),
                format!("var(--sev{n}-bg)"),
            ));
        }
        fn rule_pairs(rules: &[Rule], pairs: &mut Vec<(String, String, String)>) {
            for rule in rules {
                if rule.prelude.starts_with("@media print") {
                    continue;
                }
                let get = |names: &[&str]| {
                    rule.declarations
                        .iter()
                        .find(|(n, _)| names.contains(&n.as_str()))
                        .map(|(_, v)| v.clone())
                };
                if let (Some(fg), Some(bg)) =
                    (get(&["color"]), get(&["background", "background-color"]))
                {
                    pairs.push((rule.prelude.clone(), fg, bg));
                }
                rule_pairs(&rule.children, pairs);
            }
        }
        rule_pairs(&rules, &mut pairs);
        assert!(pairs.len() > 60, "{} pairs", pairs.len());

        let mut failures = Vec::new();
        for (name, palette) in [("light", &light), ("dark", &dark)] {
            for (what, fg, bg) in &pairs {
                // why: `currentColor`, `inherit` and `transparent` take their colour from
                // elsewhere; the surface pairs above cover what they inherit.
                let (Some(f), Some(b)) = (colour(fg, palette), colour(bg, palette)) else {
                    continue;
                };
                let ratio = contrast(f, b);
                if ratio < 4.5 {
                    failures.push(format!("{name}: {what}: {fg} on {bg} is {ratio:.2}:1"));
                }
            }
        }
        assert!(failures.is_empty(), "below 4.5:1:\n{}", failures.join("\n"));
    }

    #[test]
    fn the_palette_has_every_severity_colour_in_light_and_dark() {
        let theme = Theme::embedded();
        let css = std::str::from_utf8(&theme.files["static/style.css"]).unwrap();
        const { assert!(SEVERITY_COLOURS >= 5) };
        for n in 0..SEVERITY_COLOURS {
            assert!(css.contains(&format!(
                ".sev-c{n} {{ color: var(--sev{n}); background: var(--sev{n}-bg); }}"
            )));
            assert!(css.contains(&format!(".dot.sev-c{n} {{ background: var(--sev{n}); }}")));
            assert_eq!(
                css.matches(&format!("--sev{n}: #")).count(),
                2,
                "--sev{n} light and dark"
            );
            assert_eq!(
                css.matches(&format!("--sev{n}-bg: #")).count(),
                2,
                "--sev{n}-bg light and dark"
            );
        }
    }

    /// The files of a site of 15 SEV-1 post-mortems In Review, a week apart from 2024-01-01,
    /// with `front` in each, built on 2024-06-01.
    fn weekly_site(front: &str) -> Vec<OutputFile> {
        let config = Config::default();
        let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let postmortems = (0..15u64)
            .map(|n| {
                let day = start.checked_add_days(chrono::Days::new(7 * n)).unwrap();
                let text = format!(
                    "+++\ntitle = \"Outage {:02}\"\nseverity = \"SEV-1\"\nstatus = \"In Review\"\nstarted = {day}T09:41:00Z\n{front}+++\n\n## Summary\n\nThe disk filled.\n",
                    n + 1
                );
                crate::testing::parse(&format!("{day}-a"), &text, &config)
            })
            .collect();
        let now = chrono::DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z").unwrap();
        let archive = Archive::new(config, postmortems, now.to_utc());
        let renderer = Renderer::new(Theme::embedded()).unwrap();
        render(&archive, &Analysis::new(&archive), &renderer).unwrap()
    }

    /// The text of the file at `path`.
    fn text_of(files: &[OutputFile], path: &str) -> String {
        files
            .iter()
            .find_map(|f| match f {
                OutputFile::Bytes { path: p, contents } if p == path => {
                    Some(String::from_utf8(contents.clone()).unwrap())
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {path}"))
    }

    #[test]
    fn the_home_page_lists_the_worst_of_a_long_backlog_and_counts_the_rest() {
        let files = weekly_site("customer_impact = true\n");
        let home = text_of(&files, "index.html");
        let attention = &home
            [home.find("id=\"attention-h\"").unwrap()..home.find("class=\"page-head\"").unwrap()];
        // why: none of the 15 has its external message posted; the list shows the 10 oldest.
        let unposted = attention.matches("/#external-message\">").count();
        assert_eq!(unposted, crate::view::ATTENTION_LIMIT, "{attention}");
        assert!(attention.contains("and 5 more"), "{attention}");
        assert!(attention.contains("Outage 01"), "{attention}");
        assert!(!attention.contains("Outage 15"), "{attention}");
    }

    #[test]
    fn only_the_newest_weeks_have_their_digest_email() {
        let files = weekly_site("");
        let paths: Vec<&str> = files.iter().map(OutputFile::path).collect();
        let pages = paths
            .iter()
            .filter(|p| p.starts_with("digest/2024-W") && p.ends_with("/index.html"))
            .count();
        let emails: Vec<&&str> = paths
            .iter()
            .filter(|p| p.starts_with("digest/2024-W") && p.ends_with(".eml"))
            .collect();
        assert_eq!(pages, 15, "{paths:?}");
        assert_eq!(emails.len(), artifacts::digest::EMAIL_WEEKS, "{emails:?}");
        assert!(
            emails.contains(&&"digest/2024-W15.eml") && !emails.contains(&&"digest/2024-W03.eml")
        );
        let old = text_of(&files, "digest/2024-W01/index.html");
        assert!(
            old.contains("blameless digest --since 2024-01-01 --until 2024-01-07"),
            "{old}"
        );
    }

    #[test]
    fn base_path_is_the_url_path_with_a_slash() {
        assert_eq!(base_path("https://x.example"), "/");
        assert_eq!(base_path("https://x.example/pm/"), "/pm/");
        assert_eq!(base_path("http://localhost:8000/a/b"), "/a/b/");
    }
}
