//! Markdown through comrak: safe HTML for the site, plain text for search and emails, and the
//! links of a body for the broken-link check.
//!
//! Raw HTML in a source is never passed through (comrak's safe mode replaces it with a comment
//! and drops `javascript:` URLs), so a post-mortem cannot run script in a reader's browser.

use std::ops::Range;
use std::sync::Arc;

use comrak::arena_tree::NodeEdge;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options};

/// A link or image found in a Markdown text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyLink {
    /// The destination as written.
    pub url: String,
    /// Byte span of the link in the text it was found in.
    pub span: Range<usize>,
    /// Whether it is an image.
    pub image: bool,
}

/// Where a relative link points, once classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// Leave as written: an absolute URL, a fragment, or a site path.
    External,
    /// Another post-mortem's source file, with an optional `#fragment`.
    PostMortem { id: String, fragment: String },
    /// A file beside the source (in a bundle), as a clean relative path.
    File(String),
    /// A path that climbs out of its directory: never followed.
    Outside,
}

/// Classifies a link destination written in a post-mortem.
pub fn classify(url: &str) -> LinkTarget {
    let url = url.trim();
    let has_scheme = url.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if url.is_empty() || has_scheme || url.starts_with(['#', '/', '?']) {
        return LinkTarget::External;
    }
    let (path, fragment) = match url.find(['#', '?']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let path = percent_decode(path);
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    // why: `../other.md` from a flat file means a sibling post-mortem, which is
                    // fine; any other climb could reach outside the archive.
                    if !path.ends_with(".md") {
                        return LinkTarget::Outside;
                    }
                }
            }
            part => parts.push(part),
        }
    }
    match parts.as_slice() {
        [.., dir, "index.md"] => LinkTarget::PostMortem {
            id: dir.to_string(),
            fragment: fragment.to_string(),
        },
        [.., file] if file.ends_with(".md") => LinkTarget::PostMortem {
            id: file.trim_end_matches(".md").to_string(),
            fragment: fragment.to_string(),
        },
        [] => LinkTarget::External,
        parts => LinkTarget::File(parts.join("/")),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The Markdown dialect of post-mortems: CommonMark with GFM tables, autolinks,
/// strikethrough, task lists and footnotes; raw HTML is never passed through.
pub fn options<'c>() -> Options<'c> {
    let mut options = Options::default();
    options.extension.table = true;
    options.extension.autolink = true;
    options.extension.strikethrough = true;
    options.extension.tasklist = true;
    options.extension.footnotes = true;
    options.extension.header_id_prefix = Some(String::new());
    options.render.r#unsafe = false;
    options
}

/// Maps a link or image destination as written to the one the HTML should have.
pub type Rewriter = Arc<dyn comrak::options::URLRewriter>;

/// Renders Markdown to safe HTML; `rewrite` maps every link and image destination.
pub fn to_html(markdown: &str, rewrite: &Rewriter) -> String {
    let mut options = options();
    options.extension.link_url_rewriter = Some(rewrite.clone());
    options.extension.image_url_rewriter = Some(rewrite.clone());
    comrak::markdown_to_html(markdown, &options)
}

/// Renders one line of Markdown (a table cell, a list item) without the paragraph around it.
pub fn inline_to_html(markdown: &str, rewrite: &Rewriter) -> String {
    let html = to_html(markdown, rewrite);
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => trimmed.to_string(),
    }
}

/// The plain text of Markdown: words of every block, one block per line, no syntax.
pub fn to_text(markdown: &str) -> String {
    if is_plain_line(markdown) {
        return markdown.trim().to_string();
    }
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, markdown, &options());
    let mut out = String::new();
    collect_text(root, &mut out);
    out.trim().to_string()
}

