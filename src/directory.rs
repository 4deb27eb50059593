//! `directory.toml`: the archive's people, teams and services, parsed once into a validated
//! [`Directory`] that resolves the names written in post-mortems.
//!
//! The file is optional and sits beside `blameless.toml`. It is its own file because it is
//! usually written by a script from the people and service catalogues of the organisation,
//! and reviewed by other people than the process settings are. Without it nothing changes:
//! names stay the strings they are written as.
//!
//! ```toml
//! [[person]]
//! name = "Hannah Becker"
//! email = "hannah.becker@acme.example"
//! team = "Payments"
//! aliases = ["hbecker", "HB"]
//!
//! [[team]]
//! name = "Payments"
//! mailing_list = "payments@acme.example"
//! engineering_manager = "Jonas Weber"
//! product_manager = "Mira Okafor"
//!
//! [[service]]
//! name = "checkout-api"
//! team = "Payments"
//! tier = 1
//! customer_liaison = "Sam Ortiz"
//! ```
//!
//! Same strictness as the configuration: unknown keys, duplicate names or aliases, malformed
//! addresses and references to people or teams that are not in the file are `invalid-config`
//! diagnostics with their line and column.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{did_you_mean, Code, Diagnostic};
use crate::postmortem::{Action, PostMortem};

/// The file name looked for beside `blameless.toml`.
pub const FILE_NAME: &str = "directory.toml";

/// The archive's people, teams and services, validated: every reference resolves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directory {
    /// The people, in file order.
    pub people: Vec<Person>,
    /// The teams, in file order.
    pub teams: Vec<Team>,
    /// The services, in file order.
    pub services: Vec<Service>,
    /// Each person's name, aliases and address, lower-cased, to the person's position.
    person_keys: HashMap<String, usize>,
}

/// One person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The name pages show, such as "Hannah Becker".
    pub name: String,
    /// The address invites and emails go to.
    pub email: Option<String>,
    /// The team's name, which is in [`Directory::teams`].
    pub team: Option<String>,
    /// Other ways of writing the person: a chat handle, initials.
    pub aliases: Vec<String>,
}

/// One team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// The team's name, such as "Payments".
    pub name: String,
    /// The team's mailing list.
    pub mailing_list: Option<String>,
    /// The engineering manager's name, a person of the directory.
    pub engineering_manager: Option<String>,
    /// The product manager's name, a person of the directory.
    pub product_manager: Option<String>,
}

impl Team {
    /// The team's part of its page's path: `/teams/<slug>/`.
    pub fn slug(&self) -> String {
        crate::slug::slugify(&self.name)
    }
}

/// One service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    /// The name post-mortems write in `services`.
    pub name: String,
    /// The owning team's name, which is in [`Directory::teams`].
    pub team: Option<String>,
    /// The service's tier (1 most critical), if the organisation tiers its services.
    pub tier: Option<u8>,
    /// The person who speaks to customers about it, invited to the review of a SEV-1.
    pub customer_liaison: Option<String>,
}

/// A person as written in a post-mortem: "Name", "Name (Team)", "Name <address>" or
/// "address".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The name, without the address or a "(Team)" suffix; the address when only that is
    /// written.
    pub name: String,
    /// A well-formed address (see [`is_address`]), if one is written.
    pub email: Option<String>,
}

impl Written {
    /// Reads a person as written.
    pub fn parse(text: &str) -> Written {
        // why: a control character has no place in a name or an address; a CR or LF in one is
        // an attempt to write a header or content line of its own.
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        let text = text.trim();
        if let Some((name, rest)) = text.split_once('<') {
            let email = rest.trim_end_matches('>').trim();
            let name = strip_team(name.trim().trim_matches('"'));
            return Written {
                name: if name.is_empty() {
                    email.to_string()
                } else {
                    name
                },
                email: is_address(email).then(|| email.to_string()),
            };
        }
        if is_address(text) {
            return Written {
                name: text.to_string(),
                email: Some(text.to_string()),
            };
        }
        Written {
            name: strip_team(text),
            email: None,
        }
    }
}

fn strip_team(name: &str) -> String {
    name.split('(').next().unwrap_or(name).trim().to_string()
}

