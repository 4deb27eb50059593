//! How both emails, the internal email and the digest, are laid out for mail clients: one
//! decision for both, between composing a body (`email`, `digest`) and building the message
//! (`email::build`).
//!
//! The text part is filled to [`TEXT_WIDTH`] columns. The HTML part is what mail clients
//! render alike: a table layout (a 100% outer table around a centred content table of at most
//! 600 px), every style inline, a system font stack, no images, SVG, script or web fonts, and no
//! classes. Every element that has a colour has its text and background colour both, so that a
//! client that inverts colours keeps the contrast; a `prefers-color-scheme: dark` block (the only
//! `<style>`, and nothing in it is needed for the layout) swaps each colour for its dark one.
//!
//! The emails write bare HTML (Markdown's, from `markdown::to_html`, and their own headings,
//! lists, tables and `<small>` for muted text); [`style`] gives every element its inline style
//! from its tag and from the colours of what it sits in.

use std::fmt::Write as _;

use super::email::Body;
use super::message;
use crate::markdown::{escape_html, Rewriter};

/// The width the text part is filled to, in columns.
pub const TEXT_WIDTH: usize = 72;

/// One paragraph of the text part, filled to [`TEXT_WIDTH`]: `first` before its first line and
/// `rest` before the others (a list item: `"- "` and `"  "`).
pub fn fill(paragraph: &str, first: &str, rest: &str) -> String {
    message::fill(paragraph, TEXT_WIDTH, first, rest)
}

/// Markdown in the text part, `indent` spaces in: filled to [`TEXT_WIDTH`] columns in all, with
/// links through `rewrite` like the HTML part's.
pub fn markdown_text(markdown: &str, rewrite: &Rewriter, indent: usize) -> String {
    let pad = " ".repeat(indent);
    message::filled_text(markdown, rewrite, TEXT_WIDTH.saturating_sub(indent))
        .lines()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Both parts of an email: `text`, then a last line `"{label}: {url}"`; `html` (bare) styled
/// for mail clients in the layout, then `label` as a button-like link to `url`.
pub fn body(title: &str, mut text: String, html: &str, label: &str, url: &str) -> Body {
    let _ = write!(text, "\n{}\n", fill(&format!("{label}: {url}"), "", ""));
    Body {
        text,
        html: document(title, html, label, url),
    }
}

/// A colour and the one it becomes in dark mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Colour {
    light: &'static str,
    dark: &'static str,
}

/// Around the content.
const PAGE: Colour = Colour {
    light: "#f3f4f6",
    dark: "#010409",
};
/// The content's background.
const CARD: Colour = Colour {
    light: "#ffffff",
    dark: "#0d1117",
};
/// Header cells and code.
const SUBTLE: Colour = Colour {
    light: "#f6f8fa",
    dark: "#161b22",
};
/// Text.
const TEXT: Colour = Colour {
    light: "#1f2328",
    dark: "#e6edf3",
};
/// The facts line, quotes, footnotes.
const MUTED: Colour = Colour {
    light: "#59636e",
    dark: "#9198a1",
};
/// Links.
const LINK: Colour = Colour {
    light: "#0969da",
    dark: "#4493f8",
};
/// Rules and cell borders.
const BORDER: Colour = Colour {
    light: "#d1d9e0",
    dark: "#3d444d",
};
/// The button: the same in both modes, white on a blue that reads on either page.
const BUTTON: Colour = Colour {
    light: "#0969da",
    dark: "#0969da",
};
const BUTTON_TEXT: Colour = Colour {
    light: "#ffffff",
    dark: "#ffffff",
};

/// Every background with the text colours used on it, for the dark block and the contrast test.
const PAIRS: [(Colour, &[Colour]); 4] = [
    (PAGE, &[TEXT]),
    (CARD, &[TEXT, MUTED, LINK]),
    (SUBTLE, &[TEXT, MUTED, LINK]),
    (BUTTON, &[BUTTON_TEXT]),
];

// why: fonts every system has, named in single quotes so that they sit in a style attribute.
const FONT: &str =
    "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Helvetica,Arial,sans-serif";
const MONO: &str = "ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace";

/// An inline style: declarations joined by `;` without spaces, the form the dark block's
/// selectors match (`[style^="color:…"]`, `[style*=";color:…"]`).
#[derive(Clone, Debug, Default)]
struct Style(String);

