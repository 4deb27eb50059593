//! The external message: `outage-word` and `internal-detail` (people, internal hosts, private
//! addresses, ticket keys, chat channels).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;
use std::rc::Rc;
use std::sync::LazyLock;

use regex::Regex;

use super::{place, Input, Item};
use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic};
use crate::postmortem::{PostMortem, SectionKind};

/// One problem found in a section's Markdown, with its byte span in that Markdown.
#[derive(Clone, Debug, PartialEq)]
struct Finding {
    span: Range<usize>,
    message: String,
    label: &'static str,
    help: &'static str,
}

/// `outage-word`, `internal-detail`: what support pastes on the status page says nothing
/// internal and claims no outage that was not one.
pub(super) fn check(input: &Input<'_>) -> Vec<Item> {
    let (pm, config) = (input.pm, input.config);
    let Some(section) = pm.section(SectionKind::ExternalMessage) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let text = &*crate::markdown::without_comments(section.markdown());
    let offset = section.content_offset;
    if !pm.full_outage {
        for m in OUTAGE.find_iter(text) {
            out.push(place(
                pm,
                Diagnostic::new(
                    Code::OutageWord,
                    format!(
                        "the external message says `{}` but `full_outage` is false",
                        m.as_str()
                    ),
                )
                .label("only for a full outage")
                .help(
                    "say what customers could not do, such as \"some payments failed\" or \
                     \"the app was slow\"; if nothing worked for anyone, set `full_outage = true`",
                ),
                offset + m.start()..offset + m.end(),
            ));
        }
    }
    for finding in internal_details(text, pm, config) {
        out.push(place(
            pm,
            Diagnostic::new(Code::InternalDetail, finding.message)
                .label(finding.label)
                .help(finding.help),
            offset + finding.span.start..offset + finding.span.end,
        ));
    }
    vec![Item::problems(out)]
}

static OUTAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\boutages?\b").expect("valid regex"));

static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+\b|\blocalhost\b",
    )
    .expect("valid regex")
});

static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{1,3}(?:\.\d{1,3}){3}\b").expect("valid regex"));

static IPV6: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}").expect("valid regex"));

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bhttps?://[^\s<>()\[\]"'`]+"#).expect("valid regex"));

static CHANNEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s(\[])(#[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_])").expect("valid regex")
});

/// Top-level labels that only resolve inside a private network.
pub const INTERNAL_SUFFIXES: &[&str] = &[
    "internal",
    "local",
    "corp",
    "lan",
    "intranet",
    "localdomain",
];

/// Hosts of chat services: a link to them is a link to a channel customers cannot open.
pub const CHAT_HOSTS: &[&str] = &[
    "slack.com",
    "teams.microsoft.com",
    "teams.live.com",
    "discord.com",
    "discord.gg",
    "chat.google.com",
    "mattermost.com",
    "zulipchat.com",
];

/// Prefixes of keys that look like tickets but name public standards, algorithms and
/// vulnerabilities (`UTF-8`, `ISO-8601`, `SHA-256`, `CVE-2021-44228`): not internal details.
pub const NOT_TICKET_PREFIXES: &[&str] = &[
    "AES", "ANSI", "CVE", "COVID", "DIN", "ECMA", "EN", "GHSA", "HTTP", "IEC", "IEEE", "ISO", "MD",
    "PCI", "RFC", "RSA", "SHA", "SOC", "SSL", "TLS", "UTF", "WCAG",
];

/// English words that are also first or last names. A name part on this list is only an
/// internal detail as part of the full name: "Park" alone is a word, "Dee Park" is a person.
const NAME_WORDS: &[&str] = &[
    "april", "august", "baker", "banks", "bell", "best", "bird", "black", "bloom", "brown", "bush",
    "case", "chance", "chase", "cook", "dawn", "day", "dean", "east", "faith", "field", "fields",
    "fisher", "fox", "frank", "frost", "gay", "glass", "gold", "grace", "gray", "green", "grey",
    "hall", "hill", "holly", "hope", "hunt", "hunter", "ivy", "jack", "joy", "june", "king",
    "lamb", "lane", "law", "little", "long", "love", "lucky", "major", "mark", "marsh", "mason",
    "may", "miles", "mills", "moss", "north", "page", "park", "parker", "pat", "penny", "pierce",
    "pool", "price", "read", "reed", "rich", "rivers", "rose", "ruby", "sage", "sharp", "shaw",
    "shore", "small", "snow", "south", "stone", "strong", "summer", "sunny", "swift", "taylor",
    "victor", "wade", "walker", "ward", "waters", "wells", "west", "white", "will", "winter",
    "wood", "woods", "young",
];

