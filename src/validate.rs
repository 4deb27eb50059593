//! Validate: the cross-file checks (`duplicate-id`, `unknown-related`, `broken-link`) over every
//! parsed source, turning them into an `Archive`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::{display_path, Code, Diagnostic};
use crate::markdown::{self, LinkTarget};
use crate::parse::Parsed;
use crate::postmortem::PostMortem;

/// Runs the cross-file checks. Returns the post-mortems that can be published (the first of
/// each duplicated id, in path order) and the problems found.
pub fn validate(parsed: Vec<Parsed>) -> (Vec<Arc<PostMortem>>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    // why: keyed by the lower-cased id, since `Case` and `case` are one page on a host whose
    // file names ignore case (macOS, Windows, many CDNs), and one would overwrite the other.
    let mut first_path: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
    let mut postmortems = Vec::new();
    for p in parsed {
        diagnostics.extend(p.diagnostics);
        if let Some((first_id, first)) = first_path.get(&p.id.to_lowercase()) {
            let message = if *first_id == p.id {
                format!("the id `{}` is also used by {}", p.id, display_path(first))
            } else {
                format!(
                    "the id `{}` differs only in case from `{first_id}` of {}",
                    p.id,
                    display_path(first)
                )
            };
            let mut d = Diagnostic::new(Code::DuplicateId, message).help(
                "ids are file names (or bundle directory names) and must be unique, ignoring \
                 case: rename one",
            );
            d = match &p.postmortem {
                Some(pm) => d.at(&pm.path, &pm.source, pm.field_span("title")),
                None => d.in_file(&p.path),
            };
            diagnostics.push(d);
            continue;
        }
        first_path.insert(p.id.to_lowercase(), (p.id.clone(), p.path.clone()));
        postmortems.extend(p.postmortem);
    }
    let ids: BTreeSet<&str> = first_path.values().map(|(id, _)| id.as_str()).collect();
    // why: reading a body's links parses its Markdown, the one costly step here, once per parse.
    let found: Vec<Vec<Diagnostic>> = postmortems
        .par_iter()
        .map(|pm| {
            let mut found = Vec::new();
            check_related(pm, &ids, &mut found);
            check_links(pm, &ids, &mut found);
            found
        })
        .collect();
    diagnostics.extend(found.into_iter().flatten());
    (postmortems, diagnostics)
}

fn check_related(pm: &PostMortem, ids: &BTreeSet<&str>, diagnostics: &mut Vec<Diagnostic>) {
    for (i, id) in pm.related.iter().enumerate() {
        if ids.contains(id.as_str()) {
            continue;
        }
        let help = match crate::diagnostic::did_you_mean(id, ids.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "`related` takes the ids (file names without `.md`) of other post-mortems".into()
            }
        };
        let span = pm.field_span(&format!("related.{i}"));
        diagnostics.push(
            pm.place(
                Diagnostic::new(
                    Code::UnknownRelated,
                    format!("`related` names `{id}`, which is not a post-mortem"),
                )
                .help(help),
                span,
            ),
        );
    }
}

