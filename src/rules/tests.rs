//! The process rules, one post-mortem at a time.

use super::*;
use crate::diagnostic::render_one;

pub(crate) const IN_REVIEW: &str = r#"+++
title = "Checkout errors after a stalled failover"
severity = "SEV-2"
status = "In Review"
started = 2024-03-12T09:41:00+01:00
resolved = 2024-03-12T11:05:00+01:00
timezone = "Europe/Berlin"
customer_impact = true
owner = "Ana Ruiz"
incident_commander = "Ben Ode"
responders = ["Dee Park (SRE)"]

[meeting]
at = 2024-03-14T15:00:00+01:00

[links]
chat = "https://chat.example.com/archives/C123"

[[actions]]
title = "Alert when replication lag exceeds 30 s"
owner = "Dee Park"
ticket = "OPS-1234"
due = 2024-04-15
+++

## Summary

Checkout failed for some customers.

## Impact

Some payments failed.

## Timeline

| Time | Event |
| --- | --- |
| 09:41 | Errors begin |

## Contributing factors

A failover stalled.

## Resolution

We promoted the replica.

## External message

On 12 March some payments failed. We are sorry.
"#;

pub(crate) fn config() -> Config {
    let mut config = Config::default();
    config.external.internal_domains = vec!["acme.internal".into()];
    config
}

pub(crate) fn parse(text: &str) -> PostMortem {
    crate::testing::parse("pm", text, &config())
}

fn now(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

const NOW: &str = "2024-03-20T12:00:00Z";

fn run(text: &str) -> Vec<Diagnostic> {
    run_at(text, NOW)
}

fn run_at(text: &str, at: &str) -> Vec<Diagnostic> {
    let mut found = check(&parse(text), &config(), now(at), &[]);
    crate::diagnostic::sort(&mut found);
    found
}

fn codes(found: &[Diagnostic]) -> Vec<&'static str> {
    found.iter().map(|d| d.code.name()).collect()
}

fn only(text: &str, code: Code) -> String {
    let found = run(text);
    let mine: Vec<&Diagnostic> = found.iter().filter(|d| d.code == code).collect();
    assert_eq!(mine.len(), 1, "{found:#?}");
    render_one(mine[0])
}

