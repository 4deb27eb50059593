//! Import: follow-up actions from the lists and checklists under a report's actions heading, and
//! from `TODO:` lines anywhere, each with its status, ticket and links.

use std::sync::LazyLock;

use regex::Regex;

use crate::postmortem::ActionStatus;

/// An action read from a report.
#[derive(Clone, Debug, PartialEq)]
pub struct FoundAction {
    /// What will be done, as one line of text (Markdown links reduced to their text).
    pub title: String,
    /// Done, open or won't fix, as the checkbox or a status word says; open when nothing does.
    pub status: ActionStatus,
    /// The tracker key (`OPS-123`) or the link the item gives.
    pub ticket: Option<String>,
}

static ACTIONS_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
        action\s*items? | actions?(?:\s+(?:taken|items|plan|points))? | follow[-\s]?ups?(?:\s+actions?)?
        | next\s+steps | to-?dos? | corrective(?:\s+and\s+prevent(?:at)?ive)?\s+actions?
        | remediation\s+(?:items|actions|plan) | prevent(?:at)?ive\s+(?:measures|actions)
        | mitigations?\s+and\s+follow[-\s]?ups? | action\s+plan
        )$",
    )
    .expect("valid regex")
});

/// Whether a heading (already cleaned of numbering and marks) names a list of actions.
pub fn is_actions_heading(heading: &str) -> bool {
    ACTIONS_HEADING.is_match(heading.trim())
}

static CHECKBOX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\[(?P<mark>[ xX✓✔]|done|open|todo|wip|in[ -]progress|completed?|fixed|wont ?fix|won't fix|cancell?ed|dropped)\]\s*")
        .expect("valid regex")
});

static STATUS_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[\s(\[—–-]*\b(?P<word>done|completed?|fixed|wont ?fix|won't fix|cancell?ed)\b[)\]]?\s*\.?$|^(?:~~)(?P<struck>.+)(?:~~)$")
        .expect("valid regex")
});

static BOLD_LEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\*\*|__)(?P<title>[^*_]{3,}?)(?:\*\*|__)\s*[:.\-–—]\s*\S")
        .expect("valid regex")
});

static TODO_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-*+]\s+)?(?:\*\*)?TODO(?:\*\*)?\s*[:\-–]\s*(?:\*\*)?\s*(?P<rest>\S.*)$")
        .expect("valid regex")
});

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"!?\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+[^)]*)?\)|<(?P<auto>https?://[^>\s]+)>|(?P<bare>https?://[^\s)>\]]+)")
        .expect("valid regex")
});

fn status_of(mark: &str) -> ActionStatus {
    let mark = mark.to_lowercase();
    if ["x", "✓", "✔", "done", "complete", "completed", "fixed"].contains(&mark.as_str()) {
        ActionStatus::Done
    } else if mark.starts_with("wont")
        || mark.starts_with("won't")
        || mark.starts_with("cancel")
        || mark == "dropped"
    {
        ActionStatus::Wontfix
    } else {
        ActionStatus::Open
    }
}

/// Reads one list item's text (after its bullet) as an action; `None` when it is empty.
pub fn item(text: &str, ticket_pattern: &Regex) -> Option<FoundAction> {
    let mut text = text.trim();
    if let Some(caps) = TODO_LINE.captures(text) {
        text = caps.name("rest").map_or(text, |m| m.as_str());
    }
    let mut status = ActionStatus::Open;
    if let Some(caps) = CHECKBOX.captures(text) {
        status = status_of(caps["mark"].trim());
        text = &text[caps.get(0).map_or(0, |m| m.end())..];
    }
    let mut title = text.to_string();
    if let Some(caps) = STATUS_WORD.captures(text) {
        if let Some(struck) = caps.name("struck") {
            status = ActionStatus::Done;
            title = struck.as_str().to_string();
        } else if let (Some(word), Some(all)) = (caps.name("word"), caps.get(0)) {
            status = status_of(word.as_str());
            title = text[..all.start()].to_string();
        }
    }
    // why: "**Add priority classes**: because …" — the bold phrase is the action, the rest is
    // why; the section keeps the whole text.
    if let Some(lead) = BOLD_LEAD.captures(&title).map(|c| c["title"].to_string()) {
        title = lead;
    }
    let mut ticket = ticket_pattern.find(&title).map(|m| m.as_str().to_string());
    let mut plain = String::new();
    let mut last = 0;
    for caps in LINK.captures_iter(&title) {
        let all = caps.get(0).expect("a match");
        let url = caps
            .name("url")
            .or(caps.name("auto"))
            .or(caps.name("bare"))
            .map(|m| m.as_str().to_string());
        if ticket.is_none() {
            ticket = url.clone().filter(|u| u.starts_with("http"));
        }
        plain.push_str(&title[last..all.start()]);
        match caps.name("text") {
            Some(t) if !t.as_str().trim().is_empty() => plain.push_str(t.as_str()),
            _ => plain.push_str(url.as_deref().unwrap_or_default()),
        }
        last = all.end();
    }
    plain.push_str(&title[last..]);
    let title = crate::scaffold::clean_title(&plain.replace(['*', '`'], ""));
    let title = title.trim_end_matches([':', ';', ',']).trim().to_string();
    (!title.is_empty() && title.chars().any(char::is_alphanumeric)).then_some(FoundAction {
        title,
        status,
        ticket,
    })
}

