//! The external message: the `## External message` section as clean plain text that support
//! pastes into the status page (`/pm/<id>/external-message.txt`, `blameless message ID`).
//!
//! Also the Markdown-to-plain-text conversion the emails and the digest use: paragraphs
//! separated by blank lines and not re-wrapped (status pages and mail clients wrap for
//! themselves), lists as "- item" or "1. item", links as "text (url)", no Markdown syntax left.

use comrak::nodes::{AstNode, ListType, NodeValue};
use comrak::Arena;

use crate::postmortem::{PostMortem, SectionKind};

/// The external message of `pm` as plain text ending in a newline, or `None` when the
/// post-mortem has no `## External message` section or it is empty.
pub fn external_message(pm: &PostMortem) -> Option<String> {
    let section = pm.section(SectionKind::ExternalMessage)?;
    let text = plain_text(&section.markdown);
    (!text.is_empty()).then(|| format!("{text}\n"))
}

/// Markdown as plain text: blocks separated by blank lines, lists as "- item", links as
/// "text (url)", tables as "cell | cell" rows, no trailing newline.
pub fn plain_text(markdown: &str) -> String {
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, markdown, &crate::markdown::options());
    blocks(root, true, 0).join("\n\n")
}

/// How deep containers and inline spans are rendered with their structure; deeper ones give
/// their plain text, so that nothing a source nests can exhaust the stack.
const MAX_DEPTH: usize = 32;

/// The blocks under a container, each rendered to text; empty ones are dropped.
fn blocks<'a>(node: &'a AstNode<'a>, loose: bool, depth: usize) -> Vec<String> {
    let mut out = Vec::new();
    for child in node.children() {
        let text = block(child, depth + 1);
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

fn block<'a>(node: &'a AstNode<'a>, depth: usize) -> String {
    if depth > MAX_DEPTH {
        return crate::markdown::node_text(node);
    }
    let value = node.data().value.clone();
    match value {
        NodeValue::Paragraph | NodeValue::Heading(_) | NodeValue::TableCell => {
            inline_children(node, depth).trim().to_string()
        }
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
                    let body = blocks(item, !list.tight, depth).join("\n\n");
                    indent_item(&format!("{marker}{task}"), &body)
                })
                .collect();
            items.join(if list.tight { "\n" } else { "\n\n" })
        }
        NodeValue::Table(_) => node
            .children()
            .map(|row| {
                row.children()
                    .map(|cell| block(cell, depth + 1))
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        NodeValue::HtmlBlock(_) | NodeValue::ThematicBreak | NodeValue::FootnoteDefinition(_) => {
            String::new()
        }
        _ => blocks(node, true, depth).join("\n\n"),
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

fn inline_children<'a>(node: &'a AstNode<'a>, depth: usize) -> String {
    let mut out = String::new();
    for child in node.children() {
        inline(child, &mut out, depth + 1);
    }
    out
}

fn inline<'a>(node: &'a AstNode<'a>, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str(&crate::markdown::node_text(node));
        return;
    }
    let value = node.data().value.clone();
    match value {
        NodeValue::Text(text) => out.push_str(&text),
        NodeValue::Code(code) => out.push_str(&code.literal),
        NodeValue::SoftBreak => out.push(' '),
        NodeValue::LineBreak => out.push('\n'),
        NodeValue::HtmlInline(_) => {}
        NodeValue::Link(link) => {
            let text = inline_children(node, depth);
            let url = link.url.strip_prefix("mailto:").unwrap_or(&link.url);
            if text.is_empty() || text == url || text == link.url {
                out.push_str(url);
            } else {
                out.push_str(&format!("{text} ({url})"));
            }
        }
        NodeValue::Image(_) => out.push_str(&inline_children(node, depth)),
        _ => out.push_str(&inline_children(node, depth)),
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