fn with(replacements: &[(&str, &str)]) -> String {
    let mut text = IN_REVIEW.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "fixture has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

fn message(text: &str) -> String {
    with(&[("On 12 March some payments failed. We are sorry.", text)])
}

#[test]
fn a_complete_in_review_post_mortem_passes() {
    assert_eq!(codes(&run(IN_REVIEW)), Vec::<&str>::new());
}

#[test]
fn a_draft_gets_nothing() {
    let text = "+++\ntitle = \"x\"\nseverity = \"SEV-1\"\nstatus = \"Draft\"\nstarted = 2024-03-12T09:41:00Z\nresolved = 2024-03-12T10:00:00Z\ncustomer_impact = true\n+++\n\nThe outage was human error by ops@db1.acme.internal.\n";
    assert!(check(&parse(text), &config(), now(NOW), &[]).is_empty());
}

#[test]
fn missing_resolved_asks_for_the_line() {
    let text = with(&[("resolved = 2024-03-12T11:05:00+01:00\n", "")]);
    insta::assert_snapshot!(only(&text, Code::MissingResolved), @"
    warning[missing-resolved]: missing `resolved`, required from `In Review` on
     --> content/pm.md:1:1
      |
    1 | +++
      | ^^^ in this front matter
      = help: add `resolved = 2024-03-12T09:41:00+01:00` with the time the incident was over (impact ended and no more work was needed to keep it so)
    ");
}

#[test]
fn missing_owner_asks_for_the_line() {
    let text = with(&[("owner = \"Ana Ruiz\"\n", "")]);
    insta::assert_snapshot!(only(&text, Code::MissingOwner), @r#"
    warning[missing-owner]: missing `owner`, required from `In Review` on
     --> content/pm.md:1:1
      |
    1 | +++
      | ^^^ in this front matter
      = help: add `owner = "Full Name"`: the person who writes the post-mortem and sees its actions through
    "#);
}

#[test]
fn missing_section_points_where_it_belongs() {
    let text = with(&[("## Impact\n\nSome payments failed.\n\n", "")]);
    insta::assert_snapshot!(only(&text, Code::MissingSection), @"
    warning[missing-section]: missing `## Impact` section
      --> content/pm.md:30:1
       |
    30 | ## Timeline
       | ^^^^^^^^^^^ add `## Impact` before this heading
       = help: add `## Impact`: who was affected and how: customers, orders, revenue, internal teams, for how long
    ");
}

#[test]
fn missing_last_section_points_at_the_end() {
    let text = with(&[("## Resolution\n\nWe promoted the replica.\n\n", "")])
        .replace(
            "## External message\n\nOn 12 March some payments failed. We are sorry.\n",
            "",
        )
        .replace("customer_impact = true", "customer_impact = false");
    let found = run(&text);
    assert_eq!(codes(&found), ["missing-section"]);
    assert_eq!(
        found[0].location.as_ref().unwrap().line_text,
        "A failover stalled."
    );
}

#[test]
fn an_empty_section_is_missing() {
    let text = with(&[("We promoted the replica.\n", "")]);
    insta::assert_snapshot!(only(&text, Code::MissingSection), @"
    warning[missing-section]: the `## Resolution` section is empty
      --> content/pm.md:44:1
       |
    44 | ## Resolution
       | ^^^^^^^^^^^^^ nothing under this heading
       = help: add `## Resolution`: what stopped the impact and what made the fix permanent
    ");
}

#[test]
fn missing_external_message_gives_the_skeleton() {
    let text = with(&[(
        "## External message\n\nOn 12 March some payments failed. We are sorry.\n",
        "",
    )]);
    insta::assert_snapshot!(only(&text, Code::MissingSection), @"
    warning[missing-section]: missing `## External message` section
      --> content/pm.md:46:1
       |
    46 | We promoted the replica.
       | ^^^^^^^^^^^^^^^^^^^^^^^^ add `## External message` after this line
       = help: customers were affected (`customer_impact = true`), so support needs a message for the status page; paste and fill in:
               ## External message
               
               **A short headline customers will recognise**
               
               Summary: on <day and date>, between <start> and <end> (<time zone>), <what customers could not do>.
               
               What happened: <the cause in plain words, without internal names>.
               
               What we are doing about it: <the changes that stop it happening again>.
               
               We are sorry for the trouble this caused.
    ");
    let internal = text.replace("customer_impact = true", "customer_impact = false");
    assert!(run(&internal).is_empty());
}

#[test]
fn missing_actions_gives_a_template() {
    let text = with(&[(
        "[[actions]]\ntitle = \"Alert when replication lag exceeds 30 s\"\nowner = \"Dee Park\"\nticket = \"OPS-1234\"\ndue = 2024-04-15\n",
        "",
    )]);
    insta::assert_snapshot!(only(&text, Code::MissingActions), @r#"
    warning[missing-actions]: no follow-up actions, required from `In Review` on
     --> content/pm.md:1:1
      |
    1 | +++
      | ^^^ in this front matter
      = help: add at least one action at the end of the front matter:
              [[actions]]
              title = "Alert when replication lag exceeds 30 s"
              owner = "Full Name"
              priority = "P2"
              kind = "detect"
              ticket = "OPS-1234"
              due = 2024-04-15
    "#);
}

#[test]
fn a_reviewed_post_mortem_needs_its_meeting_date() {
    let text = with(&[
        ("status = \"In Review\"", "status = \"Reviewed\""),
        (
            "[meeting]\nat = 2024-03-14T15:00:00+01:00\n",
            "[meeting]\nattendees = [\"Ana Ruiz\"]\n",
        ),
    ]);
    insta::assert_snapshot!(only(&text, Code::MissingMeeting), @"
    warning[missing-meeting]: missing `[meeting] at`, required for a `Reviewed` post-mortem
      --> content/pm.md:13:2
       |
    13 | [meeting]
       |  ^^^^^^^ no `at` in this table
       = help: record when the review meeting took place:
               [meeting]
               at = 2024-03-12T11:05:00+01:00
    ");
}

#[test]
fn meeting_after_five_business_days_is_late() {
    // Resolved Tuesday 12 March: the deadline is Tuesday 19 March.
    let text = with(&[(
        "at = 2024-03-14T15:00:00+01:00",
        "at = 2024-03-20T10:00:00+01:00",
    )]);
    insta::assert_snapshot!(only(&text, Code::MeetingLate), @"
    warning[meeting-late]: the review meeting was held on 2024-03-20, after its deadline of 2024-03-19
      --> content/pm.md:14:1
       |
    14 | at = 2024-03-20T10:00:00+01:00
       | ^^ 1 day late
       = help: `SEV-2` review meetings are due within 5 business days of `resolved` (2024-03-12 in Europe/Berlin); check `at`, and say in the post-mortem why the review was late
    ");
}

#[test]
fn meeting_on_the_deadline_day_is_on_time() {
    let text = with(&[(
        "at = 2024-03-14T15:00:00+01:00",
        "at = 2024-03-19T23:30:00+01:00",
    )]);
    assert!(run(&text).is_empty());
    // 23:30 UTC on the 19th is already the 20th in Berlin.
    let text = with(&[(
        "at = 2024-03-14T15:00:00+01:00",
        "at = 2024-03-19T23:30:00Z",
    )]);
    assert_eq!(codes(&run(&text)), ["meeting-late"]);
}

#[test]
fn a_meeting_scheduled_after_the_deadline_is_late_before_it_happens() {
    let text = with(&[(
        "at = 2024-03-14T15:00:00+01:00",
        "at = 2024-03-25T10:00:00+01:00",
    )]);
    let found = run_at(&text, "2024-03-15T12:00:00Z");
    assert_eq!(codes(&found), ["meeting-late"]);
    assert!(
        found[0].message.contains("is scheduled"),
        "{}",
        found[0].message
    );
}

#[test]
fn no_meeting_past_the_deadline_is_overdue() {
    let text = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
    insta::assert_snapshot!(only(&text, Code::MeetingOverdue), @"
    warning[meeting-overdue]: the review meeting is overdue: it was due by 2024-03-19, 1 day ago
     --> content/pm.md:1:1
      |
    1 | +++
      | ^^^ no `[meeting] at` in this front matter
      = help: `SEV-2` review meetings are due within 5 business days of `resolved` (2024-03-12 in Europe/Berlin); hold the review meeting, then record it:
              [meeting]
              at = 2024-03-20T15:00:00+01:00
    ");
}

#[test]
fn overdue_starts_the_day_after_the_deadline_in_the_post_mortems_zone() {
    let text = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
    // 22:59 UTC on the 19th is 23:59 in Berlin: still the deadline day.
    assert!(run_at(&text, "2024-03-19T22:59:00Z").is_empty());
    assert_eq!(
        codes(&run_at(&text, "2024-03-19T23:00:00Z")),
        ["meeting-overdue"]
    );
}

#[test]
fn sev1_deadline_is_three_calendar_days_over_a_weekend() {
    // Resolved Friday 15 March: due Monday 18 March.
    let text = with(&[
        ("severity = \"SEV-2\"", "severity = \"SEV-1\""),
        (
            "resolved = 2024-03-12T11:05:00+01:00",
            "resolved = 2024-03-15T11:05:00+01:00",
        ),
        (
            "at = 2024-03-14T15:00:00+01:00",
            "at = 2024-03-18T16:00:00+01:00",
        ),
    ]);
    assert!(run(&text).is_empty());
    let late = text.replace(
        "at = 2024-03-18T16:00:00+01:00",
        "at = 2024-03-19T09:00:00+01:00",
    );
    assert_eq!(codes(&run(&late)), ["meeting-late"]);
}

#[test]
fn business_deadline_skips_configured_holidays() {
    let text = with(&[(
        "at = 2024-03-14T15:00:00+01:00",
        "at = 2024-03-20T10:00:00+01:00",
    )]);
    let mut config = config();
    config.rules.holidays = vec![NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()];
    assert!(check(&parse(&text), &config, now(NOW), &[]).is_empty());
}

#[test]
fn severities_without_a_deadline_have_no_meeting_rules() {
    let text = with(&[
        ("severity = \"SEV-2\"", "severity = \"SEV-3\""),
        ("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", ""),
    ]);
    assert!(run(&text).is_empty());
}

/// `IN_REVIEW` Closed, with no meeting and an action without a ticket, at `severity`.
fn closed_without_meeting_or_ticket(severity: &str) -> String {
    closed(&with(&[
        (
            "severity = \"SEV-2\"",
            &format!("severity = \"{severity}\""),
        ),
        ("ticket = \"OPS-1234\"\n", ""),
    ]))
    .replace("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")
}

#[test]
fn the_default_scale_holds_a_sev4_to_a_lighter_process_than_a_sev1() {
    let sev4 = closed_without_meeting_or_ticket("SEV-4");
    assert_eq!(codes(&run(&sev4)), Vec::<&str>::new());
    let sev1 = closed_without_meeting_or_ticket("SEV-1");
    assert_eq!(
        codes(&run(&sev1)),
        ["missing-meeting", "action-without-ticket"]
    );
    let sev3 = closed_without_meeting_or_ticket("SEV-3");
    assert_eq!(codes(&run(&sev3)), ["action-without-ticket"]);
    // A SEV-4 with customer impact still owes its customers a message, and still writes every
    // section, with or without actions.
    let unwritten = sev4
        .replace(
            "## External message\n\nOn 12 March some payments failed. We are sorry.\n",
            "",
        )
        .replace("## Impact\n\nSome payments failed.\n\n", "");
    let found = run(&unwritten);
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "missing `## Impact` section",
            "missing `## External message` section"
        ]
    );
}

/// The test configuration with `SEV-2` following only `process`. Its meeting deadline stays,
/// so that the process alone decides.
fn config_with_process(process: &[ProcessPart]) -> Config {
    let mut config = config();
    config.severities[1].process = process.to_vec();
    config
}

#[test]
fn a_severity_with_an_empty_process_needs_none_of_it_but_a_clean_message() {
    let config = config_with_process(&[]);
    let text = closed_without_meeting_or_ticket("SEV-2")
        .replace("external_message_posted = 2024-03-12T12:00:00Z\n", "")
        .replace(
            "[[actions]]\ntitle = \"Alert when replication lag exceeds 30 s\"\nowner = \"Dee Park\"\ndue = 2024-04-15\n",
            "",
        );
    let run = |text: &str| {
        let pm = crate::testing::parse("pm", text, &config);
        codes(&check(&pm, &config, now(NOW), &[]))
    };
    assert_eq!(run(&text), Vec::<&str>::new());
    assert_eq!(
        run(&text.replace("\"Closed\"", "\"In Review\"")),
        Vec::<&str>::new()
    );
    let without_message = text.replace(
        "## External message\n\nOn 12 March some payments failed. We are sorry.\n",
        "",
    );
    assert_eq!(run(&without_message), Vec::<&str>::new());
    // A message that is written is still checked: it goes to customers whatever the severity.
    let leaky = text.replace(
        "On 12 March some payments failed. We are sorry.",
        "Checkout had an outage; see OPS-1234.",
    );
    assert_eq!(run(&leaky), ["outage-word", "internal-detail"]);
    let pm = crate::testing::parse("pm", &text, &config);
    assert!(unposted_messages(std::slice::from_ref(&pm), &config).is_empty());
    assert_eq!(
        process(&pm, &config, now(NOW)).lighter.as_deref(),
        Some("SEV-2: no review meeting, follow-up actions, tickets or external message required")
    );
}

#[test]
fn a_severity_without_the_review_meeting_is_never_overdue() {
    let light = config_with_process(&[ProcessPart::Actions, ProcessPart::Tickets]);
    let text = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
    let pm = crate::testing::parse("pm", &text, &light);
    assert_eq!(
        meeting_status(&pm, &light, now(NOW)).state,
        MeetingState::NotRequired
    );
    assert_eq!(meeting_deadline(&pm, &light), None);
    assert!(overdue_reviews(std::slice::from_ref(&pm), &light, now(NOW)).is_empty());
    assert!(check(&pm, &light, now(NOW), &[]).is_empty());
    // The same post-mortem under the full process is overdue.
    assert_eq!(
        overdue_reviews(&[parse(&text)], &config(), now(NOW)).len(),
        1
    );
}

fn closed(text: &str) -> String {
    text.replacen("status = \"In Review\"", "status = \"Closed\"", 1)
        .replacen(
            "[meeting]",
            "external_message_posted = 2024-03-12T12:00:00Z\n\n[meeting]",
            1,
        )
}

#[test]
fn a_complete_closed_post_mortem_passes() {
    assert!(run(&closed(IN_REVIEW)).is_empty());
}

#[test]
fn closed_actions_need_tickets() {
    let text = closed(&with(&[("ticket = \"OPS-1234\"\n", "")]));
    insta::assert_snapshot!(only(&text, Code::ActionWithoutTicket), @r#"
    warning[action-without-ticket]: the action `Alert when replication lag exceeds 30 s` has no ticket
      --> content/pm.md:22:9
       |
    22 | title = "Alert when replication lag exceeds 30 s"
       |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ no `ticket` in this action
       = help: a Closed post-mortem tracks every action in the tracker: add `ticket = "OPS-1234"` (a key or a URL) to this `[[actions]]` entry
    "#);
    assert!(run(&with(&[("ticket = \"OPS-1234\"\n", "")])).is_empty());
}

#[test]
fn closed_with_customer_impact_needs_the_message_posted() {
    let text = closed(IN_REVIEW).replace("external_message_posted = 2024-03-12T12:00:00Z\n", "");
    insta::assert_snapshot!(only(&text, Code::MessageNotPosted), @"
    warning[message-not-posted]: missing `external_message_posted`, required to close a post-mortem with `customer_impact`
     --> content/pm.md:1:1
      |
    1 | +++
      | ^^^ in this front matter
      = help: once support has posted the external message on the status page, add `external_message_posted = 2024-03-16T10:00:00Z` with when it was posted
    ");
    let internal = text.replace("customer_impact = true", "customer_impact = false");
    assert!(run(&internal).is_empty());
}

#[test]
fn outage_word_needs_a_full_outage() {
    let text = message("Checkout had an outage. Some payments failed.");
    insta::assert_snapshot!(only(&text, Code::OutageWord), @r#"
    warning[outage-word]: the external message says `outage` but `full_outage` is false
      --> content/pm.md:50:17
       |
    50 | Checkout had an outage. Some payments failed.
       |                 ^^^^^^ only for a full outage
       = help: say what customers could not do, such as "some payments failed" or "the app was slow"; if nothing worked for anyone, set `full_outage = true`
    "#);
    let full = text.replace(
        "customer_impact = true",
        "customer_impact = true\nfull_outage = true",
    );
    assert!(run(&full).is_empty());
    let found = run(&message("Two Outages. No outaged or blackout."));
    assert_eq!(codes(&found), ["outage-word"]);
}

fn details(text: &str) -> Vec<String> {
    run(&message(text))
        .into_iter()
        .filter(|d| d.code == Code::InternalDetail)
        .map(|d| d.message)
        .collect()
}

#[test]
fn internal_detail_names_people() {
    let text = message("Thanks to Ana Ruiz and\nDee   Park. Ben was on call; Ruiz fixed it.");
    insta::assert_snapshot!(render_one(&run(&text)[0]), @r#"
    error[internal-detail]: the external message names `Ana Ruiz`
      --> content/pm.md:50:11
       |
    50 | Thanks to Ana Ruiz and
       |           ^^^^^^^^ a person from the post-mortem
       = help: customers need what happened, not who: say "our engineers" or "our payments team"
    "#);
    assert_eq!(
        details("Thanks to Ana Ruiz and\nDee   Park. Ben was on call; Ruiz fixed it."),
        [
            "the external message names `Ana Ruiz`",
            "the external message names `Dee Park`",
            "the external message names `Ben`, as in `Ben Ode`",
            "the external message names `Ruiz`, as in `Ana Ruiz`",
        ]
    );
}

#[test]
fn common_words_that_are_names_are_not_people() {
    let text = message("Park your worries: our team will ode to joy.");
    assert!(details("Park your worries: the Odeon was fine.").is_empty());
    assert!(run(&text).is_empty());
}

#[test]
fn internal_detail_finds_hosts_and_addresses() {
    assert_eq!(
        details(
            "See db-1.acme.internal, build.local, LOCALHOST, status.example.com, \
             10.2.3.4, 192.168.0.1:8080, 8.8.8.8, fe80::1, ::1, 2001:db8::1 and 17:58:00."
        ),
        [
            "the external message names the internal host `db-1.acme.internal`",
            "the external message names the internal host `build.local`",
            "the external message names the internal host `LOCALHOST`",
            "the external message contains the private address `10.2.3.4`",
            "the external message contains the private address `192.168.0.1`",
            "the external message contains the private address `fe80::1`",
            "the external message contains the private address `::1`",
        ]
    );
}

#[test]
fn internal_detail_finds_ticket_keys_but_not_standards_or_severities() {
    insta::assert_snapshot!(render_one(&run(&message("Fixed in PAY-610."))[0]), @"
    error[internal-detail]: the external message contains the ticket key `PAY-610`
      --> content/pm.md:50:10
       |
    50 | Fixed in PAY-610.
       |          ^^^^^^^ a ticket key
       = help: customers cannot open our tracker: remove the ticket key (if it is not a ticket, narrow `[external] ticket_pattern` in blameless.toml)
    ");
    assert_eq!(
        details("A SEV-2, UTF-8, ISO-8601, SHA-256, CVE-2021-44228; see OPS-1234 and PAY-610."),
        [
            "the external message contains the ticket key `OPS-1234`",
            "the external message contains the ticket key `PAY-610`",
        ]
    );
}

#[test]
fn internal_detail_finds_chat_channels_and_links() {
    assert_eq!(
        details(
            "Join #inc-checkout or https://chat.example.com/archives/C123, \
             https://acme.slack.com/x and https://status.example.com/#updates. \
             We were #1 in ## rankings."
        ),
        [
            "the external message names the chat channel `#inc-checkout`",
            "the external message links to the incident chat `https://chat.example.com/archives/C123`",
            "the external message links to the incident chat `https://acme.slack.com/x`",
        ]
    );
}

#[test]
fn an_internal_url_is_reported_once() {
    assert_eq!(
        details("See [graph](https://grafana.acme.internal/d/x)."),
        ["the external message names the internal host `grafana.acme.internal`"]
    );
}

#[test]
fn blame_phrases_are_found_across_line_wraps() {
    let text = with(&[(
        "A failover stalled.",
        "This was human\nerror, the fault of nobody.\nThe default of 30 s was careless-ly set.",
    )]);
    let found = run(&text);
    assert_eq!(
        codes(&found),
        ["blame-language", "blame-language", "blame-language"]
    );
    insta::assert_snapshot!(render_one(&found[0]), @"
    warning[blame-language]: `human error` puts the blame on people
      --> content/pm.md:42:10
       |
    42 | This was human
       |          ^^^^^ blame language
       = help: describe what made the mistake possible or easy (a missing check, an unclear runbook, a risky default) rather than who made it
    ");
    let found: Vec<_> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        found,
        [
            "`human error` puts the blame on people",
            "`fault of` puts the blame on people",
            "`careless` puts the blame on people",
        ]
    );
}

#[test]
fn blame_phrases_match_curly_apostrophes() {
    let mut config = config();
    config.rules.blame_phrases = vec!["didn't bother".into()];
    let text = with(&[("A failover stalled.", "They didn\u{2019}t bother.")]);
    let found = check(&parse(&text), &config, now(NOW), &[]);
    assert_eq!(codes(&found), ["blame-language"]);
}

#[test]
fn process_lists_what_the_next_status_needs() {
    let text = with(&[
        ("owner = \"Ana Ruiz\"\n", ""),
        ("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", ""),
    ]);
    let process = process(&parse(&text), &config(), now("2024-03-15T12:00:00Z"));
    assert_eq!(process.next, Some(Status::Reviewed));
    assert_eq!(process.meeting.state, MeetingState::Pending);
    assert_eq!(
        process.meeting.deadline,
        NaiveDate::from_ymd_opt(2024, 3, 19)
    );
    let list: Vec<String> = process
        .checklist
        .iter()
        .map(|c| {
            format!(
                "[{}] {} ({})",
                if c.done { "x" } else { " " },
                c.label,
                c.code.name()
            )
        })
        .collect();
    insta::assert_snapshot!(list.join("\n"), @"
    [ ] Owner named (missing-owner)
    [x] Resolution time recorded (missing-resolved)
    [x] Summary section written (missing-section)
    [x] Impact section written (missing-section)
    [x] Timeline section written (missing-section)
    [x] Contributing factors section written (missing-section)
    [x] Resolution section written (missing-section)
    [x] External message section written (missing-section)
    [x] Follow-up actions listed (missing-actions)
    [ ] Review meeting held by 2024-03-19 (missing-meeting)
    ");
    let json = serde_json::to_value(&process).unwrap();
    assert_eq!(json["meeting"]["within"], "5 business days");
    assert_eq!(json["lifecycle"][1]["current"], true);
}

#[test]
fn process_of_a_closed_post_mortem_checks_every_step() {
    let process = process(&parse(&closed(IN_REVIEW)), &config(), now(NOW));
    assert_eq!(process.next, None);
    assert_eq!(process.meeting.state, MeetingState::Met);
    assert!(
        process.checklist.iter().all(|c| c.done),
        "{:#?}",
        process.checklist
    );
    assert!(process
        .checklist
        .iter()
        .any(|c| c.label == "External message posted"));
}

#[test]
fn the_checklist_of_a_sev4_has_no_meeting_or_actions_line_and_says_why() {
    let text = with(&[
        ("severity = \"SEV-2\"", "severity = \"SEV-4\""),
        ("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", ""),
    ]);
    let process = process(&parse(&text), &config(), now(NOW));
    assert_eq!(process.meeting.state, MeetingState::NotRequired);
    let list: Vec<&str> = process.checklist.iter().map(|c| c.label.as_str()).collect();
    insta::assert_snapshot!(list.join("\n"), @"
    Owner named
    Resolution time recorded
    Summary section written
    Impact section written
    Timeline section written
    Contributing factors section written
    Resolution section written
    External message section written
    ");
    assert_eq!(
        process.lighter.as_deref(),
        Some("SEV-4: no review meeting, follow-up actions or tickets required")
    );
    let sev3 = process_of(&text.replace("SEV-4", "SEV-3"));
    assert_eq!(
        sev3.lighter.as_deref(),
        Some("SEV-3: no review meeting required")
    );
    assert!(sev3
        .checklist
        .iter()
        .any(|c| c.label == "Follow-up actions listed"));
    assert!(!sev3
        .checklist
        .iter()
        .any(|c| c.label.starts_with("Review meeting")));
    let sev2 = process_of(&text.replace("SEV-4", "SEV-2"));
    assert_eq!(sev2.lighter, None);
    assert!(sev2
        .checklist
        .iter()
        .any(|c| c.label.starts_with("Review meeting")));
}

fn process_of(text: &str) -> Process {
    process(&parse(text), &config(), now(NOW))
}

#[test]
fn meeting_states() {
    let config = config();
    let state = |text: &str, at: &str| meeting_status(&parse(text), &config, now(at)).state;
    let no_meeting = with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]);
    assert_eq!(
        state(&no_meeting, "2024-03-13T00:00:00Z"),
        MeetingState::Pending
    );
    assert_eq!(state(&no_meeting, NOW), MeetingState::Overdue);
    assert_eq!(state(IN_REVIEW, NOW), MeetingState::Met);
    let sev3 = IN_REVIEW.replace("SEV-2", "SEV-3");
    assert_eq!(state(&sev3, NOW), MeetingState::NotRequired);
    let reviewed = no_meeting.replace("\"In Review\"", "\"Reviewed\"");
    assert_eq!(state(&reviewed, NOW), MeetingState::Unrecorded);
    let unresolved = no_meeting.replace("resolved = 2024-03-12T11:05:00+01:00\n", "");
    assert_eq!(state(&unresolved, NOW), MeetingState::Pending);
}

#[test]
fn attention_lists_overdue_reviews_messages_and_actions() {
    let overdue = parse(&with(&[(
        "[meeting]\nat = 2024-03-14T15:00:00+01:00\n",
        "",
    )]));
    let fine = parse(&closed(IN_REVIEW));
    let draft = parse(&IN_REVIEW.replace("\"In Review\"", "\"Draft\""));
    let all = [overdue, fine, draft];
    let reviews = overdue_reviews(&all, &config(), now(NOW));
    assert_eq!(reviews.len(), 1);
    assert_eq!(
        (reviews[0].deadline.to_string(), reviews[0].days_overdue),
        ("2024-03-19".into(), 1)
    );
    assert_eq!(unposted_messages(&all, &config()).len(), 1);
    assert!(overdue_actions(&all, now("2024-04-15T21:00:00Z")).is_empty());
    let late = overdue_actions(&all, now("2024-04-16T22:30:00Z"));
    // Two non-draft post-mortems with the same open action, due 15 April, two days ago in Berlin.
    assert_eq!(late.len(), 2);
    assert_eq!(late[0].days_overdue, 2);
}

#[test]
fn the_table_holds_every_process_code_once() {
    let mut in_table: Vec<Code> = RULES.iter().flat_map(|r| r.codes.iter().copied()).collect();
    in_table.sort();
    let process: Vec<Code> = Code::ALL
        .iter()
        .copied()
        .filter(|c| (Code::MissingResolved..=Code::RepeatIncident).contains(c))
        .collect();
    assert_eq!(in_table, process);
}

#[test]
fn a_checklist_line_is_done_exactly_when_its_rule_finds_nothing() {
    // Closed, so the checklist is judged at the post-mortem's own status, as `check` is.
    let text = IN_REVIEW
        .replace("status = \"In Review\"", "status = \"Closed\"")
        .replace("ticket = \"OPS-1234\"\n", "");
    let pm = parse(&text);
    let now = now("2024-03-20T12:00:00Z");
    let found = check(&pm, &config(), now, &[]);
    let process = process(&pm, &config(), now);
    for line in &process.checklist {
        let reported = found.iter().any(|d| d.code == line.code);
        assert_eq!(!line.done, reported, "{}: {found:?}", line.label);
    }
    assert!(process.checklist.iter().any(|c| !c.done));
}

#[test]
fn only_listed_rules_have_checklist_lines() {
    let pm = parse(IN_REVIEW);
    let input = Input {
        pm: &pm,
        config: &config(),
        now: now("2024-03-20T12:00:00Z"),
        status: Status::Closed,
        repeats: &[],
    };
    for rule in RULES {
        let labelled = (rule.check)(&input).iter().any(|item| item.label.is_some());
        assert!(
            !labelled || rule.listed,
            "{:?} has checklist lines",
            rule.codes
        );
    }
}

#[test]
fn the_timeless_rules_find_the_same_at_any_time_and_with_any_repeats() {
    let repeat = crate::insights::Repeat {
        later: 0,
        earlier: 1,
        earlier_id: "2024-01-02-earlier".into(),
        later_id: "pm".into(),
        actions: vec![crate::insights::repeats::OpenAction {
            index: 0,
            name: "OPS-1".into(),
            kind: crate::postmortem::ActionKind::Prevent,
        }],
        open_days: 40,
        service: "checkout".into(),
        causes: vec!["config-change".into()],
        similar_text: true,
    };
    let texts = [
        IN_REVIEW.to_string(),
        with(&[("[meeting]\nat = 2024-03-14T15:00:00+01:00\n", "")]),
        with(&[("status = \"In Review\"", "status = \"Reviewed\"")]),
        with(&[("status = \"In Review\"", "status = \"Closed\"")]),
        with(&[
            ("owner = \"Ana Ruiz\"\n", ""),
            ("ticket = \"OPS-1234\"\n", ""),
        ]),
        message("The outage was human error by ops@db1.acme.internal, see OPS-1234."),
    ];
    let (early, late) = (now("2024-03-13T00:00:00Z"), now("2030-01-01T00:00:00Z"));
    let mut timely_differs = false;
    for text in &texts {
        let pm = parse(text);
        let part = |at, repeats: &[crate::insights::Repeat], timeless| {
            let mut found = check_part(&pm, &config(), at, repeats, timeless);
            crate::diagnostic::sort(&mut found);
            found.iter().map(render_one).collect::<Vec<_>>()
        };
        let timeless = part(early, &[], true);
        assert_eq!(
            timeless,
            part(late, std::slice::from_ref(&repeat), true),
            "{text}"
        );
        timely_differs |=
            part(early, &[], false) != part(late, std::slice::from_ref(&repeat), false);
    }
    // why: the others do read the time and the repeats, so the inputs above reach them.
    assert!(timely_differs);
}