/// The actions of an actions section: the rows of its table, its top-level list items, and
/// the items nested under one that only introduces them ("Short term:").
pub fn from_section(markdown: &str, ticket_pattern: &Regex) -> Vec<FoundAction> {
    let mut items: Vec<(usize, String)> = Vec::new();
    let mut fence = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let indent = line.len() - trimmed.len();
        match bullet(trimmed) {
            Some(rest) => items.push((indent, rest.to_string())),
            None if !trimmed.is_empty() && indent > 0 => {
                if let Some((_, text)) = items.last_mut() {
                    // why: an indented line continues the item above it.
                    text.push(' ');
                    text.push_str(trimmed);
                }
            }
            None => {
                if let Some(caps) = TODO_LINE.captures(line) {
                    items.push((0, caps["rest"].to_string()));
                }
            }
        }
    }
    let mut actions = table_rows(markdown, ticket_pattern);
    for (i, (indent, text)) in items.iter().enumerate() {
        let parent = items[..i].iter().rev().find(|(d, _)| d < indent);
        let nested = parent.is_some();
        let introduces =
            items.get(i + 1).is_some_and(|(d, _)| d > indent) && text.trim_end().ends_with(':');
        if introduces {
            continue;
        }
        // why: a nested item under a real action is its detail, not a second action.
        if nested && parent.is_some_and(|(_, p)| !p.trim_end().ends_with(':')) {
            continue;
        }
        actions.extend(item(text, ticket_pattern));
    }
    actions
}

