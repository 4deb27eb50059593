//! Follow-up actions across the archive: the rows of `/actions/`, `/actions.csv` for tracker
//! import (the actions that have no ticket yet), `/actions-all.csv` with every action, and the
//! same rows as JSON.
//!
//! Open actions come first, the most overdue at the top; then done and won't-fix ones, newest
//! incident first. The CSV has the columns a tracker's importer maps: summary, description
//! (with the absolute link to the post-mortem), priority, due date, labels (`postmortem`,
//! `sevN`, `sevN_YYYYMMDD` with the incident's start date), owner, assignee (the owner's
//! address, from the directory), team, status, ticket. A cell that a spreadsheet would read as
//! a formula is prefixed with `'`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::page_url;
use crate::archive::Archive;
use crate::calendar::local_date;
use crate::postmortem::{ActionKind, ActionStatus, PostMortem, Priority};

/// One follow-up action with what the actions page and the tracker import need. What is the
/// post-mortem's is shared by the rows of its actions.
// why: the rows live as long as the rendering, beside its peak: at 50,000 post-mortems a copy
// of these for each action took the peak 65 MB higher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionRow {
    /// The post-mortem's id.
    pub id: Arc<str>,
    /// The post-mortem's title.
    pub postmortem: Arc<str>,
    /// The absolute URL of the post-mortem's page.
    pub url: Arc<str>,
    /// The post-mortem's severity.
    pub severity: Arc<str>,
    /// The post-mortem's start date in its zone, `YYYY-MM-DD`.
    pub started: Arc<str>,
    /// What is to be done.
    pub title: String,
    /// Who does it.
    pub owner: Option<String>,
    /// The owner's address, from the directory.
    pub assignee: Option<String>,
    /// The team it is for, from the directory: the owner's, else the one owning its service.
    pub team: Option<String>,
    /// `P0` to `P3`.
    pub priority: Option<Priority>,
    /// prevent, mitigate, detect, process or other.
    pub kind: Option<ActionKind>,
    /// open, done or wontfix.
    pub status: ActionStatus,
    /// The due date, `YYYY-MM-DD`.
    pub due: Option<String>,
    /// When it was done, `YYYY-MM-DD`.
    pub done: Option<String>,
    /// Whether it is open and past its due date.
    pub overdue: bool,
    /// Days past the due date when overdue, else 0.
    pub days_overdue: i64,
    /// Days since the incident started.
    pub age_days: i64,
    /// The tracker key or URL.
    pub ticket: Option<String>,
    /// The ticket's URL, from the ticket itself or the archive's `ticket_url`.
    pub ticket_url: Option<String>,
    /// Labels for the tracker: `postmortem`, `sevN`, `sevN_YYYYMMDD`.
    pub labels: Arc<[String]>,
}

/// The number of a severity for labels: the digit in its name (`SEV-2` → 2), else its rank + 1.
pub fn severity_number(pm: &PostMortem) -> usize {
    let digits: String = pm
        .severity
        .name
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(pm.severity.rank + 1)
}

/// Every action of the archive as rows, open first (most overdue, then soonest due, then most
/// urgent), then the others (newest incident first).
pub fn rows(archive: &Archive) -> Vec<ActionRow> {
    let config = &archive.config;
    let directory = config.directory.as_deref();
    let now = archive.now;
    let mut rows: Vec<(ActionRow, usize, DateTime<Utc>, usize)> = Vec::new();
    for pm in &archive.postmortems {
        let started = local_date(&pm.started, pm.timezone);
        let sev = severity_number(pm);
        let labels: Arc<[String]> = Arc::new([
            "postmortem".to_string(),
            format!("sev{sev}"),
            format!("sev{sev}_{}", started.format("%Y%m%d")),
        ]);
        let id: Arc<str> = pm.id.as_str().into();
        let title: Arc<str> = pm.title.as_str().into();
        let url: Arc<str> = page_url(config, &pm.id).into();
        let severity: Arc<str> = pm.severity.name.as_str().into();
        let started_text: Arc<str> = started.to_string().into();
        for (index, action) in pm.actions.iter().enumerate() {
            let overdue = crate::rules::is_overdue(action, pm.timezone, now);
            let days_overdue = match (overdue, action.due) {
                (true, Some(due)) => (local_date(&now, pm.timezone) - due).num_days(),
                _ => 0,
            };
            let ticket_url = action
                .ticket
                .as_deref()
                .and_then(|t| crate::markdown::ticket_url(t, config.ticket_url.as_deref()));
            let row = ActionRow {
                id: id.clone(),
                postmortem: title.clone(),
                url: url.clone(),
                severity: severity.clone(),
                started: started_text.clone(),
                title: action.title.clone(),
                owner: action.owner.clone(),
                assignee: directory.and_then(|d| d.person(action.owner.as_deref()?)?.email.clone()),
                team: directory
                    .and_then(|d| d.action_team(action, pm))
                    .map(|t| t.name.clone()),
                priority: action.priority,
                kind: action.kind,
                status: action.status,
                due: action.due.map(|d| d.to_string()),
                done: action.done.map(|d| d.to_string()),
                overdue,
                days_overdue,
                age_days: (now - pm.started.to_utc()).num_days().max(0),
                ticket: action.ticket.clone(),
                ticket_url,
                labels: labels.clone(),
            };
            // why: an action without a priority comes after every priority.
            let urgency = action.priority.map_or(Priority::ALL.len(), |p| p as usize);
            rows.push((row, urgency, pm.started.to_utc(), index));
        }
    }
    rows.sort_by(
        |(a, a_urgency, a_started, a_index), (b, b_urgency, b_started, b_index)| {
            let open = |r: &ActionRow| r.status != ActionStatus::Open;
            open(a)
                .cmp(&open(b))
                .then_with(|| b.days_overdue.cmp(&a.days_overdue))
                .then_with(|| {
                    if a.status == ActionStatus::Open {
                        // why: `None` sorts first in `Option`; an action without a due date goes last.
                        (a.due.is_none(), &a.due, a_urgency).cmp(&(
                            b.due.is_none(),
                            &b.due,
                            b_urgency,
                        ))
                    } else {
                        std::cmp::Ordering::Equal
                    }
                })
                .then_with(|| b_started.cmp(a_started))
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a_index.cmp(b_index))
        },
    );
    rows.into_iter().map(|(row, ..)| row).collect()
}