impl Style {
    fn new() -> Style {
        Style::default()
    }

    fn set(mut self, property: &str, value: &str) -> Style {
        if !self.0.is_empty() {
            self.0.push(';');
        }
        self.0.push_str(property);
        self.0.push(':');
        self.0.push_str(value);
        self
    }

    fn font(self, family: &str, size: &str, line_height: &str) -> Style {
        self.set("font-family", family)
            .set("font-size", size)
            .set("line-height", line_height)
    }

    /// Text and background together, never one without the other.
    fn colours(self, text: Colour, background: Colour) -> Style {
        self.set("color", text.light)
            .set("background-color", background.light)
    }

    fn border(self, side: &str, width: &str) -> Style {
        self.set(side, &format!("{width} solid {}", BORDER.light))
    }
}

/// The dark-mode block: each light colour of an inline style swapped for its dark one.
fn dark_mode_css() -> String {
    let mut css = String::from("@media (prefers-color-scheme: dark) {\n");
    let mut backgrounds = Vec::new();
    let mut texts = Vec::new();
    for (background, on) in PAIRS {
        if !backgrounds.contains(&background) {
            backgrounds.push(background);
        }
        for text in on {
            if !texts.contains(text) {
                texts.push(*text);
            }
        }
    }
    for c in backgrounds.iter().filter(|c| c.light != c.dark) {
        let _ = writeln!(
            css,
            "  [style*=\"background-color:{}\"] {{ background-color: {} !important; }}",
            c.light, c.dark
        );
    }
    for c in texts.iter().filter(|c| c.light != c.dark) {
        let _ = writeln!(
            css,
            "  [style^=\"color:{0}\"], [style*=\";color:{0}\"] {{ color: {1} !important; }}",
            c.light, c.dark
        );
    }
    let _ = writeln!(
        css,
        "  [style*=\"solid {}\"] {{ border-color: {} !important; }}",
        BORDER.light, BORDER.dark
    );
    css.push('}');
    css
}

/// The whole HTML document: the layout around `content`, styled, and the button.
fn document(title: &str, content: &str, label: &str, url: &str) -> String {
    let body_style = Style::new()
        .set("margin", "0")
        .set("padding", "0")
        .set("width", "100%")
        .set("-webkit-text-size-adjust", "100%")
        .set("text-size-adjust", "100%")
        .colours(TEXT, PAGE);
    let outer_table = Style::new()
        .set("width", "100%")
        .set("border-collapse", "collapse")
        .colours(TEXT, PAGE);
    let outer_cell = Style::new().set("padding", "24px 8px").colours(TEXT, PAGE);
    // why: `width="600"` for clients that ignore max-width; the style lets it shrink on a phone.
    let inner_table = Style::new()
        .set("width", "100%")
        .set("max-width", "600px")
        .set("border-collapse", "separate")
        .border("border", "1px")
        .set("border-radius", "8px")
        .colours(TEXT, CARD);
    let inner_cell = Style::new()
        .set("padding", "24px 20px")
        .set("text-align", "left")
        .font(FONT, "16px", "1.5")
        // why: `anywhere` (and `break-word` where it is not known) lets a long URL break, so
        // that it does not widen the content, tables included, past a phone's screen.
        .set("overflow-wrap", "anywhere")
        .set("word-break", "break-word")
        .colours(TEXT, CARD);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"supported-color-schemes\" content=\"light dark\">\n\
         <title>{title}</title>\n<style>\n{css}\n</style>\n</head>\n\
         <body style=\"{body_style}\">\n\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" bgcolor=\"{page}\" style=\"{outer_table}\">\n\
         <tr>\n<td align=\"center\" bgcolor=\"{page}\" style=\"{outer_cell}\">\n\
         <table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" bgcolor=\"{card}\" style=\"{inner_table}\">\n\
         <tr>\n<td bgcolor=\"{card}\" style=\"{inner_cell}\">\n\
         {content}{button}\
         </td>\n</tr>\n</table>\n</td>\n</tr>\n</table>\n</body>\n</html>\n",
        title = escape_html(title),
        css = dark_mode_css(),
        body_style = body_style.0,
        outer_table = outer_table.0,
        outer_cell = outer_cell.0,
        inner_table = inner_table.0,
        inner_cell = inner_cell.0,
        page = PAGE.light,
        card = CARD.light,
        content = style(content),
        button = button(label, url),
    )
}