/// The rows of an action table ("| Action item | Type | Owner | Bug |"): the action is the
/// column named for it (else the first), the status and ticket come from columns named so.
fn table_rows(markdown: &str, ticket_pattern: &Regex) -> Vec<FoundAction> {
    let cells = |line: &str| -> Vec<String> {
        let inner = line.trim().trim_start_matches('|');
        let inner = inner.strip_suffix('|').unwrap_or(inner);
        inner.split('|').map(|c| c.trim().to_string()).collect()
    };
    let mut tables: Vec<Vec<&str>> = Vec::new();
    let mut in_table = false;
    for line in markdown.lines() {
        let is_row = line.trim_start().starts_with('|');
        match (is_row, in_table) {
            (true, true) => tables.last_mut().expect("a table").push(line),
            (true, false) => tables.push(vec![line]),
            _ => {}
        }
        in_table = is_row;
    }
    let mut actions = Vec::new();
    for table in tables {
        let Some((header, rows)) = table.split_first() else {
            continue;
        };
        let header: Vec<String> = cells(header).iter().map(|c| c.to_lowercase()).collect();
        let column = |words: &[&str]| {
            header
                .iter()
                .position(|h| words.iter().any(|w| h.contains(w)))
        };
        let title_col = column(&["action", "item", "task", "description", "what"]).unwrap_or(0);
        let status_col = column(&["status", "state", "done"]);
        let ticket_col = column(&["bug", "ticket", "issue", "jira", "link", "tracker"]);
        for row in rows.iter().map(|row| cells(row)) {
            if row
                .iter()
                .all(|c| c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
            {
                continue;
            }
            let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map_or("", String::as_str);
            let text = match get(status_col) {
                "" => get(Some(title_col)).to_string(),
                status => format!("[{status}] {}", get(Some(title_col))),
            };
            let Some(mut found) = item(&text, ticket_pattern) else {
                continue;
            };
            let ticket = get(ticket_col);
            let none = ["", "-", "n/a", "na", "none", "tbd", "?"];
            if found.ticket.is_none() && !none.contains(&ticket.to_lowercase().as_str()) {
                // why: the ticket column holds a key, a link or a Markdown link to one.
                found.ticket = item(&format!("x {ticket}"), ticket_pattern)
                    .and_then(|t| t.ticket)
                    .or_else(|| (!ticket.contains(' ')).then(|| ticket.to_string()));
            }
            actions.push(found);
        }
    }
    actions
}

/// `TODO:` lines outside the actions section.
pub fn todos(markdown: &str, ticket_pattern: &Regex) -> Vec<FoundAction> {
    markdown
        .lines()
        .filter_map(|line| TODO_LINE.captures(line))
        .filter_map(|caps| item(&caps["rest"], ticket_pattern))
        .collect()
}

/// The text of a list item line (`- x`, `* x`, `+ x`, `1. x`, `2) x`) after its bullet, the
/// line's indentation already removed; an empty item (`-`) gives `""`.
pub fn bullet(line: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest);
        }
    }
    if line == "-" || line == "*" {
        return Some("");
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &line[digits..];
        return rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tickets() -> Regex {
        Regex::new(r"\b[A-Z][A-Z0-9]+-[0-9]+\b").unwrap()
    }

    fn read(markdown: &str) -> Vec<(String, ActionStatus, Option<String>)> {
        from_section(markdown, &tickets())
            .into_iter()
            .map(|a| (a.title, a.status, a.ticket))
            .collect()
    }

    #[test]
    fn recognises_actions_headings() {
        for heading in [
            "Action Items",
            "Actions",
            "Follow-ups",
            "Next steps",
            "TODO",
            "Corrective actions",
            "action item",
        ] {
            assert!(is_actions_heading(heading), "{heading}");
        }
        assert!(!is_actions_heading("Actions we regret"));
        assert!(!is_actions_heading("Timeline"));
    }

    #[test]
    fn checkboxes_and_status_brackets_give_the_status() {
        let found = read("- [done] Rotate the key\n- [ ] Add an alert\n* [x] Document the runbook\n- [wontfix] Rewrite in Rust\n- [in progress] Tune GC\n");
        let statuses: Vec<_> = found.iter().map(|f| (f.0.as_str(), f.1)).collect();
        assert_eq!(
            statuses,
            [
                ("Rotate the key", ActionStatus::Done),
                ("Add an alert", ActionStatus::Open),
                ("Document the runbook", ActionStatus::Done),
                ("Rewrite in Rust", ActionStatus::Wontfix),
                ("Tune GC", ActionStatus::Open),
            ]
        );
    }

    #[test]
    fn status_words_and_strikethrough_after_an_item_mark_it_done() {
        let found =
            read("- Upgrade the driver (done)\n- ~~Pin the chart~~\n- Add retries — DONE\n");
        assert!(found.iter().all(|f| f.1 == ActionStatus::Done), "{found:?}");
        assert_eq!(found[0].0, "Upgrade the driver");
        assert_eq!(found[1].0, "Pin the chart");
        assert_eq!(found[2].0, "Add retries");
    }

    #[test]
    fn tickets_and_links_are_recognised() {
        let found = read("- Alert on lag OPS-1234\n- Fix the [probe](https://git.example.com/x/issues/7) config\n- Watch https://tracker.example.com/T-1\n");
        assert_eq!(found[0].2.as_deref(), Some("OPS-1234"));
        assert_eq!(found[1].0, "Fix the probe config");
        assert_eq!(
            found[1].2.as_deref(),
            Some("https://git.example.com/x/issues/7")
        );
        assert_eq!(
            found[2].2.as_deref(),
            Some("https://tracker.example.com/T-1")
        );
    }

    #[test]
    fn a_bold_lead_phrase_is_the_title() {
        let found = read("- **Implement priority classes**: critical pods must always schedule.\n");
        assert_eq!(found[0].0, "Implement priority classes");
    }

    #[test]
    fn rows_of_an_action_table_are_actions() {
        let table = "| Action Item | Type | Owner | Bug |\n| --- | --- | --- | --- |\n| Update the playbook | mitigate | jennifer | n/a |\n| Add a lag alert | prevent | martin | [OPS-4](https://tracker.example.com/OPS-4) |\n\nAnd later:\n\n| Task | Status | Link |\n|:--|:--|:--|\n| Tune GC | done | https://tracker.example.com/9 |\n";
        assert_eq!(
            read(table),
            [
                ("Update the playbook".to_string(), ActionStatus::Open, None),
                (
                    "Add a lag alert".to_string(),
                    ActionStatus::Open,
                    Some("OPS-4".to_string())
                ),
                (
                    "Tune GC".to_string(),
                    ActionStatus::Done,
                    Some("https://tracker.example.com/9".to_string())
                ),
            ]
        );
    }

    #[test]
    fn todo_lines_are_open_actions() {
        let found = todos(
            "Some text.\nTODO: write the runbook\n**TODO:** add a dashboard\n",
            &tickets(),
        );
        let titles: Vec<_> = found.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles, ["write the runbook", "add a dashboard"]);
        assert!(found.iter().all(|f| f.status == ActionStatus::Open));
    }

    #[test]
    fn nested_items_are_actions_only_under_an_introduction() {
        assert_eq!(read("- TODO: a warm-up job\n")[0].0, "a warm-up job");
        let found = read("- Short term:\n  - Add an alert\n  - Raise the limit\n- Replace the proxy\n  - it is old\n-\n");
        let titles: Vec<_> = found.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            titles,
            ["Add an alert", "Raise the limit", "Replace the proxy"]
        );
    }
}