/// Whether `markdown` is one line that Markdown reads as one paragraph of plain text: no
/// character that starts or ends an inline (emphasis, code, links, images, HTML, entities,
/// escapes, strikethrough, footnotes), no line break, and a first character that cannot open
/// a block (a heading, quote, list, rule, fence, table or indented code). Its text is itself.
// why: the index asks for the text of every timeline row, and most rows are such lines (345
// of the 371 in 40 real post-mortems); each was a Markdown parse.
fn is_plain_line(markdown: &str) -> bool {
    // why: a table of bytes, not `contains(&[char])`, which compares each character with all
    // sixteen: on an archive whose every row has a link, that cost more than the parses it
    // spared. The sixteen are ASCII, and no byte of another UTF-8 character is.
    const INLINE: [bool; 256] = {
        let mut table = [false; 256];
        let bytes = b"\n\r\0\\`*_[]<>!&~|$";
        let mut i = 0;
        while i < bytes.len() {
            table[bytes[i] as usize] = true;
            i += 1;
        }
        table
    };
    let opens_block = |c: char| c.is_whitespace() || c.is_ascii_digit() || "#>-+=:".contains(c);
    !markdown.bytes().any(|b| INLINE[b as usize]) && !markdown.starts_with(opens_block)
}

/// The plain text of one parsed node and everything under it.
pub fn node_text<'a>(node: &'a AstNode<'a>) -> String {
    let mut out = String::new();
    collect_text(node, &mut out);
    out.trim().to_string()
}

fn collect_text<'a>(node: &'a AstNode<'a>, out: &mut String) {
    // why: a flat walk over start and end edges rather than recursion, so that a source with
    // thousands of nested block quotes or lists cannot overflow the stack. A table's header row ("Time | Event") is
    // layout, not text: in a snippet it reads as residue.
    let mut in_header = false;
    for edge in node.traverse() {
        match edge {
            NodeEdge::Start(node) => match &node.data().value {
                NodeValue::TableRow(true) => in_header = true,
                _ if in_header => {}
                NodeValue::Text(t) => out.push_str(t),
                NodeValue::Code(c) => out.push_str(&c.literal),
                NodeValue::CodeBlock(c) => out.push_str(&c.literal),
                NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
                _ => {}
            },
            NodeEdge::End(node) if in_header => {
                in_header = !matches!(node.data().value, NodeValue::TableRow(true));
            }
            NodeEdge::End(node) if matches!(node.data().value, NodeValue::TableCell) => {
                if !out.is_empty() && !out.ends_with(['\n', ' ']) {
                    out.push(' ');
                }
            }
            NodeEdge::End(node) => {
                if node.data().value.block() && out.ends_with(' ') {
                    out.pop();
                }
                if node.data().value.block() && !out.ends_with('\n') && !out.is_empty() {
                    out.push('\n');
                }
            }
        }
    }
}

/// Plain text of the first paragraph, for summaries.
pub fn first_paragraph_text(markdown: &str) -> String {
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, markdown, &options());
    root.descendants()
        .find(|n| matches!(n.data().value, NodeValue::Paragraph))
        .map(|p| {
            let mut out = String::new();
            collect_text(p, &mut out);
            out.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .unwrap_or_default()
}

/// Every link and image of a Markdown text, with its byte span in that text.
pub fn links(markdown: &str) -> Vec<BodyLink> {
    if !may_link(markdown) {
        return Vec::new();
    }
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, markdown, &options());
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(markdown.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: usize, column: usize| {
        let start = line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        (start + column.saturating_sub(1)).min(markdown.len())
    };
    root.descendants()
        .filter_map(|node| {
            let data = node.data();
            let (url, image) = match &data.value {
                NodeValue::Link(link) => (link.url.clone(), false),
                NodeValue::Image(link) => (link.url.clone(), true),
                _ => return None,
            };
            let pos = data.sourcepos;
            let start = offset(pos.start.line, pos.start.column);
            let end = offset(pos.end.line, pos.end.column + 1).max(start);
            Some(BodyLink {
                url,
                span: start..end,
                image,
            })
        })
        .collect()
}

/// Whether `markdown` has what every link needs: a bracket (`[text](url)`, images and
/// references), an angle bracket (`<url>`), or what an autolink starts from (the `:` of
/// `https:` and `mailto:`, the `@` of an address, `www.`). Most timeline rows have none, and
/// for them the parse is skipped.
fn may_link(markdown: &str) -> bool {
    markdown.contains(['[', '<', ':', '@'])
        || markdown
            .as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"www."))
}