/// A link that looks like a button: a one-cell table, so that its colour shows everywhere.
fn button(label: &str, url: &str) -> String {
    let table = Style::new()
        .set("margin", "24px 0 0")
        .set("border-collapse", "separate");
    let cell = Style::new()
        .set("border-radius", "6px")
        .colours(BUTTON_TEXT, BUTTON);
    let link = Style::new()
        .set("display", "inline-block")
        .set("padding", "12px 20px")
        .font(FONT, "16px", "1.25")
        .set("font-weight", "600")
        .set("text-decoration", "none")
        .set("border-radius", "6px")
        .colours(BUTTON_TEXT, BUTTON);
    format!(
        "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"{}\">\n\
         <tr>\n<td align=\"center\" bgcolor=\"{}\" style=\"{}\"><a href=\"{}\" style=\"{}\">{}</a></td>\n\
         </tr>\n</table>\n",
        table.0,
        BUTTON.light,
        cell.0,
        escape_html(url),
        link.0,
        escape_html(label)
    )
}

/// The colours an element sits in: inherited by what it holds, changed by some elements.
#[derive(Clone, Copy, Debug)]
struct Context {
    text: Colour,
    background: Colour,
    in_pre: bool,
    in_link: bool,
}

/// Elements that have no end tag.
const VOID: [&str; 4] = ["br", "hr", "img", "input"];

/// Gives every element of bare HTML its inline style. The input is HTML this program wrote
/// (comrak's safe output, or the emails' own escaped tags), so every `<` starts a tag or a
/// comment and attribute values are quoted. Comments and classes go; an image becomes a link to
/// it (mail clients block remote images, and a reader may not want them fetched); a task-list
/// box becomes ☑ or ☐; a link with no content (a heading's anchor) goes.
fn style(html: &str) -> String {
    let root = Context {
        text: TEXT,
        background: CARD,
        in_pre: false,
        in_link: false,
    };
    let mut out = String::with_capacity(html.len() * 3);
    // why: the open elements' contexts; an end tag without its start pops nothing.
    let mut stack: Vec<Context> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let context = stack.last().copied().unwrap_or(root);
        out.push_str(&text_in(&rest[..start], context));
        rest = &rest[start..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(tag) = Tag::read(rest) else {
            out.push_str("&lt;");
            rest = &rest[1..];
            continue;
        };
        rest = &rest[tag.len..];
        if tag.closing {
            if !VOID.contains(&tag.name.as_str()) {
                stack.pop();
            }
            let _ = write!(out, "</{}>", tag.name);
            continue;
        }
        if tag.name == "a" && rest.starts_with("</a>") {
            rest = &rest["</a>".len()..];
            continue;
        }
        let (element, inner) = styled(&tag, context);
        out.push_str(&element);
        if !tag.self_closing && !VOID.contains(&tag.name.as_str()) {
            stack.push(inner);
        }
    }
    out.push_str(&text_in(rest, stack.last().copied().unwrap_or(root)));
    out
}

/// How many characters make a word long enough to be given places to break.
const LONG_WORD: usize = 16;

/// Text as it shows in `context`: a long word (a URL, a `snake_case` or `camelCase` name, a
/// path) may break after each `/`, `.`, `_`, `?` or `=` that a letter or digit follows, and
/// between a lower-case and an upper-case letter, as it may at a hyphen.
/// Table cells break only between words, and such a word would otherwise widen the message
/// past a phone's screen. Code blocks wrap by themselves. (`&` and `;` are never break places:
/// the text is escaped, and `&amp;` is one character.)
fn text_in(text: &str, context: Context) -> std::borrow::Cow<'_, str> {
    let long = |word: &str| word.chars().count() >= LONG_WORD;
    if context.in_pre || !text.split_whitespace().any(long) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 32);
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        if !long(word) {
            out.push_str(piece);
            continue;
        }
        let mut chars = word.chars().peekable();
        let mut previous = ' ';
        while let Some(c) = chars.next() {
            out.push(c);
            let before_letter = chars.peek().is_some_and(|n| n.is_alphanumeric());
            // why: never right after a scheme's `//`, which would end a line in "https://".
            let scheme = c == '/' && previous == '/';
            let separator = matches!(c, '/' | '.' | '_' | '?' | '=') && before_letter && !scheme;
            let camel_case = c.is_lowercase() && chars.peek().is_some_and(|n| n.is_uppercase());
            if separator || camel_case {
                out.push_str("<wbr>");
            }
            previous = c;
        }
        out.push_str(&piece[word.len()..]);
    }
    out.into()
}

