//! The external message: the `## External message` section as clean plain text that support
//! pastes into the status page (`/pm/<id>/external-message.txt`, `blameless message ID`).
//!
//! Also the Markdown-to-plain-text conversion the emails and the digest use: blocks separated
//! by blank lines, lists as "- item" or "1. item", links as "text (url)", no Markdown syntax
//! left. [`plain_text`] does not re-wrap (a status page wraps for itself, and a hard line break
//! pasted there stays one); [`filled_text`], for the text part of an email, fills paragraphs
//! and list items to a width with [`fill`].

use comrak::nodes::{AstNode, ListType, NodeValue};
use comrak::Arena;

use crate::markdown::Rewriter;
use crate::postmortem::{PostMortem, SectionKind};

/// The external message of `pm` as plain text ending in a newline, or `None` when the
/// post-mortem has no `## External message` section or it is empty.
pub fn external_message(pm: &PostMortem) -> Option<String> {
    let section = pm.section(SectionKind::ExternalMessage)?;
    let text = plain_text(section.markdown());
    (!text.is_empty()).then(|| format!("{text}\n"))
}

/// Markdown as plain text: blocks separated by blank lines, lists as "- item", links as
/// "text (url)", tables as "cell | cell" rows, no trailing newline. Each paragraph is one line.
pub fn plain_text(markdown: &str) -> String {
    convert(markdown, &Flow::default())
}

/// Markdown as [`plain_text`] with paragraphs, headings and list items filled to `width`
/// columns (list items with a hanging indent), link destinations mapped by `rewrite`, and an
/// image as "description (url)". Code blocks and table rows are kept as they are; a word longer
/// than `width` stays whole.
pub fn filled_text(markdown: &str, rewrite: &Rewriter, width: usize) -> String {
    convert(
        markdown,
        &Flow {
            width: Some(width),
            rewrite: Some(rewrite),
        },
    )
}

/// Fills `text` to `width` columns: breaks at ASCII spaces and between CJK characters (which
/// are written without spaces), never inside another word, so a URL or a word longer than the
/// width stays whole on its own line; `first` before the first line and `rest` before the
/// others; a `\n` in `text` is a hard line break. Columns are display columns (a CJK character
/// counts two).
pub fn fill(text: &str, width: usize, first: &str, rest: &str) -> String {
    // why: first fit, breaks only where `words` allows and no hyphen splitting: the output is
    // what a reader expects from "wrap at 72", and a URL or an id with hyphens is never cut.
    let options = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::Custom(words))
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::fill(text, &options)
}

/// The pieces a line may break between: words between ASCII spaces, and each of those split
/// around CJK characters, except before closing punctuation (`、`, `。`, `」`) and after opening
/// punctuation (`「`), as Japanese and Chinese typesetting keeps them.
fn words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    Box::new(
        textwrap::WordSeparator::AsciiSpace
            .find_words(line)
            .flat_map(|word| {
                // why: an ASCII word has no CJK character to break around, and nearly every
                // word of an email is one: it goes as it is, with no list made for it.
                let (whole, pieces) = if word.word.is_ascii() {
                    (Some(word), Vec::new())
                } else {
                    (None, split_cjk(word))
                };
                whole.into_iter().chain(pieces)
            }),
    )
}

fn split_cjk(word: textwrap::core::Word<'_>) -> Vec<textwrap::core::Word<'_>> {
    use textwrap::core::{display_width, Word};
    const NO_BREAK_BEFORE: &str = "、。，．・：；！？）」』】〕〉》｝］ーっッ";
    const NO_BREAK_AFTER: &str = "（「『【〔〈《｛［";
    let text = word.word;
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous: Option<char> = None;
    for (i, c) in text.char_indices() {
        if let Some(p) = previous {
            if (is_cjk(c) || is_cjk(p))
                && !NO_BREAK_BEFORE.contains(c)
                && !NO_BREAK_AFTER.contains(p)
            {
                pieces.push(Word::from(&text[start..i]));
                start = i;
            }
        }
        previous = Some(c);
    }
    // why: the last piece keeps the word's trailing space.
    let last = &text[start..];
    pieces.push(Word {
        word: last,
        width: display_width(last),
        ..word
    });
    pieces
}

/// Whether `c` is written without spaces around it: CJK ideographs, kana, their punctuation
/// and full-width forms.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x30FF      // CJK punctuation, hiragana, katakana
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFF00..=0xFF60    // full-width forms
        | 0x20000..=0x3FFFF) // extensions B and later
}

