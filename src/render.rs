//! Render: the `Archive` into the site's files. Pure: templates see the view structs of
//! `view`, never the model, and the result is a list of files for `output` to write.
//!
//! Every link in the site is relative (`../../pm/x/`), so the site works from any host, any
//! sub-path and straight from the disk.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Tera};

use crate::archive::Archive;
use crate::artifacts;
use crate::diagnostic::display_path;
use crate::markdown;
use crate::theme::Theme;
use crate::view::{attention, card, facets, postmortem_view, SiteView};

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
        self.tera
            .render(template, context)
            .map(String::into_bytes)
            .map_err(|e| anyhow::anyhow!(tera_chain(&e)))
            .with_context(|| format!("cannot render template {template}"))
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

/// Renders the whole site.
pub fn render(archive: &Archive, renderer: &Renderer) -> Result<Vec<OutputFile>> {
    let site = SiteView {
        title: &archive.config.title,
        base_url: &archive.config.base_url,
    };
    let cards: Vec<String> = archive
        .postmortems
        .par_iter()
        .map(|pm| {
            let mut context = Context::new();
            context.insert("root", ROOT_MARKER);
            context.insert("pm", &card(pm));
            renderer
                .page("card.html", &context)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })
        .collect::<Result<_>>()?;
    let facets = facets(archive);
    let list = |template: &str, page: &ListPage, context: &mut Context| -> Result<OutputFile> {
        let items: Vec<&str> = page.items.iter().map(|i| cards[*i].as_str()).collect();
        context.insert("site", &site);
        context.insert("root", &page.root);
        context.insert("cards", &items);
        context.insert("pagination", &page.pagination);
        let html = String::from_utf8(renderer.page(template, context)?)
            .context("a template produced text that is not UTF-8")?;
        Ok(OutputFile::Bytes {
            path: format!("{}index.html", page.dir),
            contents: html.replace(ROOT_MARKER, &page.root).into_bytes(),
        })
    };

    let mut files = Vec::new();
    let everything: Vec<usize> = (0..archive.postmortems.len()).collect();
    let attention = attention(archive);
    let pages: Vec<Result<OutputFile>> = paginate("", &everything, PAGE_SIZE)
        .par_iter()
        .map(|page| {
            let mut context = Context::new();
            context.insert("facets", &facets);
            if page.pagination.current == 1 {
                context.insert("attention", &attention);
            }
            list("index.html", page, &mut context)
        })
        .collect();
    for page in pages {
        files.push(page?);
    }
    files.extend(site_artifacts(archive, renderer, &site)?);
    let mut context = Context::new();
    context.insert("site", &site);
    context.insert("root", "../");
    files.push(OutputFile::Bytes {
        path: "search/index.html".into(),
        contents: renderer.page("search.html", &context)?,
    });
    let mut context = Context::new();
    context.insert("site", &site);
    // why: a host serves 404.html at any depth, so its links start at the site's own path.
    context.insert("root", &base_path(&archive.config.base_url));
    files.push(OutputFile::Bytes {
        path: "404.html".into(),
        contents: renderer.page("404.html", &context)?,
    });

    for facet in &facets {
        let mut context = Context::new();
        context.insert("site", &site);
        context.insert("root", "../");
        context.insert("facet", facet);
        files.push(OutputFile::Bytes {
            path: format!("{}/index.html", facet.key),
            contents: renderer.page("facet_index.html", &context)?,
        });
        let pages: Vec<Result<Vec<OutputFile>>> = facet
            .values
            .par_iter()
            .map(|value| {
                paginate(
                    &format!("{}/{}/", facet.key, value.slug),
                    &value.members,
                    PAGE_SIZE,
                )
                .iter()
                .map(|page| {
                    let mut context = Context::new();
                    context.insert("facet", facet);
                    context.insert("value", value);
                    list("facet.html", page, &mut context)
                })
                .collect()
            })
            .collect();
        for page in pages {
            files.extend(page?);
        }
    }

    let pages: Vec<Result<Vec<OutputFile>>> = archive
        .postmortems
        .par_iter()
        .map(|pm| {
            let view = postmortem_view(pm, archive);
            let mut context = Context::new();
            context.insert("site", &site);
            context.insert("root", "../../");
            context.insert("pm", &view);
            let mut out = vec![OutputFile::Bytes {
                path: format!("pm/{}/index.html", pm.id),
                contents: renderer.page("postmortem.html", &context)?,
            }];
            let config = &archive.config;
            if let Some(message) = artifacts::message::external_message(pm) {
                out.push(bytes(format!("pm/{}/external-message.txt", pm.id), message));
            }
            out.push(bytes(
                format!("pm/{}/internal-email.eml", pm.id),
                artifacts::email::internal_email(pm, config, archive.now),
            ));
            if let Some(invite) = artifacts::ics::meeting_invite(pm, config) {
                out.push(bytes(format!("pm/{}/meeting.ics", pm.id), invite));
            }
            if let Some(bundle) = &pm.bundle {
                for asset in &pm.assets {
                    out.push(OutputFile::Copy {
                        path: format!("pm/{}/{}", pm.id, display_path(asset)),
                        from: bundle.join(asset),
                    });
                }
            }
            Ok(out)
        })
        .collect();
    for page in pages {
        files.extend(page?);
    }

    for (path, bytes) in renderer.theme.statics() {
        files.push(OutputFile::Bytes {
            path: format!("static/{path}"),
            contents: bytes.to_vec(),
        });
    }
    files.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(files)
}