/// Whether the tracker import creates a ticket for `row`: it has none yet.
pub fn needs_ticket(row: &ActionRow) -> bool {
    row.ticket.is_none()
}

/// The rows as CSV for tracker import, with a header line.
pub fn csv<'a>(rows: impl IntoIterator<Item = &'a ActionRow>) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "summary",
        "description",
        "priority",
        "due date",
        "labels",
        "owner",
        "assignee",
        "team",
        "status",
        "ticket",
    ];
    // why: writing to a Vec cannot fail; a failed record would only be left out.
    let _ = writer.write_record(header);
    // why: each record is written as it is made, so that the rows are never held a second
    // time as cells (about 200 MB at 50,000 post-mortems).
    for row in rows {
        let record = [
            row.title.clone(),
            format!(
                "Follow-up of the post-mortem \"{}\" ({}, {}): {}",
                row.postmortem, row.severity, row.started, row.url
            ),
            row.priority.map(|p| p.to_string()).unwrap_or_default(),
            row.due.clone().unwrap_or_default(),
            row.labels.join(" "),
            row.owner.clone().unwrap_or_default(),
            row.assignee.clone().unwrap_or_default(),
            row.team.clone().unwrap_or_default(),
            row.status.to_string(),
            row.ticket.clone().unwrap_or_default(),
        ];
        let _ = writer.write_record(record.iter().map(|cell| defuse(cell)));
    }
    match writer.into_inner() {
        Ok(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(_) => String::new(),
    }
}