/// An opening or closing tag as read from the HTML.
struct Tag {
    name: String,
    /// Attributes in order, with their values as written (already escaped).
    attributes: Vec<(String, Option<String>)>,
    closing: bool,
    self_closing: bool,
    /// Its length in bytes, `<` to `>`.
    len: usize,
}

impl Tag {
    /// Reads the tag at the start of `text`, or `None` when `<` starts no tag.
    fn read(text: &str) -> Option<Tag> {
        let bytes = text.as_bytes();
        let mut i = 1;
        let closing = bytes.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let name_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        if i == name_start || !bytes[name_start].is_ascii_alphabetic() {
            return None;
        }
        let name = text[name_start..i].to_ascii_lowercase();
        let mut attributes = Vec::new();
        let mut self_closing = false;
        loop {
            while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            match bytes.get(i)? {
                b'>' => break,
                b'/' => {
                    self_closing = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
            {
                i += 1;
            }
            if i == start {
                return None;
            }
            let attribute = text[start..i].to_ascii_lowercase();
            let value = if bytes.get(i) == Some(&b'=') {
                i += 1;
                let quote = *bytes.get(i)?;
                if quote == b'"' || quote == b'\'' {
                    let end = i + 1 + text[i + 1..].find(quote as char)?;
                    let value = text[i + 1..end].to_string();
                    i = end + 1;
                    Some(value)
                } else {
                    let start = i;
                    while bytes
                        .get(i)
                        .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                    {
                        i += 1;
                    }
                    Some(text[start..i].to_string())
                }
            } else {
                None
            };
            attributes.push((attribute, value));
        }
        Some(Tag {
            name,
            attributes,
            closing,
            self_closing,
            len: i + 1,
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    fn has(&self, name: &str) -> bool {
        self.attributes.iter().any(|(n, _)| n == name)
    }
}

/// The element for `tag` in `context`, and the context of what it holds.
fn styled(tag: &Tag, context: Context) -> (String, Context) {
    let Context {
        text, background, ..
    } = context;
    let mut inner = context;
    let align = tag
        .get("align")
        .filter(|a| matches!(*a, "left" | "center" | "right"));
    let style = match tag.name.as_str() {
        "h1" => Some(
            Style::new()
                .set("margin", "0 0 8px")
                .font(FONT, "24px", "1.25")
                .set("font-weight", "600")
                .colours(text, background),
        ),
        "h2" => Some(
            Style::new()
                .set("margin", "28px 0 12px")
                .set("padding", "0 0 6px")
                .border("border-bottom", "1px")
                .font(FONT, "19px", "1.3")
                .set("font-weight", "600")
                .colours(text, background),
        ),
        "h3" | "h4" | "h5" | "h6" => Some(
            Style::new()
                .set("margin", "20px 0 8px")
                .font(FONT, "16px", "1.4")
                .set("font-weight", "600")
                .colours(text, background),
        ),
        "p" => Some(
            Style::new()
                .set("margin", "0 0 16px")
                .colours(text, background),
        ),
        "ul" | "ol" => Some(
            Style::new()
                .set("margin", "0 0 16px")
                .set("padding", "0 0 0 24px")
                .colours(text, background),
        ),
        "li" => Some(
            Style::new()
                .set("margin", "0 0 6px")
                .colours(text, background),
        ),
        "small" => {
            inner.text = MUTED;
            Some(
                Style::new()
                    .set("font-size", "0.875em")
                    .colours(MUTED, background),
            )
        }
        "a" => {
            inner.text = LINK;
            inner.in_link = true;
            Some(
                Style::new()
                    .set("text-decoration", "underline")
                    .colours(LINK, background),
            )
        }
        "blockquote" => {
            inner.text = MUTED;
            Some(
                Style::new()
                    .set("margin", "0 0 16px")
                    .set("padding", "0 0 0 12px")
                    .border("border-left", "4px")
                    .colours(MUTED, background),
            )
        }
        "section" => {
            inner.text = MUTED;
            Some(
                Style::new()
                    .set("margin", "24px 0 0")
                    .set("padding", "12px 0 0")
                    .border("border-top", "1px")
                    .set("font-size", "14px")
                    .colours(MUTED, background),
            )
        }
        "hr" => Some(
            Style::new()
                .set("margin", "24px 0")
                .set("border", "0")
                .border("border-top", "1px")
                .set("height", "0"),
        ),
        // why: cells break only between words (`normal`), not anywhere: a table shares its width
        // out by content, and a short word ("Status") in a narrow column would be cut.
        "table" => Some(
            Style::new()
                .set("width", "100%")
                .set("margin", "0 0 16px")
                .set("border-collapse", "collapse")
                .border("border", "1px")
                .font(FONT, "14px", "1.4")
                .set("overflow-wrap", "break-word")
                .set("word-break", "normal")
                .colours(text, background),
        ),
        "th" => {
            inner.background = SUBTLE;
            Some(
                Style::new()
                    .set("padding", "6px 8px")
                    .border("border", "1px")
                    .set("text-align", align.unwrap_or("left"))
                    .set("vertical-align", "bottom")
                    .set("font-weight", "600")
                    .colours(text, SUBTLE),
            )
        }
        "td" => {
            let style = Style::new()
                .set("padding", "6px 8px")
                .border("border", "1px")
                .set("vertical-align", "top");
            let style = match align {
                Some(align) => style.set("text-align", align),
                None => style,
            };
            let style = if tag.has("nowrap") {
                style.set("white-space", "nowrap")
            } else {
                style
            };
            Some(style.colours(text, background))
        }
        "pre" => {
            inner.background = SUBTLE;
            inner.in_pre = true;
            // why: a long line wraps rather than widening the message past a phone's screen.
            Some(
                Style::new()
                    .set("margin", "0 0 16px")
                    .set("padding", "12px")
                    .border("border", "1px")
                    .set("border-radius", "6px")
                    .font(MONO, "13px", "1.45")
                    .set("white-space", "pre-wrap")
                    .set("overflow-wrap", "anywhere")
                    .colours(text, SUBTLE),
            )
        }
        "code" if context.in_pre => Some(
            Style::new()
                .font(MONO, "13px", "1.45")
                .colours(text, SUBTLE),
        ),
        "code" => {
            inner.background = SUBTLE;
            Some(
                Style::new()
                    .set("padding", "1px 4px")
                    .set("border-radius", "4px")
                    .set("font-family", MONO)
                    .set("font-size", "0.9em")
                    .colours(text, SUBTLE),
            )
        }
        "img" => return (image(tag, context), inner),
        "input" if tag.get("type") == Some("checkbox") => {
            let mark = if tag.has("checked") { "☑" } else { "☐" };
            return (mark.to_string(), inner);
        }
        "input" => return (String::new(), inner),
        _ => None,
    };
    let mut element = format!("<{}", tag.name);
    // why: nothing here needs a class, and a style the source wrote would not be ours.
    let own = |name: &&(String, Option<String>)| name.0 != "class" && name.0 != "style";
    for (name, value) in tag.attributes.iter().filter(own) {
        match value {
            Some(value) => {
                let _ = write!(element, " {name}=\"{value}\"");
            }
            None => {
                let _ = write!(element, " {name}");
            }
        }
    }
    if let Some(style) = style {
        let _ = write!(element, " style=\"{}\"", style.0);
    }
    element.push_str(if tag.self_closing { " />" } else { ">" });
    (element, inner)
}

/// An image as a link to it with its description, or the description alone when its source is
/// not a web address (a `data:` image, which many clients refuse) or it is inside a link.
fn image(tag: &Tag, context: Context) -> String {
    let alt = tag
        .get("alt")
        .filter(|a| !a.trim().is_empty())
        .unwrap_or("image");
    match tag.get("src") {
        // why: inside a link, a second link would nest; the description alone reads right.
        Some(src) if !context.in_link && crate::markdown::is_web_url(src) => format!(
            "<a href=\"{src}\" style=\"{}\">{alt}</a>",
            Style::new()
                .set("text-decoration", "underline")
                .colours(LINK, context.background)
                .0
        ),
        _ => alt.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::{digest, email, fixtures};
    use mail_parser::MessageParser;

    /// Markdown with every construct that needs a style or a change for mail clients.
    const RICH: &str = "### A heading\n\nSome `code`, a [link](https://x.example/a), ![a graph](https://x.example/g.png), ![](data:image/png;base64,AAAA) and a note[^1].\n\n> quoted **text**\n\n```sh\nls -l <dir>\n```\n\n| left | right |\n|:--|--:|\n| [![badge](https://x.example/b.png)](https://x.example/) | 2 |\n\n- [x] done\n- [ ] open\n\n<div class=\"raw\">raw</div>\n\n---\n\n[^1]: The note.\n";

    /// What every HTML part must be for mail clients; panics naming what is wrong.
    fn assert_made_for_mail_clients(html: &str) {
        for meta in [
            "<meta name=\"color-scheme\" content=\"light dark\">",
            "<meta name=\"supported-color-schemes\" content=\"light dark\">",
        ] {
            assert!(html.contains(meta), "no {meta}");
        }
        let lower = html.to_ascii_lowercase();
        for banned in [
            "<svg",
            "<img",
            "<script",
            "<link",
            "<input",
            "<iframe",
            "<form",
            "<object",
            "<video",
            "@import",
            "@font-face",
            "url(",
            "class=",
            "javascript:",
            "<!--",
        ] {
            assert!(
                !lower.contains(banned),
                "`{banned}` in the HTML part:\n{html}"
            );
        }
        // The one <style> holds the dark-mode query and nothing else.
        assert_eq!(lower.matches("<style").count(), 1);
        let css = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
        let css = css.trim();
        assert!(
            css.starts_with("@media (prefers-color-scheme: dark) {") && css.ends_with('}'),
            "{css}"
        );
        let inner = &css[css.find('{').unwrap() + 1..css.len() - 1];
        assert!(
            inner
                .lines()
                .all(|l| l.trim().is_empty() || l.trim().ends_with('}')),
            "not only rules in the dark block: {css}"
        );
        // Every element that lays out or holds text has its style inline, and every colour
        // comes with its background: a client that inverts colours keeps the pair readable.
        let dark_colours: Vec<&str> = css
            .match_indices('#')
            .map(|(i, _)| &css[i..i + 7])
            .collect();
        let tags = regex::Regex::new(r#"<([a-z][a-z0-9]*)([^>]*)>"#).unwrap();
        let style = regex::Regex::new(r#"style="([^"]*)""#).unwrap();
        let hex = regex::Regex::new(r"#[0-9a-f]{6}").unwrap();
        let must_be_styled = [
            "body",
            "table",
            "td",
            "th",
            "h1",
            "h2",
            "h3",
            "p",
            "ul",
            "ol",
            "li",
            "a",
            "pre",
            "code",
            "blockquote",
        ];
        for tag in tags.captures_iter(html) {
            let (name, attributes) = (&tag[1], &tag[2]);
            let declared = style.captures(attributes).map(|s| s[1].to_string());
            if must_be_styled.contains(&name) {
                assert!(declared.is_some(), "<{name}{attributes}> has no style");
            }
            let Some(declared) = declared else { continue };
            let text = declared.starts_with("color:") || declared.contains(";color:");
            let background = declared.contains("background-color:");
            assert!(
                text == background || name == "table" && !text,
                "<{name}> sets one colour without the other: {declared}"
            );
            for colour in hex.find_iter(&declared) {
                let colour = colour.as_str();
                let same_in_dark = [BUTTON, BUTTON_TEXT].iter().any(|c| c.light == colour);
                assert!(
                    same_in_dark || dark_colours.contains(&colour),
                    "<{name}> uses {colour}, which the dark block does not swap"
                );
            }
        }
    }

    fn html_part(raw: &str) -> String {
        let message = MessageParser::default().parse(raw.as_bytes()).unwrap();
        message.body_html(0).unwrap().into_owned()
    }

    #[test]
    fn every_html_part_is_made_for_mail_clients() {
        let config = fixtures::config();
        let rich = fixtures::FULL.replace("## Impact\n", &format!("## Impact\n\n{RICH}\n"));
        let written = fixtures::FULL.replace(
            "## External message",
            &format!("## Internal email\n\nHi all,\n\n{RICH}\n\n## External message"),
        );
        for pm in [
            fixtures::full(),
            fixtures::parse("2024-03-12-rich", &rich),
            fixtures::parse("2024-03-12-written", &written),
        ] {
            let html = html_part(&email::internal_email(&pm, &config, fixtures::now()));
            assert_made_for_mail_clients(&html);
        }
        let archive = fixtures::archive();
        let analysis = crate::insights::Analysis::new(&archive);
        let (since, until) = (
            chrono::NaiveDate::from_ymd_opt(2024, 3, 11).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
        );
        let raw = digest::digest_email(&archive, &analysis, since, until, fixtures::now());
        assert_made_for_mail_clients(&html_part(&raw));
    }

    #[test]
    fn markdown_is_styled_inline_with_images_boxes_and_anchors_made_safe() {
        let rewrite: Rewriter = std::sync::Arc::new(|u: &str| u.to_string());
        let html = style(&crate::markdown::to_html(RICH, &rewrite));
        // An image becomes a link to it; a data: image and one inside a link, their text.
        assert!(
            html.contains("<a href=\"https://x.example/g.png\" style=\"text-decoration:underline;color:#0969da;background-color:#ffffff\">a graph</a>"),
            "{html}"
        );
        assert!(html.contains("</a>, image and a note"), "{html}");
        assert!(html.contains(">badge</a>"), "{html}");
        // Task boxes as characters; the heading's empty anchor and the raw HTML's comment go.
        assert!(html.contains("☑ done") && html.contains("☐ open"), "{html}");
        assert!(!html.contains("href=\"#a-heading\""), "{html}");
        // Code inside a block has no second box; a column keeps its alignment as a style.
        assert!(html.contains("<code style=\"font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace;font-size:13px;line-height:1.45;color:#1f2328;background-color:#f6f8fa\">ls -l &lt;dir&gt;"), "{html}");
        assert!(html.contains("text-align:right"), "{html}");
        // A header cell sits on the subtle background, and so does a link in it.
        let th = &html[html.find("<th").unwrap()..html.find("</th>").unwrap()];
        assert!(th.contains("background-color:#f6f8fa"), "{th}");
        // A quote's text is muted, its paragraph too.
        let quote = &html[html.find("<blockquote").unwrap()..html.find("</blockquote>").unwrap()];
        assert!(
            quote.contains("<p style=\"margin:0 0 16px;color:#59636e;"),
            "{quote}"
        );
        insta::assert_snapshot!(style("<table>\n<tr><td nowrap align=\"right\" class=\"x\">1</td></tr>\n</table>\n<p>see <a href=\"https://x.example/a/b\">https://x.example/a/b</a> and set_the_long_name, aLongCamelCaseName</p>\n"), @r#"
        <table style="width:100%;margin:0 0 16px;border-collapse:collapse;border:1px solid #d1d9e0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Helvetica,Arial,sans-serif;font-size:14px;line-height:1.4;overflow-wrap:break-word;word-break:normal;color:#1f2328;background-color:#ffffff">
        <tr><td nowrap align="right" style="padding:6px 8px;border:1px solid #d1d9e0;vertical-align:top;text-align:right;white-space:nowrap;color:#1f2328;background-color:#ffffff">1</td></tr>
        </table>
        <p style="margin:0 0 16px;color:#1f2328;background-color:#ffffff">see <a href="https://x.example/a/b" style="text-decoration:underline;color:#0969da;background-color:#ffffff">https://x.<wbr>example/<wbr>a/<wbr>b</a> and set_<wbr>the_<wbr>long_<wbr>name, a<wbr>Long<wbr>Camel<wbr>Case<wbr>Name</p>
        "#);
    }

    /// The WCAG 2 contrast ratio of two `#rrggbb` colours.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |hex: &str| {
            let channel = |i: usize| {
                let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                if v <= 0.04045 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        };
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_text_colour_meets_wcag_aa_on_its_background_in_light_and_dark() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        let mut failures = Vec::new();
        for (background, texts) in PAIRS {
            for text in texts {
                for (mode, t, b) in [
                    ("light", text.light, background.light),
                    ("dark", text.dark, background.dark),
                ] {
                    let ratio = contrast(t, b);
                    if ratio < 4.5 {
                        failures.push(format!("{mode}: {t} on {b} is {ratio:.2}:1"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "below 4.5:1:\n{}", failures.join("\n"));
    }

    #[test]
    fn the_closing_link_ends_both_parts() {
        let body = body(
            "T",
            "Text\n".into(),
            "<p>x</p>\n",
            "Read it",
            "https://x.example/pm/a/",
        );
        assert_eq!(body.text, "Text\n\nRead it: https://x.example/pm/a/\n");
        assert!(body.html.contains(">Read it</a>"));
        assert!(body.html.contains("<title>T</title>"));
    }
}
