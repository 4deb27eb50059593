//! Import: a report's timeline rewritten only as far as the timeline parser needs. Tables and
//! lists whose items start with a time are read as they are; two other shapes are turned into
//! list items: H3 headings that are times with the paragraphs under them as the event, and
//! lines of a paragraph that start with a time ("12:45 UTC - paged"). A heading that is only a
//! date ("### April 15, 2020") gives its date to the rows under it.

use super::actions::bullet;
use super::dates;
use crate::timeline::leading_time;

/// What the rewrite changed, for the guess report.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rewritten {
    /// Rows made from time headings.
    pub from_headings: usize,
    /// Rows made from paragraph lines.
    pub from_lines: usize,
}

fn strip_marks(text: &str) -> &str {
    text.trim_start_matches(['*', '_', '`']).trim_start()
}

/// Whether `text` starts with a time (after emphasis marks), and its date when it has one.
fn time_start(text: &str) -> Option<Option<chrono::NaiveDate>> {
    leading_time(strip_marks(text)).map(|t| t.date)
}

fn heading(line: &str) -> Option<&str> {
    let trimmed = line.trim();
    let hashes = trimmed.chars().take_while(|c| *c == '#').count();
    if !(3..=6).contains(&hashes) {
        return None;
    }
    let rest = &trimmed[hashes..];
    (rest.is_empty() || rest.starts_with(' ')).then(|| rest.trim().trim_end_matches('#').trim())
}

fn is_item(line: &str) -> Option<&str> {
    bullet(line.trim_start()).filter(|text| !text.is_empty())
}

/// A row as a list item, with the date of a date heading above it when it has none.
fn row(text: &str, date: Option<chrono::NaiveDate>) -> String {
    let text = text.trim();
    match (date, time_start(text)) {
        (Some(date), Some(None)) => format!("- {} {text}\n", date.format("%Y-%m-%d")),
        _ => format!("- {text}\n"),
    }
}

/// Rewrites a timeline section's Markdown so that every row is a table row or a list item.
pub fn normalise(markdown: &str) -> (String, Rewritten) {
    let mut out = String::with_capacity(markdown.len());
    let mut counts = Rewritten::default();
    let lines: Vec<&str> = markdown.split_inclusive('\n').collect();
    let mut date: Option<chrono::NaiveDate> = None;
    let mut fence = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim();
        i += 1;
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
        }
        if fence || trimmed.starts_with('|') {
            out.push_str(line);
            continue;
        }
        if let Some(text) = heading(line) {
            if time_start(text).is_some() {
                // The paragraphs under a time heading, up to the next heading, are its event.
                let mut event = String::new();
                while i < lines.len() && heading(lines[i]).is_none() {
                    let part = lines[i].trim();
                    let part = is_item(part).unwrap_or(part);
                    if !part.is_empty() {
                        if !event.is_empty() {
                            event.push(' ');
                        }
                        event.push_str(part);
                    }
                    i += 1;
                }
                let text = match event.is_empty() {
                    true => text.to_string(),
                    false => format!("{text} — {event}"),
                };
                out.push_str(&row(&text, date));
                counts.from_headings += 1;
                continue;
            }
            if let Some(found) = dates::find_date(text).filter(|f| f.start == 0) {
                date = Some(found.date);
                // why: "### 2015-10-21 (all times US/Pacific)" names the zone of its rows.
                if let Some(zone) = super::sections::zone_in(&text[found.end..]) {
                    out.push_str(&format!("All times in {zone}.\n"));
                }
                continue;
            }
            out.push_str(line);
            continue;
        }
        if let Some(item) = is_item(line).filter(|_| !line.starts_with([' ', '\t'])) {
            if date.is_some() && time_start(item).is_some() {
                out.push_str(&row(item, date));
            } else {
                out.push_str(line);
            }
            continue;
        }
        if !line.starts_with([' ', '\t']) && time_start(trimmed).is_some() {
            out.push_str(&row(trimmed, date));
            counts.from_lines += 1;
            continue;
        }
        out.push_str(line);
    }
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_time_lists_are_kept_as_written() {
        let text = "All times in UTC.\n\n| Time | Event |\n| --- | --- |\n| 10:00 | paged |\n\n- 10:34 UTC - fixed\n- 04:49 PM UTC rolled back\n";
        assert_eq!(normalise(text), (text.to_string(), Rewritten::default()));
    }

    #[test]
    fn time_headings_become_rows_with_their_paragraphs() {
        let text = "### 10:34 UTC\n\nThe database stopped\naccepting writes.\n\n### 10:50 UTC - Failover\n\n- promoted the replica\n\n### Notes\n\nnone\n";
        let (out, counts) = normalise(text);
        assert_eq!(
            out,
            "- 10:34 UTC — The database stopped accepting writes.\n- 10:50 UTC - Failover — promoted the replica\n### Notes\n\nnone\n"
        );
        assert_eq!(counts.from_headings, 2);
    }

    #[test]
    fn lines_that_start_with_a_time_become_rows() {
        let (out, counts) = normalise("12:45 UTC - paged\n12:50 UTC - acked\n\nSome note.\n");
        assert_eq!(
            out,
            "- 12:45 UTC - paged\n- 12:50 UTC - acked\n\nSome note.\n"
        );
        assert_eq!(counts.from_lines, 2);
    }

    #[test]
    fn a_date_heading_with_a_zone_names_the_zone_of_its_rows() {
        let (out, counts) =
            normalise("### 2015-10-21 (all times US/Pacific)\n\n14:51 News reports\n");
        assert_eq!(
            out,
            "All times in US/Pacific.\n\n- 2015-10-21 14:51 News reports\n"
        );
        assert_eq!(counts.from_lines, 1);
    }

    #[test]
    fn a_date_heading_dates_the_rows_under_it() {
        let (out, _) = normalise("### April 15, 2020\n\n- 10:34 paged\n- 2020-04-16 09:00 fixed\n");
        assert_eq!(
            out,
            "\n- 2020-04-15 10:34 paged\n- 2020-04-16 09:00 fixed\n"
        );
    }
}