/// Internal details in an external message: people, internal hosts, private addresses, ticket
/// keys, chat channels. One finding per occurrence; a finding inside another (the host of an
/// internal URL, a last name inside a full name) is dropped.
fn internal_details(text: &str, pm: &PostMortem, config: &Config) -> Vec<Finding> {
    let mut found = Vec::new();
    find_people(text, pm, &mut found);
    find_chat(text, pm, &mut found);
    find_hosts(text, config, &mut found);
    find_addresses(text, &mut found);
    find_tickets(text, pm, config, &mut found);
    found.sort_by(|a, b| {
        a.span
            .start
            .cmp(&b.span.start)
            .then(b.span.end.cmp(&a.span.end))
    });
    let mut kept: Vec<Finding> = Vec::new();
    for f in found {
        if kept.last().is_some_and(|k| f.span.start < k.span.end) {
            continue;
        }
        kept.push(f);
    }
    kept
}

const PERSON_HELP: &str =
    "customers need what happened, not who: say \"our engineers\" or \"our payments team\"";

fn find_people(text: &str, pm: &PostMortem, found: &mut Vec<Finding>) {
    for person in pm.people() {
        let parts: Vec<&str> = person.split_whitespace().collect();
        if parts.is_empty() {
            continue;
        }
        let full = parts
            .iter()
            .map(|p| regex::escape(p))
            .collect::<Vec<_>>()
            .join(r"\s+");
        if let Some(re) = compiled(&format!(r"(?i)\b{full}\b")) {
            for m in re.find_iter(text) {
                found.push(Finding {
                    span: m.range(),
                    message: format!("the external message names `{person}`"),
                    label: "a person from the post-mortem",
                    help: PERSON_HELP,
                });
            }
        }
        if parts.len() < 2 {
            continue;
        }
        for part in parts {
            let letters = part.chars().filter(|c| c.is_alphabetic()).count();
            let capitalised = part.chars().next().is_some_and(char::is_uppercase);
            if letters < 3 || !capitalised || NAME_WORDS.contains(&part.to_lowercase().as_str()) {
                continue;
            }
            let Some(re) = compiled(&format!(r"\b{}\b", regex::escape(part))) else {
                continue;
            };
            for m in re.find_iter(text) {
                found.push(Finding {
                    span: m.range(),
                    message: format!("the external message names `{part}`, as in `{person}`"),
                    label: "a person from the post-mortem",
                    help: PERSON_HELP,
                });
            }
        }
    }
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?;
    Some(host.trim_end_matches('.').to_ascii_lowercase()).filter(|h| !h.is_empty())
}

fn under(host: &str, domain: &str) -> bool {
    let domain = domain.trim_matches('.').to_ascii_lowercase();
    !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
}

fn find_chat(text: &str, pm: &PostMortem, found: &mut Vec<Finding>) {
    let chat = pm.links.get("chat").map(|u| u.trim_end_matches('/'));
    let chat_host = chat.and_then(url_host);
    for m in URL.find_iter(text) {
        let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        let Some(host) = url_host(url) else { continue };
        let is_chat = chat.is_some_and(|c| url.trim_end_matches('/') == c)
            || chat_host.as_deref() == Some(host.as_str())
            || CHAT_HOSTS.iter().any(|h| under(&host, h));
        if is_chat {
            found.push(Finding {
                span: m.start()..m.start() + url.len(),
                message: format!("the external message links to the incident chat `{url}`"),
                label: "a chat link",
                help: "customers cannot open our chat: remove the link, or point to the status \
                       page instead",
            });
        }
    }
    for caps in CHANNEL.captures_iter(text) {
        let Some(m) = caps.get(1) else { continue };
        if !m.as_str().chars().any(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        found.push(Finding {
            span: m.range(),
            message: format!(
                "the external message names the chat channel `{}`",
                m.as_str()
            ),
            label: "a chat channel",
            help: "customers cannot open our chat: remove the channel name",
        });
    }
}

fn find_hosts(text: &str, config: &Config, found: &mut Vec<Finding>) {
    for m in HOST.find_iter(text) {
        let host = m.as_str().to_ascii_lowercase();
        if host
            .split('.')
            .all(|label| label.chars().all(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let internal = host == "localhost"
            || config
                .external
                .internal_domains
                .iter()
                .any(|d| under(&host, d))
            || INTERNAL_SUFFIXES.iter().any(|s| under(&host, s));
        if internal {
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message names the internal host `{}`",
                    m.as_str()
                ),
                label: "an internal host",
                help: "customers cannot reach internal hosts, and they map our network: name \
                       the service as customers know it, such as \"the app\" or \"checkout\"",
            });
        }
    }
}