/// How the conversion lays text out: filled to a width or one line a paragraph, and whether
/// link destinations are mapped.
#[derive(Clone, Copy, Default)]
struct Flow<'r> {
    /// The width paragraphs are filled to; `None` keeps each paragraph on one line.
    width: Option<usize>,
    /// Maps link destinations as the HTML part does; `None` keeps them as written.
    rewrite: Option<&'r Rewriter>,
}

impl Flow<'_> {
    /// The flow inside a list item whose marker takes `columns`.
    fn indented(&self, columns: usize) -> Self {
        Flow {
            width: self.width.map(|w| w.saturating_sub(columns).max(1)),
            ..*self
        }
    }

    fn fill(&self, text: &str) -> String {
        match self.width {
            Some(width) => fill(text, width, "", ""),
            None => text.to_string(),
        }
    }
}

fn convert(markdown: &str, flow: &Flow<'_>) -> String {
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, markdown, &crate::markdown::options());
    blocks(root, true, 0, flow).join("\n\n")
}

/// How deep containers and inline spans are rendered with their structure; deeper ones give
/// their plain text, so that nothing a source nests can exhaust the stack.
const MAX_DEPTH: usize = 32;

/// The blocks under a container, each rendered to text; empty ones are dropped.
fn blocks<'a>(node: &'a AstNode<'a>, loose: bool, depth: usize, flow: &Flow<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for child in node.children() {
        let text = block(child, depth + 1, flow);
        if text.trim().is_empty() {
            continue;
        }
        // why: in a tight list item the paragraph and a nested list sit on adjacent lines.
        match out.last_mut() {
            Some(last) if !loose => {
                let last: &mut String = last;
                last.push('\n');
                last.push_str(&text);
            }
            _ => out.push(text),
        }
    }
    out
}

