//! URL slugs for facet pages and scaffolded file names.

/// Lower-cases `text` and joins its alphanumeric runs with `-`: "Payments DB" → "payments-db".
///
/// Non-ASCII letters are kept, so two different tags never share a slug because of an accent.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "-".to_string()
    } else {
        slug.to_string()
    }
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
    fn slugs_never_escape_their_directory() {
        assert_eq!(slugify("../../etc"), "etc");
        assert_eq!(slugify(".."), "-");
        assert_eq!(slugify("///"), "-");
    }
}
