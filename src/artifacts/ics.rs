//! The review-meeting invite (`/pm/<id>/meeting.ics`): one RFC 5545 VEVENT of 30 minutes at
//! `[meeting] at`, with the seeds' agenda and the page's URL.
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
//! People are names in the format, not addresses. A name written with a well-formed address
//! (`"Dee Park <dee@acme.example>"` or a bare address) becomes an ATTENDEE; a bare name cannot,
//! since ATTENDEE needs a calendar address and a guessed one would invite a stranger, so bare
//! names (and names with a malformed address) are listed in the DESCRIPTION instead. The
//! ORGANIZER is the owner by name (CN), at the owner's address if written, else at the
//! archive's `[email] from` address; without either there is no ORGANIZER.

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};

use super::{page_url, site_host};
use crate::config::Config;
use crate::postmortem::PostMortem;

/// How long the review meeting is booked for.
pub const MEETING_MINUTES: i64 = 30;

/// The invite for `pm`'s review meeting, or `None` when `[meeting] at` is not set.
pub fn meeting_invite(pm: &PostMortem, config: &Config) -> Option<String> {
    let meeting = pm.meeting.as_ref()?;
    let start = meeting.at?.to_utc();
    let end = start + TimeDelta::minutes(MEETING_MINUTES);
    let url = page_url(config, &pm.id);

    let invited: Vec<&str> = if meeting.attendees.is_empty() {
        pm.incident_commander
            .iter()
            .chain(&pm.scribe)
            .chain(&pm.responders)
            .map(String::as_str)
            .collect()
    } else {
        meeting.attendees.iter().map(String::as_str).collect()
    };
    let mut people: Vec<Person> = Vec::new();
    for person in invited.iter().map(|p| Person::parse(p)) {
        if !people.iter().any(|p| p.name == person.name) {
            people.push(person);
        }
    }
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
    if !people.is_empty() {
        let names: Vec<&str> = people.iter().map(|p| p.name.as_str()).collect();
        let _ = writeln!(description, "Invited: {}", names.join(", "));
    }

    let mut out = Writer::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//blameless//post-mortem review//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.line("BEGIN:VEVENT");
    out.line(&format!(
        "UID:{}",
        escape_text(&format!("pm.{}.review@{}", pm.id, site_host(config)))
    ));
    out.line(&format!("DTSTAMP:{}", ical_time(start)));
    out.line(&format!("DTSTART:{}", ical_time(start)));
    out.line(&format!("DTEND:{}", ical_time(end)));
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
    out.line(&format!("URL:{}", uri_value(&url)));
    let organizer = pm.owner.as_deref().map(Person::parse);
    let from = Person::parse(&config.email.from);
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
    for (person, email) in people.iter().filter_map(|p| Some((p, p.email.as_deref()?))) {
        out.line(&format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{email}",
            param_value(&person.name),
        ));
    }
    out.line("STATUS:CONFIRMED");
    out.line("TRANSP:OPAQUE");
    out.line("END:VEVENT");
    out.line("END:VCALENDAR");
    Some(out.text)
}

/// A person as written: "Name", "Name (Team)", "Name <address>" or "address".
#[derive(Clone, Debug, PartialEq, Eq)]
struct Person {
    name: String,
    /// A well-formed address (see `is_address`), safe to write after `mailto:`.
    email: Option<String>,
}

impl Person {
    fn parse(text: &str) -> Person {
        // why: a control character has no place in a name or an address; a CR or LF in one is
        // an attempt to write a content line of its own.
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        let text = text.trim();
        if let Some((name, rest)) = text.split_once('<') {
            let email = rest.trim_end_matches('>').trim();
            let name = strip_team(name.trim().trim_matches('"'));
            return Person {
                name: if name.is_empty() {
                    email.to_string()
                } else {
                    name
                },
                email: is_address(email).then(|| email.to_string()),
            };
        }
        if is_address(text) {
            return Person {
                name: text.to_string(),
                email: Some(text.to_string()),
            };
        }
        Person {
            name: strip_team(text),
            email: None,
        }
    }
}

fn strip_team(name: &str) -> String {
    name.split('(').next().unwrap_or(name).trim().to_string()
}

/// Whether `text` is an address that can follow `mailto:` as it is: one `@` between a local
/// part and a domain, both non-empty, made of letters, digits and the few marks that need no
/// escaping in a URI or a content line.
// why: stricter than RFC 5322 on purpose; an address with `:`, `;`, `,`, `<`, `?`, spaces or
// controls is far more often a mistake or an attack than a real mailbox, and its person is
// still named in the DESCRIPTION.
fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let local_ok = |c: char| c.is_alphanumeric() || "._~!$&'*+=-".contains(c);
    let domain_ok = |c: char| c.is_alphanumeric() || ".-".contains(c);
    !local.is_empty()
        && !domain.is_empty()
        && local.chars().all(local_ok)
        && domain.chars().all(domain_ok)
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
        METHOD:PUBLISH
        BEGIN:VEVENT
        UID:pm.2024-03-12-checkout-failover.review@postmortems.acme.example
        DTSTAMP:20240314T140000Z
        DTSTART:20240314T140000Z
        DTEND:20240314T143000Z
        SUMMARY:Post-mortem review: Checkout errors after a stalled failover (SEV-2
         )
        DESCRIPTION:Review of the post-mortem "Checkout errors after a stalled fail
         over" (SEV-2\, resolved 2024-03-12).\n\nAgenda:\n1. Recap the timeline.\n2
         . How could we have caught it sooner?\n3. Customer impact and the external
          message.\n4. Review the actions: owners\, priorities\, due dates\, ticket
         s.\n\nRead it before the meeting: https://postmortems.acme.example/pm/2024
         -03-12-checkout-failover/\nInvited: Ana Ruiz\, Ben Ode\, Dee Park
        URL:https://postmortems.acme.example/pm/2024-03-12-checkout-failover/
        ORGANIZER;CN=Ana Ruiz:mailto:postmortems@acme.example
        ATTENDEE;CN=Dee Park;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:m
         ailto:dee.park@acme.example
        STATUS:CONFIRMED
        TRANSP:OPAQUE
        END:VEVENT
        END:VCALENDAR
        "#);
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
            description.contains("Invited: Ana Ruiz, Ben Ode, Dee Park"),
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
            assert!(is_address(good), "{good}");
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
            assert!(!is_address(bad), "{bad:?}");
        }
        let person = Person::parse("Dee Park <dee park@acme.example>");
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
            unfolded.contains("Invited: Ben Ode\\, Chen Li\\, Dee Park\\, Eli Moss"),
            "{unfolded}"
        );
    }
}