/// `markdown` with its HTML comments (the template's hints) blanked out, byte for byte, so that
/// the rules read what is published while their spans still point into the source.
pub fn without_comments(markdown: &str) -> std::borrow::Cow<'_, str> {
    if !markdown.contains("<!--") {
        return markdown.into();
    }
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("-->")
            .map_or(rest.len(), |i| start + i + 3);
        // why: one space per byte, line ends kept, so every offset stays where it was.
        out.extend(
            rest[start..end]
                .bytes()
                .map(|b| if b == b'\n' { '\n' } else { ' ' }),
        );
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.into()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    // why: every value a template prints comes through here; copying the runs between the
    // five ASCII characters it replaces, rather than pushing character by character, took it
    // from 2% of a large build to a fraction of that.
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut copied = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // why: the five are ASCII, so `i` is on a character boundary.
        out.push_str(&text[copied..i]);
        out.push_str(entity);
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether `url` is safe to put in an `href` that the source chose: http, https or mailto.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// The URL of a ticket: itself when it is a URL, else the archive's template.
pub fn ticket_url(ticket: &str, template: Option<&str>) -> Option<String> {
    if is_web_url(ticket) {
        return Some(ticket.to_string());
    }
    if ticket.contains(':') || ticket.contains('/') {
        return None;
    }
    template.map(|t| t.replace("{ticket}", ticket))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`a_plain_line_is_its_own_text`] makes its lines of: words, autolinks, and every
    /// ASCII punctuation character and space, each as likely as a word.
    const PIECES: &[&str] = &[
        "a", "bc", "Café", "東京", "1", "42", "www.", "https://", "x@y.io", ".com", " ", "  ",
        "\t", "\n", "\r", "\\", "`", "*", "_", "[", "]", "(", ")", "<", ">", "!", "&", "~", "|",
        "$", "#", "=", "+", "-", ":", ";", ",", ".", "?", "'", "\"", "@", "/", "^", "%", "{", "}",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2048))]

        /// Escaping replaces the five characters HTML gives meaning to, and only those, in
        /// any text: accents, scripts and emoji next to them included.
        #[test]
        fn escaping_replaces_exactly_the_five_characters(text in "[a&<>\"'é東😀\\s]{0,40}") {
            let expected: String = text
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    '\'' => "&#39;".to_string(),
                    c => c.to_string(),
                })
                .collect();
            proptest::prop_assert_eq!(escape_html(&text), expected);
        }

        /// The links of a text are what comrak finds in it, whether or not the parse is
        /// skipped: no text that [`may_link`] passes over has one.
        #[test]
        fn skipping_the_parse_finds_the_same_links(
            text in "([a-z ]|www\\.|WwW\\.|https?|ftp|mailto|x@y\\.io|\\.com|[\\[\\]()<>:@/._*!^-]){0,16}"
        ) {
            let arena = Arena::new();
            let root = comrak::parse_document(&arena, &text, &options());
            let found = root
                .descendants()
                .filter(|n| matches!(n.data().value, NodeValue::Link(_) | NodeValue::Image(_)))
                .count();
            proptest::prop_assert_eq!(links(&text).len(), found);
            if !may_link(&text) {
                proptest::prop_assert_eq!(found, 0);
            }
        }

        /// A line that [`is_plain_line`] passes has the text comrak gives it, whatever words,
        /// autolinks, unicode and punctuation it is made of.
        #[test]
        fn a_plain_line_is_its_own_text(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..10)
        ) {
            let text = pieces.concat();
            let arena = Arena::new();
            let root = comrak::parse_document(&arena, &text, &options());
            let mut parsed = String::new();
            collect_text(root, &mut parsed);
            if is_plain_line(&text) {
                proptest::prop_assert_eq!(to_text(&text), parsed.trim());
            }
        }
    }

    #[test]
    fn a_plain_line_takes_no_parse_but_markup_does() {
        for plain in [
            "Paged the on-call: 503s from checkout-api",
            "see www.example.com/x, a@b.io",
        ] {
            assert!(is_plain_line(plain), "{plain}");
        }
        for markup in [
            "1. first",
            "- item",
            "# heading",
            "a *b*",
            "a &amp; b",
            "    code",
            "a\nb",
        ] {
            assert!(!is_plain_line(markup), "{markup}");
        }
    }

    #[test]
    fn a_table_reads_as_rows_without_its_header() {
        let text = to_text(
            "| Time | Event |\n| --- | --- |\n| 13:05 | Export starts |\n| 13:52 | Mitigated |\n",
        );
        assert_eq!(text, "13:05 Export starts\n13:52 Mitigated");
    }

    #[test]
    fn tickets_link_through_the_template() {
        assert_eq!(
            ticket_url("OPS-1", Some("https://t.example/browse/{ticket}")).as_deref(),
            Some("https://t.example/browse/OPS-1")
        );
        assert_eq!(ticket_url("OPS-1", None), None);
        assert_eq!(
            ticket_url("https://t/1", None).as_deref(),
            Some("https://t/1")
        );
    }

    fn same() -> Rewriter {
        Arc::new(|u: &str| u.to_string())
    }

    #[test]
    fn renders_gfm_extensions() {
        let html = to_html(
            "### Heading here\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ https://example.com\n\n- [x] done\n",
            &same(),
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>old</del>"), "{html}");
        assert!(html.contains("<a href=\"https://example.com\">"), "{html}");
        assert!(html.contains("type=\"checkbox\""), "{html}");
        assert!(html.contains("id=\"heading-here\""), "{html}");
    }

    #[test]
    fn raw_html_and_script_urls_are_not_passed_through() {
        let html = to_html(
            "<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> [x](javascript:alert(1))\n",
            &same(),
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn extracts_plain_text() {
        assert_eq!(
            to_text("Some **bold** and `code`.\n\n- item [link](x)\n"),
            "Some bold and code.\nitem link"
        );
        assert_eq!(first_paragraph_text("\nA *b*\nc.\n\nNext."), "A b c.");
    }

    #[test]
    fn thousands_of_nested_quotes_and_lists_do_not_overflow_the_stack() {
        // why: run on a thread with a small stack, so that recursion anywhere would fail here.
        let text = format!("{} deep\n\n{} item\n", ">".repeat(7000), "- ".repeat(3000));
        let html = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || (to_text(&text), to_html(&text, &same()), links(&text).len()))
            .unwrap()
            .join()
            .unwrap();
        assert!(html.0.contains("deep"), "{}", html.0);
        assert!(html.1.contains("deep"));
    }

    #[test]
    fn comments_are_blanked_in_place() {
        let text = "a <!-- no \"outage\"\nhere --> b <!-- open";
        let blanked = without_comments(text);
        assert_eq!(blanked.len(), text.len());
        assert!(
            !blanked.contains("outage") && !blanked.contains("open"),
            "{blanked}"
        );
        assert_eq!(blanked.find('b'), text.find(" b").map(|i| i + 1));
        assert_eq!(blanked.lines().count(), 2);
    }

    #[test]
    fn finds_links_with_spans() {
        let text = "x\nsee [the other](other.md#impact) and ![g](g.png)\n";
        let links = links(text);
        assert_eq!(links.len(), 2);
        assert_eq!(&text[links[0].span.clone()], "[the other](other.md#impact)");
        assert!(links[1].image);
    }

    #[test]
    fn classifies_links() {
        assert_eq!(classify("https://x.example/a.md"), LinkTarget::External);
        assert_eq!(classify("#impact"), LinkTarget::External);
        assert_eq!(
            classify("../2024-a.md#timeline"),
            LinkTarget::PostMortem {
                id: "2024-a".into(),
                fragment: "#timeline".into()
            }
        );
        assert_eq!(
            classify("../b/index.md"),
            LinkTarget::PostMortem {
                id: "b".into(),
                fragment: String::new()
            }
        );
        assert_eq!(
            classify("./img/graph%20one.png"),
            LinkTarget::File("img/graph one.png".into())
        );
        assert_eq!(classify("../../etc/passwd"), LinkTarget::Outside);
        assert_eq!(classify("img/../../x.png"), LinkTarget::Outside);
    }
}