/// Whether `text` is an address that can follow `mailto:` or stand in a header as it is: one
/// `@` between a local part and a domain, both non-empty, made of letters, digits and the few
/// marks that need no escaping in a URI or a content line.
// why: stricter than RFC 5322 on purpose; an address with `:`, `;`, `,`, `<`, `?`, spaces or
// controls is far more often a mistake or an attack than a real mailbox.
pub fn is_address(text: &str) -> bool {
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

impl Directory {
    /// Parses the text of `directory.toml`; `path` is only used in diagnostics.
    pub fn parse(text: &str, path: &Path) -> Result<Directory, Vec<Diagnostic>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawDirectory = crate::config::deserialize(text, path)?;
        let mut problems = Vec::new();
        let mut report = |span: Range<usize>, message: String, help: String| {
            problems.push(
                Diagnostic::new(Code::InvalidConfig, message)
                    .at(path, text, span)
                    .help(help),
            );
        };

        // Names first, so that a reference may point forward in the file.
        let mut team_names: HashMap<String, usize> = HashMap::new();
        for (i, team) in raw.team.iter().enumerate() {
            let name = team.name.get_ref().trim();
            let key = crate::slug::slugify(name);
            if name.is_empty() || key.is_empty() {
                report(
                    team.name.span(),
                    "a team needs a name with a letter or digit".into(),
                    "write `name = \"Payments\"`".into(),
                );
            } else if let Some(&first) = team_names.get(&key) {
                report(
                    team.name.span(),
                    format!(
                        "the team `{name}` is already in the directory (as `{}`)",
                        raw.team[first].name.get_ref().trim()
                    ),
                    "each team is written once; team names must differ in more than case and punctuation, since each has a page".into(),
                );
            } else {
                team_names.insert(key, i);
            }
        }
        let mut person_keys: HashMap<String, usize> = HashMap::new();
        for (i, person) in raw.person.iter().enumerate() {
            let name = &person.name;
            if name.get_ref().trim().is_empty() {
                report(
                    name.span(),
                    "a person needs a name".into(),
                    "write `name = \"Hannah Becker\"`".into(),
                );
                continue;
            }
            let email = person.email.iter().map(|e| (e, "address"));
            let written = std::iter::once((name, "name"))
                .chain(person.aliases.iter().map(|a| (a, "alias")))
                .chain(email);
            for (value, what) in written {
                let key = value.get_ref().trim().to_lowercase();
                if key.is_empty() {
                    report(value.span(), format!("an empty {what}"), "remove it".into());
                    continue;
                }
                match person_keys.get(&key) {
                    Some(&other) if other == i => {}
                    Some(&other) => report(
                        value.span(),
                        format!(
                            "the {what} `{}` is already taken by {}",
                            value.get_ref().trim(),
                            raw.person[other].name.get_ref().trim()
                        ),
                        "names, aliases and addresses must each point to one person: remove or change one".into(),
                    ),
                    None => {
                        person_keys.insert(key, i);
                    }
                }
            }
        }

        let person_names = || raw.person.iter().map(|p| p.name.get_ref().trim());
        let person_ref =
            |value: &Spanned<String>,
             role: &str,
             report: &mut dyn FnMut(Range<usize>, String, String)| {
                let key = value.get_ref().trim().to_lowercase();
                match person_keys.get(&key) {
                    Some(&i) => Some(raw.person[i].name.get_ref().trim().to_string()),
                    None => {
                        let help = match did_you_mean(value.get_ref(), person_names()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => {
                                format!("add a `[[person]]` named `{}`", value.get_ref().trim())
                            }
                        };
                        report(
                            value.span(),
                            format!(
                                "the {role} `{}` is not a person of the directory",
                                value.get_ref().trim()
                            ),
                            help,
                        );
                        None
                    }
                }
            };
        let team_names_list = || raw.team.iter().map(|t| t.name.get_ref().trim());
        let team_ref =
            |value: &Spanned<String>, report: &mut dyn FnMut(Range<usize>, String, String)| {
                match team_names.get(&crate::slug::slugify(value.get_ref())) {
                    Some(&i) => Some(raw.team[i].name.get_ref().trim().to_string()),
                    None => {
                        let help = match did_you_mean(value.get_ref(), team_names_list()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("add a `[[team]]` named `{}`", value.get_ref().trim()),
                        };
                        report(
                            value.span(),
                            format!(
                                "the team `{}` is not in the directory",
                                value.get_ref().trim()
                            ),
                            help,
                        );
                        None
                    }
                }
            };
        let address = |value: &Option<Spanned<String>>,
                       report: &mut dyn FnMut(Range<usize>, String, String)| {
            let value = value.as_ref()?;
            let email = value.get_ref().trim();
            if is_address(email) {
                Some(email.to_string())
            } else {
                report(
                    value.span(),
                    format!("`{email}` is not an email address"),
                    "write a plain address such as `payments@acme.example`, without a name or brackets".into(),
                );
                None
            }
        };

        let people: Vec<Person> = raw
            .person
            .iter()
            .map(|p| Person {
                name: p.name.get_ref().trim().to_string(),
                email: address(&p.email, &mut report),
                team: p.team.as_ref().and_then(|t| team_ref(t, &mut report)),
                aliases: p
                    .aliases
                    .iter()
                    .map(|a| a.get_ref().trim().to_string())
                    .collect(),
            })
            .collect();
        let teams: Vec<Team> = raw
            .team
            .iter()
            .map(|t| Team {
                name: t.name.get_ref().trim().to_string(),
                mailing_list: address(&t.mailing_list, &mut report),
                engineering_manager: t
                    .engineering_manager
                    .as_ref()
                    .and_then(|m| person_ref(m, "engineering manager", &mut report)),
                product_manager: t
                    .product_manager
                    .as_ref()
                    .and_then(|m| person_ref(m, "product manager", &mut report)),
            })
            .collect();
        let mut service_names: HashMap<String, usize> = HashMap::new();
        let mut services = Vec::new();
        for s in &raw.service {
            let name = s.name.get_ref().trim();
            if name.is_empty() {
                report(
                    s.name.span(),
                    "a service needs a name".into(),
                    "write the name post-mortems use in `services`, such as `name = \"checkout-api\"`".into(),
                );
                continue;
            }
            if let Some(&first) = service_names.get(&name.to_lowercase()) {
                let first: &Service = &services[first];
                report(
                    s.name.span(),
                    format!(
                        "the service `{name}` is already in the directory (as `{}`)",
                        first.name
                    ),
                    "each service is written once".into(),
                );
                continue;
            }
            service_names.insert(name.to_lowercase(), services.len());
            services.push(Service {
                name: name.to_string(),
                team: s.team.as_ref().and_then(|t| team_ref(t, &mut report)),
                tier: s.tier,
                customer_liaison: s
                    .customer_liaison
                    .as_ref()
                    .and_then(|l| person_ref(l, "customer liaison", &mut report)),
            });
        }

        if !problems.is_empty() {
            crate::diagnostic::sort(&mut problems);
            return Err(problems);
        }
        Ok(Directory {
            people,
            teams,
            services,
            person_keys,
        })
    }

    /// The person written as `text` ("Name", "alias", "Name (Team)", "Name <address>",
    /// "address"), found by name, alias or address, ignoring case.
    pub fn person(&self, text: &str) -> Option<&Person> {
        let written = Written::parse(text);
        let find = |key: &str| {
            self.person_keys
                .get(&key.trim().to_lowercase())
                .map(|&i| &self.people[i])
        };
        find(&written.name).or_else(|| find(written.email.as_deref()?))
    }

    /// The closest name or alias to `text`, for a "did you mean".
    pub fn suggest_person(&self, text: &str) -> Option<&str> {
        let written = Written::parse(text);
        let candidates = self
            .people
            .iter()
            .flat_map(|p| std::iter::once(&p.name).chain(&p.aliases))
            .map(String::as_str);
        let found = did_you_mean(&written.name, candidates)?;
        // why: an alias is suggested as the person it stands for, which is what pages show.
        Some(self.person(found).map_or(found, |p| p.name.as_str()))
    }

    /// The team named `name`, ignoring case and punctuation.
    pub fn team(&self, name: &str) -> Option<&Team> {
        let slug = crate::slug::slugify(name);
        self.teams.iter().find(|t| t.slug() == slug)
    }

    /// The service named `name`, ignoring case.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    }

    /// The closest service name to `name`, for a "did you mean".
    pub fn suggest_service(&self, name: &str) -> Option<&str> {
        did_you_mean(name, self.services.iter().map(|s| s.name.as_str()))
    }

    /// The team of the person written as `text`.
    pub fn team_of(&self, text: &str) -> Option<&Team> {
        self.team(self.person(text)?.team.as_deref()?)
    }

    /// The teams that own `services`, each once, in the order of the services.
    pub fn owning_teams<'a>(&'a self, services: &[String]) -> Vec<&'a Team> {
        let mut teams: Vec<&Team> = Vec::new();
        for team in services
            .iter()
            .filter_map(|s| self.team(self.service(s)?.team.as_deref()?))
        {
            if !teams.iter().any(|t| t.name == team.name) {
                teams.push(team);
            }
        }
        teams
    }

    /// The team an action is for: its owner's team, else the team that owns its service (see
    /// [`Action::service`]).
    pub fn action_team(&self, action: &Action, pm: &PostMortem) -> Option<&Team> {
        let by_owner = action.owner.as_deref().and_then(|o| self.team_of(o));
        by_owner.or_else(|| self.team(self.service(action.service(pm)?)?.team.as_deref()?))
    }

    /// The services `team` owns, in file order.
    pub fn services_of<'a>(&'a self, team: &'a Team) -> impl Iterator<Item = &'a Service> {
        self.services
            .iter()
            .filter(move |s| s.team.as_deref() == Some(team.name.as_str()))
    }
}

