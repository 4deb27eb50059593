//! The review-meeting invite (`/pm/<id>/meeting.ics`): one RFC 5545 VEVENT of 30 minutes at
//! `[meeting] at`, with the seeds' agenda, the page's URL and a reminder the day before.
//!
//! A small writer rather than a calendar crate, because the invite must be byte-stable: the
//! crates we looked at stamp every component with a random UID and the wall-clock DTSTAMP. Here
//! the UID derives from the id and the site's host, and DTSTAMP is the meeting time, so the file
//! changes only when the meeting does. Lines are folded at 75 octets on character boundaries
//! and TEXT values escaped as RFC 5545 §3.1 and §3.3.11 say.
//!
//! No value can break a content line: TEXT values are escaped, parameter values lose DQUOTE,
//! and every line loses its control characters before it is folded, so a CR or LF written in a
//! source can never start a property of its own.
//!
//! Who is invited follows the process ([`invitees`]). A person without a well-formed address
//! cannot be an ATTENDEE, since ATTENDEE needs a calendar address and a guessed one would
//! invite a stranger, so they are named in the DESCRIPTION instead. The ORGANIZER is the owner
//! (CN), at the owner's address if known, else at the archive's `[email] from` address; without
//! either there is no ORGANIZER. `SEQUENCE` counts `[meeting] moved_from`, so that calendars
//! that hold the event update it when the meeting is moved.

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};

use super::{page_url, site_host};
use crate::config::Config;
use crate::directory::Written;
use crate::postmortem::PostMortem;

/// How long the review meeting is booked for.
pub const MEETING_MINUTES: i64 = 30;

/// Someone the review meeting invites, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitee {
    /// The person's name, or the team's for a mailing list.
    pub name: String,
    /// Where the invite goes; `None` when no address is known.
    pub email: Option<String>,
    /// Whether the process requires them (else they are invited as optional).
    pub required: bool,
    /// A team's mailing list rather than a person.
    pub group: bool,
    /// Why they are invited, in the order the roles were found: "incident commander", …
    pub roles: Vec<String>,
}

/// Who the review of `pm` invites, by the process: the incident commander, the commander's
/// shadow, the owners of the services involved (their teams' mailing lists), the responders,
/// the engineering and product managers of those teams, and the `[meeting] attendees`;
/// optionally, for an incident of the most severe step of the scale, the services' customer
/// liaisons. Each person once, with every role they have, required if any role requires them.
///
/// Addresses come from the directory, else from a name written with one. Without a directory
/// there are no teams, managers or liaisons.
pub fn invitees(pm: &PostMortem, config: &Config) -> Vec<Invitee> {
    let directory = config.directory.as_deref();
    let mut out: Vec<Invitee> = Vec::new();
    let mut add = |written: &str, role: String, required: bool, group: bool| {
        let parsed = Written::parse(written);
        let person = directory.and_then(|d| d.person(written));
        let name = person.map_or(parsed.name, |p| p.name.clone());
        let email = person.and_then(|p| p.email.clone()).or(parsed.email);
        if name.is_empty() {
            return;
        }
        match out.iter_mut().find(|i| i.name == name && i.group == group) {
            Some(found) => {
                found.required |= required;
                found.email = found.email.take().or(email);
                if !found.roles.contains(&role) {
                    found.roles.push(role);
                }
            }
            None => out.push(Invitee {
                name,
                email,
                required,
                group,
                roles: vec![role],
            }),
        }
    };
    for (person, role) in [
        (&pm.incident_commander, "incident commander"),
        (&pm.commander_shadow, "commander's shadow"),
    ] {
        if let Some(person) = person {
            add(person, role.into(), true, false);
        }
    }
    let teams = directory
        .map(|d| d.owning_teams(&pm.services))
        .unwrap_or_default();
    for team in &teams {
        let owns: Vec<&str> = pm
            .services
            .iter()
            .filter(|s| {
                directory
                    .and_then(|d| d.service(s)?.team.as_deref())
                    .is_some_and(|t| t == team.name)
            })
            .map(String::as_str)
            .collect();
        let role = format!("owners of {}", owns.join(", "));
        let written = match &team.mailing_list {
            Some(list) => format!("{} <{list}>", team.name),
            None => team.name.clone(),
        };
        add(&written, role, true, true);
    }
    for responder in &pm.responders {
        add(responder, "responder".into(), true, false);
    }
    for team in &teams {
        for (manager, role) in [
            (&team.engineering_manager, "engineering manager"),
            (&team.product_manager, "product manager"),
        ] {
            if let Some(manager) = manager {
                add(manager, format!("{role}, {}", team.name), true, false);
            }
        }
    }
    for attendee in pm.meeting.iter().flat_map(|m| &m.attendees) {
        add(attendee, "attendee".into(), true, false);
    }
    if pm.severity.rank == 0 {
        let liaisons = pm.services.iter().filter_map(|s| {
            let service = directory?.service(s)?;
            Some((service.customer_liaison.as_deref()?, &service.name))
        });
        for (liaison, service) in liaisons {
            add(
                liaison,
                format!("customer liaison, {service}"),
                false,
                false,
            );
        }
    }
    out
}

