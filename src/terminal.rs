//! Text for a terminal: what a post-mortem says is shown, never obeyed. A title or a source line
//! with escape sequences could otherwise move the cursor, rewrite earlier lines or set the
//! window title when `check`, `search` or `message` prints it. JSON output is left exact.

/// `text` with every control character but line feed and tab shown as `�`.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.contains(unsafe_char) {
        return text.into();
    }
    text.chars()
        .map(|c| if unsafe_char(c) { '\u{fffd}' } else { c })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            printable("Disk \u{1b}]0;owned\u{7}full\u{1b}[2J\r\nnext\tline\u{9b}"),
            "Disk \u{fffd}]0;owned\u{fffd}full\u{fffd}[2J\u{fffd}\nnext\tline\u{fffd}"
        );
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