// why: the raw structs mirror the file and stay private; `Directory` is what the rest trusts.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawDirectory {
    person: Vec<RawPerson>,
    team: Vec<RawTeam>,
    service: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    name: Spanned<String>,
    email: Option<Spanned<String>>,
    team: Option<Spanned<String>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    name: Spanned<String>,
    mailing_list: Option<Spanned<String>>,
    engineering_manager: Option<Spanned<String>>,
    product_manager: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: Spanned<String>,
    team: Option<Spanned<String>>,
    tier: Option<u8>,
    customer_liaison: Option<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::render_one;

    fn parse(text: &str) -> Result<Directory, Vec<Diagnostic>> {
        Directory::parse(text, Path::new(FILE_NAME))
    }

    const SMALL: &str = r#"
[[person]]
name = "Hannah Becker"
email = "hannah@acme.example"
team = "Payments"
aliases = ["hbecker", "HB"]

[[person]]
name = "Jonas Weber"
email = "jonas@acme.example"
team = "payments"

[[team]]
name = "Payments"
mailing_list = "payments@acme.example"
engineering_manager = "Jonas Weber"
product_manager = "hb"

[[service]]
name = "checkout-api"
team = "Payments"
tier = 1
customer_liaison = "Hannah Becker"
"#;

    #[test]
    fn resolves_names_aliases_and_addresses_ignoring_case() {
        let dir = parse(SMALL).unwrap();
        for written in [
            "Hannah Becker",
            "hannah becker",
            "HBECKER",
            "HB (Payments)",
            "Hannah B <hannah@acme.example>",
            "hannah@acme.example",
        ] {
            assert_eq!(
                dir.person(written).map(|p| p.name.as_str()),
                Some("Hannah Becker"),
                "{written}"
            );
        }
        assert!(dir.person("Hanna Becker").is_none());
        assert_eq!(dir.suggest_person("Hanna Becker"), Some("Hannah Becker"));
        assert_eq!(dir.suggest_person("hbeker"), Some("Hannah Becker"));
        // A reference written in another case resolves to the written name.
        assert_eq!(dir.people[1].team.as_deref(), Some("Payments"));
        assert_eq!(
            dir.teams[0].product_manager.as_deref(),
            Some("Hannah Becker")
        );
        assert_eq!(dir.team_of("jonas@acme.example").unwrap().name, "Payments");
        assert_eq!(dir.service("Checkout-API").unwrap().tier, Some(1));
        let teams = dir.owning_teams(&["checkout-api".into(), "search".into()]);
        assert_eq!(teams.len(), 1);
        assert_eq!(dir.services_of(teams[0]).count(), 1);
    }

    #[test]
    fn post_mortems_name_people_and_services_as_the_directory_does() {
        let text = "+++\ntitle = \"t\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = 2024-01-01T00:00:00Z\n\
            owner = \"Hanna Becker\"\nincident_commander = \"HBECKER\"\nresponders = [\"Jonas Weber (Payments)\", \"Zed\"]\n\
            services = [\"Checkout-API\", \"search\"]\n[meeting]\nattendees = [\"jonas@acme.example\"]\n\
            [[actions]]\ntitle = \"x\"\nowner = \"HB\"\nservice = \"Checkout-API\"\n+++\n";
        let config = crate::config::Config {
            directory: Some(std::sync::Arc::new(parse(SMALL).unwrap())),
            ..Default::default()
        };
        let parsed = crate::testing::parsed("a", text, &config);
        let pm = parsed.postmortem.unwrap();
        assert_eq!(pm.owner.as_deref(), Some("Hanna Becker"));
        assert_eq!(pm.incident_commander.as_deref(), Some("Hannah Becker"));
        assert_eq!(pm.responders, ["Jonas Weber", "Zed"]);
        assert_eq!(pm.services, ["checkout-api", "search"]);
        assert_eq!(pm.meeting.as_ref().unwrap().attendees, ["Jonas Weber"]);
        assert_eq!(pm.actions[0].owner.as_deref(), Some("Hannah Becker"));
        assert_eq!(pm.actions[0].service.as_deref(), Some("checkout-api"));
        let found: Vec<(Code, usize, usize, &str, Option<&str>)> = parsed
            .diagnostics
            .iter()
            .map(|d| {
                let at = d.location.as_ref().unwrap();
                (
                    d.code,
                    at.line,
                    at.column,
                    d.message.as_str(),
                    d.help.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    Code::UnknownService,
                    9,
                    29,
                    "the service `search` is not in `directory.toml`",
                    Some("add a `[[service]]` named `search` with its owning team to `directory.toml`")
                ),
                (
                    Code::UnknownPerson,
                    6,
                    9,
                    "`Hanna Becker` is not a person of `directory.toml`",
                    Some("did you mean `Hannah Becker`?")
                ),
                (
                    Code::UnknownPerson,
                    8,
                    41,
                    "`Zed` is not a person of `directory.toml`",
                    Some("write the name as `directory.toml` has it, or add a `[[person]]` there")
                ),
            ]
        );

        let without = crate::testing::parsed("a", text, &crate::config::Config::default());
        assert!(without.diagnostics.is_empty(), "{:?}", without.diagnostics);
        let pm = without.postmortem.unwrap();
        assert_eq!(pm.incident_commander.as_deref(), Some("HBECKER"));
        assert_eq!(pm.services, ["Checkout-API", "search"]);
    }

    #[test]
    fn an_empty_file_is_an_empty_directory() {
        assert_eq!(parse("").unwrap(), Directory::default());
    }

    #[test]
    fn dangling_references_point_at_their_value() {
        let errors = parse(
            "[[person]]\nname = \"Ana\"\nteam = \"Paymnets\"\n[[team]]\nname = \"Payments\"\nengineering_manager = \"Bob\"\n[[service]]\nname = \"api\"\nteam = \"Search\"\ncustomer_liaison = \"ana\"\n",
        )
        .unwrap_err();
        let found: Vec<(usize, &str, Option<&str>)> = errors
            .iter()
            .map(|d| {
                (
                    d.location.as_ref().unwrap().line,
                    d.message.as_str(),
                    d.help.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    3,
                    "the team `Paymnets` is not in the directory",
                    Some("did you mean `Payments`?")
                ),
                (
                    6,
                    "the engineering manager `Bob` is not a person of the directory",
                    Some("add a `[[person]]` named `Bob`")
                ),
                (
                    9,
                    "the team `Search` is not in the directory",
                    Some("add a `[[team]]` named `Search`")
                ),
            ]
        );
    }

    #[test]
    fn duplicates_and_bad_addresses_are_reported() {
        let errors = parse(
            "[[person]]\nname = \"Ana\"\naliases = [\"a\"]\n[[person]]\nname = \"Bo\"\naliases = [\"A\"]\nemail = \"bo at x\"\n[[team]]\nname = \"Ops\"\n[[team]]\nname = \"ops\"\n[[service]]\nname = \"api\"\n[[service]]\nname = \"API\"\n",
        )
        .unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "the alias `A` is already taken by Ana",
                "`bo at x` is not an email address",
                "the team `ops` is already in the directory (as `Ops`)",
                "the service `API` is already in the directory (as `api`)",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_reported_with_a_suggestion() {
        let errors =
            parse("[[team]]\nname = \"Ops\"\nmailinglist = \"ops@x.example\"\n").unwrap_err();
        insta::assert_snapshot!(render_one(&errors[0]), @r#"
        error[invalid-config]: unknown field `mailinglist`, expected one of `name`, `mailing_list`, `engineering_manager`, `product_manager`
         --> directory.toml:3:1
          |
        3 | mailinglist = "ops@x.example"
          | ^^^^^^^^^^^
          = help: did you mean `mailing_list`?
        "#);
    }

    #[test]
    fn written_people_keep_a_well_formed_address_only() {
        assert_eq!(
            Written::parse("Dee Park (SRE) <dee@acme.example>"),
            Written {
                name: "Dee Park".into(),
                email: Some("dee@acme.example".into())
            }
        );
        assert_eq!(Written::parse("Eve <eve@x;y>").email, None);
        assert_eq!(Written::parse("a\r\nb").name, "ab");
    }
}