/// The invite for `pm`'s review meeting, or `None` when `[meeting] at` is not set.
pub fn meeting_invite(pm: &PostMortem, config: &Config) -> Option<String> {
    let meeting = pm.meeting.as_ref()?;
    let start = meeting.at?.to_utc();
    let end = start + TimeDelta::minutes(MEETING_MINUTES);
    let url = page_url(config, &pm.id);
    let invited = invitees(pm, config);
    let location = meeting
        .location
        .as_deref()
        .or(config.meeting.location.as_deref());

    let mut description = format!(
        "Review of the post-mortem \"{}\" ({}{}).\n\nAgenda:\n\
         1. Recap the timeline.\n\
         2. How could we have caught it sooner?\n\
         3. Customer impact{}.\n\
         4. Review the actions: owners, priorities, due dates, tickets.\n\n\
         Read it before the meeting: {url}\n",
        pm.title,
        pm.severity.name,
        pm.resolved
            .map(|r| format!(
                ", resolved {}",
                r.with_timezone(&pm.timezone).format("%Y-%m-%d")
            ))
            .unwrap_or_default(),
        if pm.customer_impact {
            " and the external message"
        } else {
            ""
        },
    );
    if let Some(location) = location {
        let _ = writeln!(description, "Where: {location}");
    }
    if !invited.is_empty() {
        let names: Vec<String> = invited
            .iter()
            .map(|i| format!("{} ({})", i.name, i.roles.join("; ")))
            .collect();
        let _ = writeln!(description, "\nInvited: {}", names.join(", "));
    }
    let unreachable: Vec<&str> = invited
        .iter()
        .filter(|i| i.email.is_none())
        .map(|i| i.name.as_str())
        .collect();
    if !unreachable.is_empty() {
        let _ = writeln!(
            description,
            "No address known for: {}. Please forward this invite to them.",
            unreachable.join(", ")
        );
    }

    let mut out = Writer::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//blameless//post-mortem review//EN");
    out.line("CALSCALE:GREGORIAN");
    // why: an event with attendees is a request to attend (RFC 5546 §3.2.2); PUBLISH may
    // carry none.
    let reachable = invited.iter().any(|i| i.email.is_some());
    out.line(if reachable {
        "METHOD:REQUEST"
    } else {
        "METHOD:PUBLISH"
    });
    out.line("BEGIN:VEVENT");
    out.line(&format!(
        "UID:{}",
        escape_text(&format!("pm.{}.review@{}", pm.id, site_host(config)))
    ));
    out.line(&format!("DTSTAMP:{}", ical_time(start)));
    out.line(&format!("DTSTART:{}", ical_time(start)));
    out.line(&format!("DTEND:{}", ical_time(end)));
    out.line(&format!("SEQUENCE:{}", meeting.moved_from.len()));
    out.line(&format!(
        "SUMMARY:{}",
        escape_text(&format!(
            "Post-mortem review: {} ({})",
            pm.title, pm.severity.name
        ))
    ));
    out.line(&format!(
        "DESCRIPTION:{}",
        escape_text(description.trim_end())
    ));
    if let Some(location) = location {
        out.line(&format!("LOCATION:{}", escape_text(location)));
    }
    out.line(&format!("URL:{}", uri_value(&url)));
    let directory = config.directory.as_deref();
    let organizer = pm.owner.as_deref().map(|owner| {
        let written = Written::parse(owner);
        match directory.and_then(|d| d.person(owner)) {
            Some(person) => Written {
                name: person.name.clone(),
                email: person.email.clone().or(written.email),
            },
            None => written,
        }
    });
    let from = Written::parse(&config.email.from);
    let organizer_name = organizer.as_ref().map_or(from.name.as_str(), |o| &o.name);
    let organizer_email = organizer
        .as_ref()
        .and_then(|o| o.email.as_deref())
        .or(from.email.as_deref());
    if let Some(email) = organizer_email {
        out.line(&format!(
            "ORGANIZER;CN={}:mailto:{email}",
            param_value(organizer_name)
        ));
    }
    for (invitee, email) in invited
        .iter()
        .filter_map(|i| Some((i, i.email.as_deref()?)))
    {
        out.line(&format!(
            "ATTENDEE;CN={}{};ROLE={};PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{email}",
            param_value(&invitee.name),
            if invitee.group { ";CUTYPE=GROUP" } else { "" },
            if invitee.required {
                "REQ-PARTICIPANT"
            } else {
                "OPT-PARTICIPANT"
            },
        ));
    }
    out.line("STATUS:CONFIRMED");
    out.line("TRANSP:OPAQUE");
    out.line("BEGIN:VALARM");
    out.line("ACTION:DISPLAY");
    out.line("TRIGGER;RELATED=START:-P1D");
    out.line(&format!(
        "DESCRIPTION:{}",
        escape_text(&format!(
            "Tomorrow: review of \"{}\". Please read the post-mortem first: {url}",
            pm.title
        ))
    ));
    out.line("END:VALARM");
    out.line("END:VEVENT");
    out.line("END:VCALENDAR");
    Some(out.text)
}