fn check_links(pm: &PostMortem, ids: &BTreeSet<&str>, diagnostics: &mut Vec<Diagnostic>) {
    for link in pm.body_links() {
        let span = link.span.clone();
        // why: the renderer's own test, so that what is warned of is exactly what it drops.
        if comrak::html::dangerous_url(&link.url) {
            diagnostics.push(pm.place(
                Diagnostic::new(
                    Code::UnsafeLink,
                    format!(
                        "the {} `{}` is left out of the page: its scheme can run script or read local files",
                        if link.image { "image" } else { "link" },
                        link.url.chars().take(60).collect::<String>()
                    ),
                )
                .help("link to an `https://` page, or put the file in the post-mortem's bundle"),
                span,
            ));
            continue;
        }
        let problem = match markdown::classify(&link.url) {
            LinkTarget::External => None,
            LinkTarget::PostMortem { id, .. } if ids.contains(id.as_str()) => None,
            LinkTarget::PostMortem { id, .. } => Some((
                format!("link to `{}`: there is no post-mortem `{id}`", link.url),
                match crate::diagnostic::did_you_mean(&id, ids.iter().copied()) {
                    Some(s) => format!("did you mean `{s}.md`?"),
                    None => "link to another post-mortem by its file name, such as \
                             `2024-03-12-checkout-failover.md`"
                        .into(),
                },
            )),
            LinkTarget::File(file) if pm.assets.iter().any(|a| display_path(a) == file) => None,
            LinkTarget::File(file) => Some(match &pm.bundle {
                Some(bundle) => (
                    format!("link to `{}`: no file `{file}` in the bundle", link.url),
                    format!("put the file in `{}/`", display_path(bundle)),
                ),
                None => (
                    format!(
                        "link to `{}`: only files in a bundle are published",
                        link.url
                    ),
                    format!(
                        "turn the post-mortem into a bundle: move it to `content/{}/index.md` \
                         and put `{file}` beside it",
                        pm.id
                    ),
                ),
            }),
            LinkTarget::Outside => Some((
                format!("link to `{}` points outside the post-mortem", link.url),
                "files are published only from the post-mortem's own bundle directory".into(),
            )),
        };
        if let Some((message, help)) = problem {
            diagnostics.push(pm.place(Diagnostic::new(Code::BrokenLink, message).help(help), span));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::load::Source;

    fn source(path: &str, id: &str, extra: &str, body: &str) -> Source {
        Source {
            id: id.into(),
            path: PathBuf::from(path),
            bundle: None,
            assets: vec![],
            bytes: format!(
                "+++\ntitle = \"t\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = 2024-01-01T00:00:00Z\n{extra}+++\n{body}"
            )
            .into_bytes(),
            stamp: None,
        }
    }

    fn run(sources: &[Source]) -> (Vec<Arc<PostMortem>>, Vec<Diagnostic>) {
        let config = Config::default();
        validate(
            sources
                .iter()
                .map(|s| crate::parse::parse(s, &config))
                .collect(),
        )
    }

    #[test]
    fn duplicate_ids_keep_the_first_file() {
        let (pms, d) = run(&[
            source("content/2024/a.md", "a", "", ""),
            source("content/a.md", "a", "", ""),
        ]);
        assert_eq!(pms.len(), 1);
        assert_eq!(pms[0].path, PathBuf::from("content/2024/a.md"));
        assert_eq!(d[0].code, Code::DuplicateId);
        assert_eq!(d[0].message, "the id `a` is also used by content/2024/a.md");
    }

    #[test]
    fn ids_that_differ_only_in_case_are_duplicates() {
        let (pms, d) = run(&[
            source("content/Case.md", "Case", "", ""),
            source("content/case.md", "case", "", ""),
        ]);
        assert_eq!(pms.len(), 1);
        assert_eq!(d[0].code, Code::DuplicateId);
        assert_eq!(
            d[0].message,
            "the id `case` differs only in case from `Case` of content/Case.md"
        );
    }

    #[test]
    fn script_and_data_links_are_warned_of_at_their_line() {
        let (_, d) = run(&[source(
            "content/a.md",
            "a",
            "",
            "## Summary\n\nSee [this](javascript:alert(1)) and ![x](data:text/html,hi) and ![ok](data:image/png;base64,AA==).\n",
        )]);
        let found: Vec<(Code, usize)> = d
            .iter()
            .map(|d| (d.code, d.location.as_ref().unwrap().line))
            .collect();
        assert_eq!(
            found,
            [(Code::UnsafeLink, 9), (Code::UnsafeLink, 9)],
            "{d:?}"
        );
        assert!(
            d[0].message.contains("`javascript:alert(1)`"),
            "{}",
            d[0].message
        );
    }

    #[test]
    fn related_must_name_post_mortems() {
        let (_, d) = run(&[
            source("content/a.md", "a", "related = [\"b\", \"c\"]\n", ""),
            source("content/b.md", "b", "", ""),
        ]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, Code::UnknownRelated);
        assert_eq!(d[0].location.as_ref().unwrap().column, 17);
    }

    #[test]
    fn links_to_missing_post_mortems_and_files_are_broken() {
        let (_, d) = run(&[
            source(
                "content/a.md",
                "a",
                "",
                "\n[ok](b.md) [no](bb.md) ![img](x.png) [out](../../x.txt) [web](https://x)\n",
            ),
            source("content/b.md", "b", "", ""),
        ]);
        let messages: Vec<_> = d.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "link to `bb.md`: there is no post-mortem `bb`",
                "link to `x.png`: only files in a bundle are published",
                "link to `../../x.txt` points outside the post-mortem",
            ]
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `b.md`?"));
    }
}