fn block<'a>(node: &'a AstNode<'a>, depth: usize, flow: &Flow<'_>) -> String {
    if depth > MAX_DEPTH {
        return flow.fill(&crate::markdown::node_text(node));
    }
    // why: borrowed, not cloned: a clone copies every text the node holds.
    match &node.data().value {
        NodeValue::Paragraph | NodeValue::Heading(_) => {
            flow.fill(inline_children(node, depth, flow).trim())
        }
        NodeValue::TableCell => inline_children(node, depth, flow).trim().to_string(),
        NodeValue::CodeBlock(code) => code.literal.trim_end().to_string(),
        NodeValue::List(list) => {
            let mut number = list.start;
            let items: Vec<String> = node
                .children()
                .map(|item| {
                    let marker = match list.list_type {
                        ListType::Bullet => "- ".to_string(),
                        ListType::Ordered => {
                            number += 1;
                            format!("{}. ", number - 1)
                        }
                    };
                    let task = match &item.data().value {
                        NodeValue::TaskItem(task) if task.symbol.is_some() => "[x] ",
                        NodeValue::TaskItem(_) => "[ ] ",
                        _ => "",
                    };
                    let marker = format!("{marker}{task}");
                    let inner = flow.indented(marker.chars().count());
                    let body = blocks(item, !list.tight, depth, &inner).join("\n\n");
                    indent_item(&marker, &body)
                })
                .collect();
            items.join(if list.tight { "\n" } else { "\n\n" })
        }
        NodeValue::Table(_) => node
            .children()
            .map(|row| {
                row.children()
                    .map(|cell| block(cell, depth + 1, flow))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        NodeValue::HtmlBlock(_) | NodeValue::ThematicBreak | NodeValue::FootnoteDefinition(_) => {
            String::new()
        }
        _ => blocks(node, true, depth, flow).join("\n\n"),
    }
}

/// A list item: the marker before the first line, the following lines indented under it.
fn indent_item(marker: &str, body: &str) -> String {
    let pad = " ".repeat(marker.len());
    let mut out = String::new();
    for (i, line) in body.lines().enumerate() {
        if i == 0 {
            out.push_str(marker);
        } else {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    if out.is_empty() {
        out.push_str(marker.trim_end());
    }
    out
}

fn inline_children<'a>(node: &'a AstNode<'a>, depth: usize, flow: &Flow<'_>) -> String {
    let mut out = String::new();
    for child in node.children() {
        inline(child, &mut out, depth + 1, flow);
    }
    out
}

fn inline<'a>(node: &'a AstNode<'a>, out: &mut String, depth: usize, flow: &Flow<'_>) {
    if depth > MAX_DEPTH {
        out.push_str(&crate::markdown::node_text(node));
        return;
    }
    match &node.data().value {
        NodeValue::Text(text) => out.push_str(text),
        NodeValue::Code(code) => out.push_str(&code.literal),
        NodeValue::SoftBreak => out.push(' '),
        NodeValue::LineBreak => out.push('\n'),
        NodeValue::HtmlInline(_) => {}
        NodeValue::Link(link) => {
            let text = inline_children(node, depth, flow);
            let url = flow
                .rewrite
                .map_or_else(|| link.url.clone(), |r| r.to_html(&link.url));
            let url = url.strip_prefix("mailto:").unwrap_or(&url);
            if text.is_empty() || text == url || text == link.url {
                out.push_str(url);
            } else {
                out.push_str(&format!("{text} ({url})"));
            }
        }
        // why: the HTML part of an email links to an image rather than showing it; the text
        // part says where it is too.
        NodeValue::Image(link) => {
            let text = inline_children(node, depth, flow);
            let url = flow
                .rewrite
                .map(|r| r.to_html(&link.url))
                .filter(|url| crate::markdown::is_web_url(url));
            match url {
                Some(url) if text.is_empty() => out.push_str(&url),
                Some(url) => out.push_str(&format!("{text} ({url})")),
                None => out.push_str(&text),
            }
        }
        _ => out.push_str(&inline_children(node, depth, flow)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;

    #[test]
    fn deeply_nested_quotes_lists_and_emphasis_do_not_overflow_the_stack() {
        let text = format!(
            "{} quoted\n\n{} item\n\n{}bold{}\n",
            ">".repeat(7000),
            "- ".repeat(3000),
            "*".repeat(6000),
            "*".repeat(6000)
        );
        // why: a small stack, so that recursion past the bound would fail here.
        let plain = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || plain_text(&text))
            .unwrap()
            .join()
            .unwrap();
        assert!(plain.contains("quoted"), "{plain}");
        assert!(plain.contains("item") && plain.contains("bold"), "{plain}");
    }

    #[test]
    fn external_message_is_clean_plain_text() {
        let text = external_message(&fixtures::full()).unwrap();
        insta::assert_snapshot!(text, @"
        Checkout problems on 12 March

        On Tuesday 12 March between 09:41 and 10:20 (CET), some payments failed at checkout.

        What we are doing about it:

        - We changed how our database switches over.
        - We added an alert, so we notice sooner.

        We are sorry. Details: https://status.example.com/incidents/42.
        ");
        assert!(!text.contains("**") && !text.contains("](") && !text.contains('#'));
        // why: a status page wraps for itself; a line break pasted into it would stay.
        assert!(text.lines().any(|l| l.len() > 72), "{text}");
    }

    fn same() -> Rewriter {
        std::sync::Arc::new(|u: &str| u.to_string())
    }

    #[test]
    fn filled_text_fills_paragraphs_and_items_and_keeps_code_and_tables() {
        let markdown = "A paragraph long enough to be filled: it goes on and on, past the width of thirty columns, see [the page](other.md) and ![the graph](https://x.example/g.png).\n\n- An item long enough to wrap under its own marker with a hanging indent\n  1. and a nested item that wraps too, under its own number\n- https://example.com/a-url-longer-than-the-width-stays-whole\n\n```\na code line longer than the width is kept as it is, whole\n```\n\n| a table row | longer than the width | is kept whole |\n|---|---|---|\n| 1 | 2 | 3 |\n";
        let rewrite: Rewriter = std::sync::Arc::new(|u: &str| match u.strip_suffix(".md") {
            Some(id) => format!("https://x.example/pm/{id}/"),
            None => u.to_string(),
        });
        insta::assert_snapshot!(filled_text(markdown, &rewrite, 30), @"
        A paragraph long enough to be
        filled: it goes on and on,
        past the width of thirty
        columns, see the page
        (https://x.example/pm/other/)
        and the graph
        (https://x.example/g.png).

        - An item long enough to wrap
          under its own marker with a
          hanging indent
          1. and a nested item that
             wraps too, under its own
             number
        - https://example.com/a-url-longer-than-the-width-stays-whole

        a code line longer than the width is kept as it is, whole

        a table row | longer than the width | is kept whole
        1 | 2 | 3
        ");
    }

    #[test]
    fn cjk_text_breaks_between_characters_but_not_before_closing_punctuation() {
        let text = "これは長い日本語の文で、折り返しの幅を確認するためのものです。次の文。";
        let filled = fill(text, 20, "", "");
        assert!(filled.lines().count() > 2, "{filled}");
        for line in filled.lines() {
            assert!(textwrap::core::display_width(line) <= 20, "{filled}");
            assert!(!line.starts_with(['、', '。']), "{filled}");
        }
        assert_eq!(filled.replace('\n', ""), text);
        // A word of Latin letters is never cut, however long.
        assert_eq!(fill("a b-c-d-e-f-g", 4, "", ""), "a\nb-c-d-e-f-g");
    }

    mod filling {
        use super::*;
        use proptest::prelude::*;

        fn word() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => "[a-z]{1,12}",
                1 => "[a-z]{2,5}-[0-9]{1,4}",
                1 => "https://example\\.com/[a-z0-9/]{60,100}",
                1 => "[\u{4e00}-\u{4e80}\u{3041}-\u{3093}、。]{1,50}",
                1 => prop_oneof![Just("Überlast"), Just("e\u{301}te\u{301}"), Just("🚨"), Just("東京")]
                    .prop_map(str::to_string),
            ]
        }

        fn words(max: usize) -> impl Strategy<Value = String> {
            proptest::collection::vec(word(), 1..max).prop_map(|w| w.join(" "))
        }

        /// A Markdown block: a paragraph (maybe with a hard break), a list with nested items,
        /// a code block or a table.
        fn block() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => (words(40), proptest::option::of(words(10)))
                    .prop_map(|(a, b)| match b { Some(b) => format!("{a}  \n{b}"), None => a }),
                2 => (proptest::collection::vec((words(25), proptest::option::of(words(20))), 1..4), any::<bool>())
                    .prop_map(|(items, ordered)| {
                        items.iter().enumerate().map(|(i, (item, nested))| {
                            let marker = if ordered { format!("{}. ", i + 1) } else { "- ".into() };
                            let pad = " ".repeat(marker.len());
                            match nested {
                                Some(n) => format!("{marker}{item}\n{pad}- [x] {n}"),
                                None => format!("{marker}{item}"),
                            }
                        }).collect::<Vec<_>>().join("\n")
                    }),
                1 => words(20).prop_map(|w| format!("```\n$ {w}\n```")),
                1 => (words(8), words(8)).prop_map(|(a, b)| format!("| {a} | {b} |\n|---|---|\n| {b} | {a} |")),
            ]
        }

        /// Whether `line`, without its indent and list markers, is one piece that cannot break.
        fn unbreakable(line: &str) -> bool {
            let mut rest = line.trim_start();
            loop {
                let before = rest;
                for marker in ["- ", "[x] ", "[ ] "] {
                    rest = rest.strip_prefix(marker).unwrap_or(rest);
                }
                let digits =
                    rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
                if digits > 0 {
                    rest = rest[digits..].strip_prefix(". ").map_or(rest, |r| r);
                }
                if rest == before {
                    break;
                }
            }
            !rest.contains(' ') && !rest.chars().any(is_cjk)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            /// No line of filled text is wider than the width, except one word that cannot be
            /// broken, a code line or a table row; filling changes nothing but white space.
            #[test]
            fn no_line_is_wider_than_the_width_but_an_unbreakable_word(
                blocks in proptest::collection::vec(block(), 1..6),
            ) {
                let markdown = blocks.join("\n\n");
                let filled = filled_text(&markdown, &same(), 72);
                for line in filled.lines() {
                    let code_or_table = line.trim_start().starts_with("$ ") || line.contains(" | ");
                    prop_assert!(
                        textwrap::core::display_width(line) <= 72 || code_or_table || unbreakable(line),
                        "too wide: {line:?}\n{filled}"
                    );
                }
                for code in markdown.lines().filter(|l| l.starts_with("$ ")) {
                    prop_assert!(filled.lines().any(|l| l == code), "code line changed: {code}");
                }
                let visible = |t: &str| t.chars().filter(|c| !c.is_whitespace()).collect::<String>();
                prop_assert_eq!(visible(&filled), visible(&plain_text(&markdown)));
            }
        }
    }

    #[test]
    fn no_section_no_message() {
        let (id, text) = fixtures::OTHERS[0];
        assert_eq!(external_message(&fixtures::parse(id, text)), None);
    }

    #[test]
    fn converts_markdown_constructs() {
        let markdown = "# Title\n\nSome **bold**, _emphasis_, `code` and\na [link](https://x.example/a \"t\").\nLine  \nbreak.\n\n1. one\n2. two\n   - nested\n\n- loose\n\n  second paragraph\n- [x] done\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n<div>raw</div>\n\nMail <ops@x.example>, ![alt text](img.png).\n";
        insta::assert_snapshot!(plain_text(markdown), @"
        Title

        Some bold, emphasis, code and a link (https://x.example/a). Line
        break.

        1. one
        2. two
           - nested

        - loose

          second paragraph

        - [x] done

        quoted

        a | b
        1 | 2

        Mail ops@x.example, alt text.
        ");
    }
}