fn bytes(path: String, contents: String) -> OutputFile {
    OutputFile::Bytes {
        path,
        contents: contents.into_bytes(),
    }
}

/// The archive-wide files: feed, catalog, actions, digests.
fn site_artifacts(
    archive: &Archive,
    renderer: &Renderer,
    site: &SiteView,
) -> Result<Vec<OutputFile>> {
    let rows = artifacts::actions::rows(archive);
    // why: the catalog and the digests are the two large pieces of work here.
    let (catalog, weeks) = rayon::join(
        || artifacts::catalog::json(archive),
        || artifacts::digest::weeks(archive, archive.now),
    );
    let mut files = vec![
        bytes("feed.xml".into(), artifacts::feed::feed(archive)),
        bytes("postmortems.json".into(), catalog),
        bytes("actions.csv".into(), artifacts::actions::csv(&rows)),
        bytes("actions.json".into(), artifacts::actions::json(&rows)),
    ];
    let open = rows
        .iter()
        .filter(|r| r.status == crate::postmortem::ActionStatus::Open)
        .count();
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let everything: Vec<usize> = (0..rows.len()).collect();
    let pages: Vec<Result<OutputFile>> = paginate("actions/", &everything, ACTIONS_PAGE_SIZE)
        .par_iter()
        .map(|page| {
            let shown: Vec<&artifacts::actions::ActionRow> =
                page.items.iter().map(|i| &rows[*i]).collect();
            let mut context = Context::new();
            context.insert("site", site);
            context.insert("root", &page.root);
            context.insert("actions", &shown);
            context.insert("total", &rows.len());
            context.insert("open", &open);
            context.insert("overdue", &overdue);
            context.insert("pagination", &page.pagination);
            Ok(OutputFile::Bytes {
                path: format!("{}index.html", page.dir),
                contents: renderer.page("actions.html", &context)?,
            })
        })
        .collect();
    for page in pages {
        files.push(page?);
    }
    let mut context = Context::new();
    context.insert("site", site);
    context.insert("root", "../");

    context.insert("weeks", &weeks);
    files.push(OutputFile::Bytes {
        path: "digest/index.html".into(),
        contents: renderer.page("digest_index.html", &context)?,
    });
    let (since, until) = artifacts::digest::default_period(&archive.config, archive.now);
    files.push(bytes(
        "digest/latest.eml".into(),
        artifacts::digest::digest_email(archive, since, until, archive.now),
    ));
    let pages: Vec<Result<Vec<OutputFile>>> = weeks
        .par_iter()
        .map(|week| {
            let mut context = Context::new();
            context.insert("site", site);
            context.insert("root", "../../");
            context.insert("week", week);
            Ok(vec![
                OutputFile::Bytes {
                    path: format!("digest/{}/index.html", week.week),
                    contents: renderer.page("digest.html", &context)?,
                },
                bytes(
                    format!("digest/{}.eml", week.week),
                    artifacts::digest::email(&archive.config, &week.digest, archive.now),
                ),
            ])
        })
        .collect();
    for page in pages {
        files.extend(page?);
    }
    Ok(files)
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

    #[test]
    fn base_path_is_the_url_path_with_a_slash() {
        assert_eq!(base_path("https://x.example"), "/");
        assert_eq!(base_path("https://x.example/pm/"), "/pm/");
        assert_eq!(base_path("http://localhost:8000/a/b"), "/a/b/");
    }
}