/// A UTC time in iCalendar's basic format: `20240314T140000Z`.
fn ical_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value: backslash, semicolon, comma and newlines.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted when it holds `:`, `;` or `,`; DQUOTE and controls removed, since
/// a parameter value cannot hold them.
fn param_value(text: &str) -> String {
    let clean: String = text
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// A URI value (URL): written as it is, less controls and spaces, which a URI cannot hold.
fn uri_value(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect()
}

/// Content lines, folded at 75 octets, ended by CRLF.
#[derive(Default)]
struct Writer {
    text: String,
}

impl Writer {
    /// Adds one content line. Its values are escaped already; what control characters remain
    /// are dropped, so that the only line breaks are the writer's own.
    fn line(&mut self, line: &str) {
        let clean: String = line.chars().filter(|c| !c.is_control()).collect();
        self.text.push_str(&fold(&clean));
        self.text.push_str("\r\n");
    }
}

/// Folds a content line so that no physical line exceeds 75 octets: a CRLF and a space before
/// each continuation, never inside a UTF-8 sequence.
pub fn fold(line: &str) -> String {
    const LIMIT: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > LIMIT {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::fixtures;

    fn invite() -> String {
        meeting_invite(&fixtures::full(), &fixtures::config()).unwrap()
    }

    #[test]
    fn invite_is_snapshotted() {
        insta::assert_snapshot!(invite().replace("\r\n", "\n"), @r#"
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//blameless//post-mortem review//EN
        CALSCALE:GREGORIAN
        METHOD:REQUEST
        BEGIN:VEVENT
        UID:pm.2024-03-12-checkout-failover.review@postmortems.acme.example
        DTSTAMP:20240314T140000Z
        DTSTART:20240314T140000Z
        DTEND:20240314T143000Z
        SEQUENCE:0
        SUMMARY:Post-mortem review: Checkout errors after a stalled failover (SEV-2
         )
        DESCRIPTION:Review of the post-mortem "Checkout errors after a stalled fail
         over" (SEV-2\, resolved 2024-03-12).\n\nAgenda:\n1. Recap the timeline.\n2
         . How could we have caught it sooner?\n3. Customer impact and the external
          message.\n4. Review the actions: owners\, priorities\, due dates\, ticket
         s.\n\nRead it before the meeting: https://postmortems.acme.example/pm/2024
         -03-12-checkout-failover/\n\nInvited: Ben Ode (incident commander\; attend
         ee)\, Dee Park (responder\; attendee)\, Eli Moss (responder)\, Ana Ruiz (a
         ttendee)\nNo address known for: Ben Ode\, Eli Moss\, Ana Ruiz. Please forw
         ard this invite to them.
        URL:https://postmortems.acme.example/pm/2024-03-12-checkout-failover/
        ORGANIZER;CN=Ana Ruiz:mailto:postmortems@acme.example
        ATTENDEE;CN=Dee Park;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:m
         ailto:dee.park@acme.example
        STATUS:CONFIRMED
        TRANSP:OPAQUE
        BEGIN:VALARM
        ACTION:DISPLAY
        TRIGGER;RELATED=START:-P1D
        DESCRIPTION:Tomorrow: review of "Checkout errors after a stalled failover".
          Please read the post-mortem first: https://postmortems.acme.example/pm/20
         24-03-12-checkout-failover/
        END:VALARM
        END:VEVENT
        END:VCALENDAR
        "#);
    }

    /// [`fixtures::FULL`] read with the directory, as `severity`, with a commander's shadow.
    fn with_directory(severity: &str) -> PostMortem {
        crate::testing::parse("a", &text(severity), &fixtures::config_with_directory())
    }

    /// [`fixtures::FULL`] as `severity`, with a commander's shadow and an attendee written as
    /// an alias.
    fn text(severity: &str) -> String {
        fixtures::FULL
            .replace(
                "severity = \"SEV-2\"",
                &format!("severity = \"{severity}\""),
            )
            .replace(
                "scribe = \"Chen Li\"\n",
                "scribe = \"Chen Li\"\ncommander_shadow = \"Fay Lee\"\n",
            )
            .replace(
                "attendees = [\"Ana Ruiz\", \"Ben Ode\", \"Dee Park <dee.park@acme.example>\"]",
                "attendees = [\"bode\"]",
            )
    }

    fn summary(invitees: &[Invitee]) -> Vec<String> {
        invitees
            .iter()
            .map(|i| {
                format!(
                    "{}{} <{}> {}: {}",
                    i.name,
                    if i.group { " [list]" } else { "" },
                    i.email.as_deref().unwrap_or("-"),
                    if i.required { "required" } else { "optional" },
                    i.roles.join("; ")
                )
            })
            .collect()
    }

    #[test]
    fn the_process_decides_who_is_invited() {
        let pm = with_directory("SEV-1");
        assert_eq!(
            summary(&invitees(&pm, &fixtures::config_with_directory())),
            [
                "Ben Ode <ben@acme.example> required: incident commander; attendee",
                "Fay Lee <fay@acme.example> required: commander's shadow",
                "Payments [list] <payments@acme.example> required: owners of checkout",
                "Data [list] <-> required: owners of payments-db",
                "Dee Park <dee.park@acme.example> required: responder",
                "Eli Moss <-> required: responder",
                "Gus Hale <gus@acme.example> required: engineering manager, Payments",
                "Ida Noor <ida@acme.example> required: product manager, Payments",
                "Jo Kim <jo@acme.example> required: engineering manager, Data",
                "Liv Sato <liv@acme.example> optional: customer liaison, checkout",
            ]
        );
    }

    #[test]
    fn only_the_most_severe_incidents_invite_the_customer_liaison() {
        let pm = with_directory("SEV-2");
        let invited = invitees(&pm, &fixtures::config_with_directory());
        assert!(invited.iter().all(|i| i.required), "{invited:?}");
        assert!(!invited.iter().any(|i| i.name == "Liv Sato"));
    }

    #[test]
    fn without_a_directory_only_written_addresses_are_known() {
        let pm = crate::testing::parse("a", &text("SEV-1"), &fixtures::config());
        let invited = invitees(&pm, &fixtures::config());
        assert_eq!(
            summary(&invited),
            [
                "Ben Ode <-> required: incident commander",
                "Fay Lee <-> required: commander's shadow",
                "Dee Park <-> required: responder",
                "Eli Moss <-> required: responder",
                "bode <-> required: attendee",
            ]
        );
    }

    #[test]
    fn the_invite_carries_attendees_roles_location_sequence_and_a_reminder() {
        let mut config = fixtures::config_with_directory();
        config.meeting.location = Some("https://meet.acme.example/review".into());
        let mut pm = with_directory("SEV-1");
        let text = meeting_invite(&pm, &config).unwrap();
        let unfolded = icalendar::parser::unfold(&text);
        let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
        let event = calendar
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .unwrap();
        let attendees: Vec<String> = event
            .properties
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| {
                let param = |name: &str| {
                    p.params
                        .iter()
                        .find(|q| q.key == name)
                        .and_then(|q| q.val.as_ref())
                        .map_or(String::new(), |v| v.as_str().to_string())
                };
                format!("{} {} {}", param("CN"), param("ROLE"), p.val.as_str())
            })
            .collect();
        assert_eq!(
            attendees,
            [
                "Ben Ode REQ-PARTICIPANT mailto:ben@acme.example",
                "Fay Lee REQ-PARTICIPANT mailto:fay@acme.example",
                "Payments REQ-PARTICIPANT mailto:payments@acme.example",
                "Dee Park REQ-PARTICIPANT mailto:dee.park@acme.example",
                "Gus Hale REQ-PARTICIPANT mailto:gus@acme.example",
                "Ida Noor REQ-PARTICIPANT mailto:ida@acme.example",
                "Jo Kim REQ-PARTICIPANT mailto:jo@acme.example",
                "Liv Sato OPT-PARTICIPANT mailto:liv@acme.example",
            ]
        );
        let value = |name: &str| {
            event
                .find_prop(name)
                .map(|p| p.val.clone().unescape_text().as_str().to_string())
                .unwrap()
        };
        assert_eq!(value("ORGANIZER"), "mailto:ana@acme.example");
        assert_eq!(value("LOCATION"), "https://meet.acme.example/review");
        assert_eq!(value("SEQUENCE"), "0");
        let description = value("DESCRIPTION");
        assert!(
            description.contains("No address known for: Data, Eli Moss."),
            "{description}"
        );
        let alarm = event
            .components
            .iter()
            .find(|c| c.name == "VALARM")
            .unwrap();
        let trigger = alarm.find_prop("TRIGGER").unwrap();
        assert_eq!(trigger.val.as_str(), "-P1D");
        assert!(alarm
            .find_prop("DESCRIPTION")
            .unwrap()
            .val
            .as_str()
            .contains("https://postmortems.acme.example/pm/a/"));

        // Moving the meeting raises SEQUENCE, so calendars replace the event they hold.
        let meeting = pm.meeting.as_mut().unwrap();
        meeting.moved_from = vec![meeting.at.unwrap(), meeting.at.unwrap()];
        meeting.location = Some("Room 4.01".into());
        let moved = meeting_invite(&pm, &config).unwrap();
        assert!(moved.contains("\r\nSEQUENCE:2\r\n"), "{moved}");
        assert!(moved.contains("\r\nLOCATION:Room 4.01\r\n"), "{moved}");
    }

    #[test]
    fn an_independent_parser_reads_the_invite() {
        let mut config = fixtures::config_with_directory();
        config.meeting.location = Some("Room 4.01; second floor".into());
        let text = meeting_invite(&with_directory("SEV-1"), &config).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meeting.ics");
        std::fs::write(&path, &text).unwrap();
        // why: Python's icalendar is an implementation independent of the Rust crate above;
        // `.ci/run` installs the distribution's package, which is for the system's Python.
        let script = r#"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
assert cal.get('METHOD') == 'REQUEST', cal.get('METHOD')
(event,) = [c for c in cal.walk('VEVENT')]
print(event.get('SEQUENCE'), event.get('LOCATION'), event.get('ORGANIZER'))
for a in event.get('ATTENDEE'):
    print(a.params.get('CN'), a.params.get('ROLE'), a.params.get('CUTYPE', 'INDIVIDUAL'), a)
(alarm,) = [c for c in event.walk('VALARM')]
print(alarm.get('TRIGGER').dt, alarm.get('ACTION'))
"#;
        let python = ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("python3");
        let out = std::process::Command::new(python)
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8_lossy(&out.stdout);
        insta::assert_snapshot!(printed, @"
        0 Room 4.01; second floor mailto:ana@acme.example
        Ben Ode REQ-PARTICIPANT INDIVIDUAL mailto:ben@acme.example
        Fay Lee REQ-PARTICIPANT INDIVIDUAL mailto:fay@acme.example
        Payments REQ-PARTICIPANT GROUP mailto:payments@acme.example
        Dee Park REQ-PARTICIPANT INDIVIDUAL mailto:dee.park@acme.example
        Gus Hale REQ-PARTICIPANT INDIVIDUAL mailto:gus@acme.example
        Ida Noor REQ-PARTICIPANT INDIVIDUAL mailto:ida@acme.example
        Jo Kim REQ-PARTICIPANT INDIVIDUAL mailto:jo@acme.example
        Liv Sato OPT-PARTICIPANT INDIVIDUAL mailto:liv@acme.example
        -1 day, 0:00:00 DISPLAY
        ");
    }

    #[test]
    fn no_meeting_no_invite() {
        let (id, text) = fixtures::OTHERS[0];
        assert_eq!(
            meeting_invite(&fixtures::parse(id, text), &fixtures::config()),
            None
        );
    }

    #[test]
    fn lines_are_folded_at_75_octets_and_end_in_crlf() {
        let text = invite();
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(!text.replace("\r\n", "").contains('\n'));
        let folded = fold(&format!("DESCRIPTION:{}", "é".repeat(60)));
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("DESCRIPTION:{}", "é".repeat(60))
        );
    }

    #[test]
    fn escapes_text_and_parameters() {
        assert_eq!(escape_text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
        assert_eq!(param_value("Ode, Ben"), "\"Ode, Ben\"");
        assert_eq!(param_value("Ben \"B\" Ode"), "Ben B Ode");
    }

    #[test]
    fn invite_parses_back() {
        let text = invite();
        let unfolded = icalendar::parser::unfold(&text);
        let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
        let event = calendar
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .unwrap();
        let value = |name: &str| {
            event
                .find_prop(name)
                .map(|p| p.val.clone().unescape_text().as_str().to_string())
                .unwrap()
        };
        assert_eq!(value("DTSTART"), "20240314T140000Z");
        assert_eq!(value("DTEND"), "20240314T143000Z");
        assert_eq!(
            value("UID"),
            "pm.2024-03-12-checkout-failover.review@postmortems.acme.example"
        );
        assert_eq!(
            value("SUMMARY"),
            "Post-mortem review: Checkout errors after a stalled failover (SEV-2)"
        );
        let description = value("DESCRIPTION");
        assert!(
            description.contains("1. Recap the timeline.\n"),
            "{description}"
        );
        assert!(
            description.contains("Invited: Ben Ode (incident commander; attendee), Dee Park"),
            "{description}"
        );
        let attendees: Vec<_> = event
            .properties
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| p.val.as_str().to_string())
            .collect();
        assert_eq!(attendees, ["mailto:dee.park@acme.example"]);
        let organizer = event.find_prop("ORGANIZER").unwrap();
        assert_eq!(organizer.val.as_str(), "mailto:postmortems@acme.example");
    }

    #[test]
    fn line_breaks_in_people_and_titles_cannot_add_properties() {
        let mut pm = fixtures::full();
        pm.title = "Failover\r\nATTENDEE:mailto:evil@x.example".into();
        pm.owner = Some("Ana Ruiz <ana@x.example\r\nORGANIZER:mailto:evil@x.example>".into());
        let meeting = pm.meeting.as_mut().unwrap();
        meeting.attendees = vec![
            "Dee Park <dee.park@acme.example>".into(),
            "a@x.example\r\nATTENDEE:mailto:evil@x.example".into(),
            "Mallory <m@x.example\rATTENDEE:mailto:evil@x.example>".into(),
            "Eve\nATTENDEE:mailto:evil@x.example <eve@x.example>".into(),
            "Fay\u{b}Lee <fay@x.example\u{0}>".into(),
        ];
        let text = meeting_invite(&pm, &fixtures::config()).unwrap();
        assert!(text.ends_with("\r\n"));
        for line in text.strip_suffix("\r\n").unwrap().split("\r\n") {
            assert!(
                !line.contains(['\r', '\n']),
                "{line:?} holds a bare line break"
            );
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = icalendar::parser::unfold(&text);
        let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
        let event = calendar
            .components
            .iter()
            .find(|c| c.name == "VEVENT")
            .unwrap();
        let values = |name: &str| -> Vec<String> {
            event
                .properties
                .iter()
                .filter(|p| p.name == name)
                .map(|p| p.val.as_str().to_string())
                .collect()
        };
        // One ATTENDEE per person with a usable address; the others are only named.
        assert_eq!(
            values("ATTENDEE"),
            [
                "mailto:dee.park@acme.example",
                "mailto:eve@x.example",
                "mailto:fay@x.example"
            ]
        );
        assert_eq!(values("ORGANIZER"), ["mailto:postmortems@acme.example"]);
        let names: Vec<&str> = event.properties.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "UID",
                "DTSTAMP",
                "DTSTART",
                "DTEND",
                "SEQUENCE",
                "SUMMARY",
                "DESCRIPTION",
                "URL",
                "ORGANIZER",
                "ATTENDEE",
                "ATTENDEE",
                "ATTENDEE",
                "STATUS",
                "TRANSP"
            ]
        );
        for property in &event.properties {
            if !["SUMMARY", "DESCRIPTION"].contains(&property.name.as_str()) {
                assert!(
                    !property.val.as_str().contains("evil"),
                    "{}:{}",
                    property.name,
                    property.val.as_str()
                );
            }
        }
        let summary = event.find_prop("SUMMARY").unwrap();
        assert_eq!(
            summary.val.clone().unescape_text().as_str(),
            "Post-mortem review: Failover\nATTENDEE:mailto:evil@x.example (SEV-2)"
        );
    }

    #[test]
    fn only_well_formed_addresses_become_calendar_addresses() {
        for good in [
            "dee.park@acme.example",
            "ana+pm@x.example",
            "jörg@bücher.example",
        ] {
            assert!(crate::directory::is_address(good), "{good}");
        }
        for bad in [
            "dee",
            "@acme.example",
            "dee@",
            "a@x.example:mailto:b@y.example",
            "a@b@x.example",
            "dee park@acme.example",
            "a;b@x.example",
            "a,b@x.example",
            "a@x.example?subject=hi",
            "a@x.example\r\n",
        ] {
            assert!(!crate::directory::is_address(bad), "{bad:?}");
        }
        let person = Written::parse("Dee Park <dee park@acme.example>");
        assert_eq!(person.name, "Dee Park");
        assert_eq!(person.email, None);
    }

    #[test]
    fn without_any_address_there_is_no_organizer() {
        let mut config = fixtures::config();
        config.email.from = "Post-mortems".into();
        let invite = meeting_invite(&fixtures::full(), &config).unwrap();
        assert!(!invite.contains("ORGANIZER"), "{invite}");
    }

    #[test]
    fn without_attendees_the_responders_are_invited() {
        let text = fixtures::FULL.replace(
            "attendees = [\"Ana Ruiz\", \"Ben Ode\", \"Dee Park <dee.park@acme.example>\"]\n",
            "",
        );
        let invite = meeting_invite(&fixtures::parse("a", &text), &fixtures::config()).unwrap();
        let unfolded = icalendar::parser::unfold(&invite);
        assert!(
            unfolded.contains(
                "Invited: Ben Ode (incident commander)\\, Dee Park (responder)\\, Eli Moss (responder)\\n"
            ),
            "{unfolded}"
        );
    }
}