/// A CSV cell that a spreadsheet shows as text: a cell beginning with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'`, as OWASP's guidance on CSV injection says, so that
/// `=HYPERLINK(…)` in an action's title is not run as a formula when the file is opened.
// why: applied to every cell, not only the free-text ones: a constant or validated cell never
// starts with these characters, and a new column cannot be forgotten.
pub(crate) fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// The rows as a pretty-printed JSON array, ending in a newline.
pub fn json(rows: &[ActionRow]) -> String {
    let mut out = serde_json::to_string_pretty(rows).unwrap_or_else(|_| "[]".into());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;

    #[test]
    fn open_and_overdue_actions_come_first() {
        let rows = rows(&fixtures::archive());
        let list: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} | {} | {} | due {} | overdue {} ({} d) | age {} d | {} | {}",
                    r.status,
                    r.priority.map_or("-", |p| p.name()),
                    r.title,
                    r.due.as_deref().unwrap_or("-"),
                    r.overdue,
                    r.days_overdue,
                    r.age_days,
                    r.ticket_url.as_deref().unwrap_or("-"),
                    r.labels.join(" ")
                )
            })
            .collect();
        insta::assert_snapshot!(list.join("\n"), @"
        open | P0 | Cap query fan-out | due 2024-03-22 | overdue true (10 d) | age 12 d | - | postmortem sev1 sev1_20240320
        open | P1 | Alert when replication lag exceeds 30 s | due 2024-04-15 | overdue false (0 d) | age 20 d | https://tracker.acme.example/browse/OPS-1234 | postmortem sev2 sev2_20240312
        done | P2 | Make the failover script wait for the replica, with a timeout | due 2024-03-29 | overdue false (0 d) | age 20 d | - | postmortem sev2 sev2_20240312
        ");
    }

    #[test]
    fn csv_parses_back() {
        let text = csv(&rows(&fixtures::archive()));
        insta::assert_snapshot!(text, @r#"
        summary,description,priority,due date,labels,owner,assignee,team,status,ticket
        Cap query fan-out,"Follow-up of the post-mortem ""Search slow for all users"" (SEV-1, 2024-03-20): https://postmortems.acme.example/pm/2024-03-20-search-slow/",P0,2024-03-22,postmortem sev1 sev1_20240320,Chen Li,,,open,
        Alert when replication lag exceeds 30 s,"Follow-up of the post-mortem ""Checkout errors after a stalled failover"" (SEV-2, 2024-03-12): https://postmortems.acme.example/pm/2024-03-12-checkout-failover/",P1,2024-04-15,postmortem sev2 sev2_20240312,Dee Park,,,open,OPS-1234
        "Make the failover script wait for the replica, with a timeout","Follow-up of the post-mortem ""Checkout errors after a stalled failover"" (SEV-2, 2024-03-12): https://postmortems.acme.example/pm/2024-03-12-checkout-failover/",P2,2024-03-29,postmortem sev2 sev2_20240312,Eli Moss,,,done,
        "#);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [
                "summary",
                "description",
                "priority",
                "due date",
                "labels",
                "owner",
                "assignee",
                "team",
                "status",
                "ticket"
            ]
        );
        let records: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(&records[1][0], "Alert when replication lag exceeds 30 s");
        assert_eq!(&records[1][4], "postmortem sev2 sev2_20240312");
        assert!(records[1][1]
            .ends_with("https://postmortems.acme.example/pm/2024-03-12-checkout-failover/"));
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_get_a_leading_quote() {
        let mut rows = rows(&fixtures::archive());
        rows[0].title = "=HYPERLINK(\"https://evil.example\",\"details\")".into();
        rows[0].owner = Some("@SUM(A1:A9)".into());
        rows[0].ticket = Some("+1-555-0100".into());
        rows[1].title = "-5% error rate".into();
        rows[1].owner = Some("\tDee Park".into());
        rows[1].ticket = Some("\r=1+1".into());
        let text = csv(&rows);
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let records: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 3);
        assert_eq!(
            &records[0][0],
            "'=HYPERLINK(\"https://evil.example\",\"details\")"
        );
        assert_eq!(&records[0][5], "'@SUM(A1:A9)");
        assert_eq!(&records[0][9], "'+1-555-0100");
        assert_eq!(&records[1][0], "'-5% error rate");
        assert_eq!(&records[1][5], "'\tDee Park");
        assert_eq!(&records[1][9], "'\r=1+1");
        // Cells that start with anything else are written as they are.
        assert_eq!(
            records[2].iter().collect::<Vec<_>>(),
            [
                "Make the failover script wait for the replica, with a timeout",
                "Follow-up of the post-mortem \"Checkout errors after a stalled failover\" \
                 (SEV-2, 2024-03-12): https://postmortems.acme.example/pm/2024-03-12-checkout-failover/",
                "P2",
                "2024-03-29",
                "postmortem sev2 sev2_20240312",
                "Eli Moss",
                "",
                "",
                "done",
                "",
            ]
        );
        assert_eq!(&records[0][2], "P0");
        assert_eq!(&records[0][3], "2024-03-22");
    }

    #[test]
    fn with_a_directory_rows_carry_the_assignee_and_the_team() {
        let config = fixtures::config_with_directory();
        let pm = crate::testing::parse("a", fixtures::FULL, &config);
        let archive = Archive::new(config, vec![pm], fixtures::now());
        let rows = rows(&archive);
        let found: Vec<(&str, Option<&str>, Option<&str>)> = rows
            .iter()
            .map(|r| (r.title.as_str(), r.assignee.as_deref(), r.team.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                // Dee Park is in SRE, though the action is about checkout.
                (
                    "Alert when replication lag exceeds 30 s",
                    Some("dee.park@acme.example"),
                    Some("SRE")
                ),
                // Eli Moss has no address; his team is Payments.
                (
                    "Make the failover script wait for the replica, with a timeout",
                    None,
                    Some("Payments")
                ),
            ]
        );
        // The import file has only the action without a ticket.
        let text = csv(rows.iter().filter(|r| needs_ticket(r)));
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let records: Vec<::csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(
            &records[0][0],
            "Make the failover script wait for the replica, with a timeout"
        );
        assert_eq!(&records[0][7], "Payments");
    }

    #[test]
    fn json_parses_back() {
        let text = json(&rows(&fixtures::archive()));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value.as_array().unwrap().len(), 3);
        assert_eq!(value[0]["title"], "Cap query fan-out");
        assert_eq!(value[0]["overdue"], true);
        assert_eq!(value[0]["days_overdue"], 10);
    }

    #[test]
    fn severity_numbers_come_from_the_name_or_the_rank() {
        let mut pm = fixtures::full();
        assert_eq!(severity_number(&pm), 2);
        pm.severity.name = "Critical".into();
        pm.severity.rank = 0;
        assert_eq!(severity_number(&pm), 1);
    }
}