/// Whether an IP address is private, loopback or link-local.
pub fn is_private_ip(text: &str) -> bool {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return v4.is_private() || v4.is_loopback() || v4.is_link_local();
    }
    if let Ok(v6) = text.parse::<Ipv6Addr>() {
        let first = v6.segments()[0];
        return v6.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80;
    }
    false
}

const ADDRESS_HELP: &str =
    "customers cannot reach private addresses, and they map our network: remove the address";

fn find_addresses(text: &str, found: &mut Vec<Finding>) {
    for m in IPV4.find_iter(text) {
        if is_private_ip(m.as_str()) {
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message contains the private address `{}`",
                    m.as_str()
                ),
                label: "a private IP address",
                help: ADDRESS_HELP,
            });
        }
    }
    let bytes = text.as_bytes();
    for m in IPV6.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(m.end()).copied();
        let glued = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.');
        if glued(before) || glued(after) || !m.as_str().contains(':') {
            continue;
        }
        if is_private_ip(m.as_str()) {
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message contains the private address `{}`",
                    m.as_str()
                ),
                label: "a private IP address",
                help: ADDRESS_HELP,
            });
        }
    }
}

/// Whether `key`, which matches the ticket pattern, is really public vocabulary: a severity's
/// name or alias (`SEV-1`), or a standard, algorithm or vulnerability id (`UTF-8`, `CVE-…`).
pub fn is_not_ticket(key: &str, config: &Config) -> bool {
    if config.severity(key).is_some() {
        return true;
    }
    let prefix = key.split(['-', '_']).next().unwrap_or(key);
    NOT_TICKET_PREFIXES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(prefix))
}

fn find_tickets(text: &str, pm: &PostMortem, config: &Config, found: &mut Vec<Finding>) {
    let help = "customers cannot open our tracker: remove the ticket key (if it is not a ticket, \
                narrow `[external] ticket_pattern` in blameless.toml)";
    if let Some(re) = compiled(&format!(r"\b(?:{})\b", config.external.ticket_pattern)) {
        for m in re.find_iter(text) {
            if m.is_empty() || is_not_ticket(m.as_str(), config) {
                continue;
            }
            found.push(Finding {
                span: m.range(),
                message: format!(
                    "the external message contains the ticket key `{}`",
                    m.as_str()
                ),
                label: "a ticket key",
                help,
            });
        }
    }
    for ticket in pm.actions.iter().filter_map(|a| a.ticket.as_deref()) {
        for (start, matched) in text.match_indices(ticket) {
            let end = start + matched.len();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
            if word(text[..start].chars().next_back()) || word(text[end..].chars().next()) {
                continue;
            }
            found.push(Finding {
                span: start..end,
                message: format!("the external message contains the ticket `{ticket}`"),
                label: "a ticket of this post-mortem",
                help,
            });
        }
    }
}

/// A regular expression of the configuration or of a person's name, compiled once per thread
/// rather than once per post-mortem: compiling dominated `check` on large archives. The
/// patterns are few (the config's, and one per person of the organisation).
pub(super) fn compiled(pattern: &str) -> Option<Rc<Regex>> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<Rc<Regex>>>> =
            Default::default();
    }
    // why: shared, not cloned: a cloned `Regex` starts with an empty pool of search caches,
    // and building a cache for every search cost more than the search.
    CACHE.with(|cache| {
        cache
            .borrow_mut()
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern).ok().map(Rc::new))
            .clone()
    })
}
