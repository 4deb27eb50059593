//! URL slugs for facet pages and scaffolded file names.

/// Lower-cases `text` and joins its words with `-`: "Payments DB" → "payments-db".
///
/// Two values get one slug only when they read the same: case, spaces and punctuation such as
/// `.` or `/` do not count ("Node.js" and "node js" share a page), but every other symbol does,
/// so `C++`, `C#` and `C` get `c-plus-plus`, `c-sharp` and `c`. Non-ASCII letters are kept, so
/// an accent never merges two tags; a symbol without a name is spelled by its code point.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let word = |slug: &mut String, word: &str| {
        if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        slug.push_str(word);
        slug.push('-');
    };
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            slug.push(c);
        } else if let Some(name) = symbol_name(c) {
            word(&mut slug, name);
        } else if c.is_ascii() || c.is_whitespace() || is_dash(c) {
            if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        } else {
            word(&mut slug, &format!("u{:x}", c as u32));
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "-".to_string()
    } else {
        slug.to_string()
    }
}

/// The word for a symbol that tells tags apart (`C++` from `C`).
fn symbol_name(c: char) -> Option<&'static str> {
    Some(match c {
        '+' => "plus",
        '#' => "sharp",
        '&' => "and",
        '@' => "at",
        '%' => "percent",
        _ => return None,
    })
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '·' | '•' | '…' | '’' | '‘' | '“' | '”'
    )
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_lower_case_and_dashed() {
        assert_eq!(slugify("Payments DB"), "payments-db");
        assert_eq!(slugify("  SEV-1 "), "sev-1");
        assert_eq!(
            slugify("authentication/authorisation"),
            "authentication-authorisation"
        );
        assert_eq!(slugify("Zürich"), "zürich");
    }

    #[test]
    fn values_that_differ_by_a_symbol_get_different_slugs() {
        let slugs: Vec<String> = ["C++", "c", "c#", "C", "Q&A", "@oncall", "100%", "🔥"]
            .iter()
            .map(|t| slugify(t))
            .collect();
        assert_eq!(
            slugs,
            [
                "c-plus-plus",
                "c",
                "c-sharp",
                "c",
                "q-and-a",
                "at-oncall",
                "100-percent",
                "u1f525"
            ]
        );
        assert_eq!(slugify("Node.js"), slugify("node js"));
        assert_eq!(slugify("a – b"), "a-b");
    }

    #[test]
    fn slugs_never_escape_their_directory() {
        assert_eq!(slugify("../../etc"), "etc");
        assert_eq!(slugify(".."), "-");
        assert_eq!(slugify("///"), "-");
    }
}
