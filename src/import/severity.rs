//! Import: the severity a report states, in its front matter, a "Severity: …" line, a `SEV-1`
//! in its text or a `P2` in its title, mapped through the archive's scale.

use std::sync::LazyLock;

use regex::Regex;

use super::front_matter::FrontMatter;
use crate::config::Config;

// why: only the abbreviation counts in running text; "other severity 1 work" is prose about
// other incidents, and a stated "Severity: 1" is read by `SEV_LINE`.
static SEV_TEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bsev[-\s_]?(?P<n>[0-5])\b").expect("valid regex"));

static SEV_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?:severity|sev|priority|impact level|incident level|level)(?:\*\*|__)?\s*[:=|-]\s*(?:\*\*|__)?\s*(?P<value>[A-Za-z0-9 -]{1,20}?)\s*(?:\*\*|__)?\s*(?:[(,.;]|$)")
        .expect("valid regex")
});

static PRIORITY_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bP(?P<n>[0-4])\b").expect("valid regex"));

/// The scale's severity a written value names: a name or alias, `SEV1`/`sev 1`/`1`, `P1`, or a
/// word (critical, high, medium, low) placed on the scale by its rank.
pub fn map_severity(value: &str, config: &Config) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some((_, spec)) = config.severity(value) {
        return Some(spec.name.clone());
    }
    let squashed: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_'))
        .collect();
    for candidate in [
        squashed.clone(),
        format!(
            "SEV-{}",
            squashed.trim_start_matches(|c: char| c.is_alphabetic())
        ),
    ] {
        if let Some((_, spec)) = config.severity(&candidate) {
            return Some(spec.name.clone());
        }
    }
    if let Ok(n) = value
        .trim_start_matches(|c: char| c.is_alphabetic() || c == '-' || c == ' ')
        .parse::<usize>()
    {
        // why: numbered scales start at 0 or 1; both map the first step to the worst.
        let index = n
            .saturating_sub(1)
            .min(config.severities.len().saturating_sub(1));
        if value.to_lowercase().starts_with(['s', 'p']) || value.chars().all(|c| c.is_ascii_digit())
        {
            return config.severities.get(index).map(|s| s.name.clone());
        }
    }
    let rank = match value.to_lowercase().as_str() {
        "critical" | "blocker" | "urgent" | "emergency" | "highest" => 0,
        "high" | "major" | "severe" | "serious" => 1,
        "medium" | "moderate" | "normal" | "significant" => 2,
        "low" | "minor" | "lowest" | "trivial" => 3,
        _ => return None,
    };
    let last = config.severities.len().checked_sub(1)?;
    config
        .severities
        .get(rank.min(last))
        .map(|s| s.name.clone())
}

/// The severity a report states: front matter, a "Severity: …" line, a `SEV-n` in the text,
/// or a `Pn` in the title or the lines before the first section.
pub fn find_severity(
    fm: &FrontMatter,
    title: &str,
    preamble: &str,
    body: &str,
    config: &Config,
) -> Option<(String, String)> {
    if let Some((key, value)) = fm.get(&["severity", "sev", "priority", "level"]) {
        if let Some(name) = map_severity(&value.text(), config) {
            return Some((name, format!("the front matter's `{key}`")));
        }
    }
    for caps in SEV_LINE.captures_iter(body) {
        if let Some(name) = map_severity(&caps["value"], config) {
            return Some((
                name,
                format!(
                    "the line `{}`",
                    caps.get(0).map_or("", |m| m.as_str()).trim()
                ),
            ));
        }
    }
    if let Some(caps) = SEV_TEXT.captures(body).or_else(|| SEV_TEXT.captures(title)) {
        if let Some(name) = map_severity(&format!("SEV-{}", &caps["n"]), config) {
            return Some((name, format!("`{}` in the text", &caps[0])));
        }
    }
    for text in [title, preamble] {
        if let Some(caps) = PRIORITY_WORD.captures(text) {
            if let Some(name) = map_severity(&caps[0], config) {
                return Some((name, format!("`{}` in the text", &caps[0])));
            }
        }
    }
    None
}
