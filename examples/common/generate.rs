//! The benchmark's post-mortem generator, shared by the `bench` and `search_eval` examples.
//!
//! Each generated post-mortem has about 1,000 words, a timeline table, actions, related links,
//! tags, services and causes, so that parsing, rendering and indexing do real work.
//!
//! Each one is about one of [`TOPICS`] incident topics: its primary service, usually its cause,
//! one tag and a share of its words follow the topic, and a long tail of rarer words makes the
//! vocabulary as wide as a real archive's. Ids are `<date>-incident-<i>`, and the output
//! depends only on `n`: every post-mortem has its own seeded generator.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::Result;
use chrono::{TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SERVICES: &[&str] = &[
    "checkout-api",
    "payments-db",
    "search",
    "cdn",
    "auth",
    "notifications",
    "order-router",
    "kafka",
    "k8s-platform",
    "dns",
    "inventory",
    "pricing",
    "storefront-web",
    "mobile-app",
    "driver-app",
    "warehouse-scanner",
    "billing",
    "ledger",
    "identity",
    "edge-proxy",
];
const TAGS: &[&str] = &[
    "postgres",
    "failover",
    "latency",
    "timeouts",
    "capacity",
    "certificates",
    "dns",
    "deploy",
    "rollback",
    "kubernetes",
    "replication-lag",
    "memory",
    "disk",
    "queue",
    "cache",
    "tls",
    "rate-limit",
    "third-party",
    "cron",
    "time-zones",
    "load-balancer",
    "autoscaling",
];
const WORDS: &[&str] = &[
    "the",
    "replica",
    "primary",
    "connection",
    "pool",
    "exhausted",
    "timeout",
    "retry",
    "storm",
    "deploy",
    "rollout",
    "canary",
    "alert",
    "paged",
    "on-call",
    "dashboard",
    "latency",
    "p99",
    "error",
    "rate",
    "increased",
    "customers",
    "checkout",
    "orders",
    "failed",
    "queue",
    "backlog",
    "consumer",
    "lag",
    "broker",
    "partition",
    "leader",
    "election",
    "disk",
    "filled",
    "log",
    "rotation",
    "certificate",
    "expired",
    "config",
    "change",
    "flag",
    "enabled",
    "disabled",
    "cache",
    "eviction",
    "memory",
    "pressure",
    "node",
    "drained",
    "autoscaler",
    "capacity",
    "runbook",
    "mitigated",
    "rolled",
    "back",
    "restarted",
    "throttled",
    "upstream",
    "provider",
    "degraded",
    "saturated",
    "threads",
    "blocked",
    "lock",
    "contention",
    "migration",
    "schema",
    "index",
    "vacuum",
    "replication",
    "slot",
    "failover",
    "health",
    "check",
    "probe",
    "ingress",
    "we",
    "noticed",
    "because",
    "and",
    "then",
    "while",
    "after",
    "before",
    "which",
    "so",
];

/// How many incident topics the generated post-mortems are about.
const TOPICS: usize = 150;
/// How many words are particular to one topic.
const TOPIC_WORDS: usize = 10;
/// How many rare words the long tail has.
const TAIL_WORDS: usize = 20_000;
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "bi", "do", "fe", "gu", "ha",
];

/// A made-up word, one per `k`: the base-16 digits of `k` as syllables.
fn made_up(mut k: usize) -> String {
    let mut word = String::new();
    loop {
        word.push_str(SYLLABLES[k % SYLLABLES.len()]);
        k /= SYLLABLES.len();
        if k == 0 {
            return word;
        }
    }
}

/// The next word of a post-mortem about `topic`: mostly common incident words, some of the
/// topic's own, a few from a long tail where the first words are the most frequent.
fn word(rng: &mut StdRng, topic: usize) -> String {
    let roll = rng.random_range(0..100);
    if roll < 15 {
        // why: from 4,096 on, every made-up word has four syllables, so none repeats a tail word.
        made_up(4096 + topic * TOPIC_WORDS + rng.random_range(0..TOPIC_WORDS))
    } else if roll < 20 {
        let u: f64 = rng.random();
        made_up(65_536 + (u * u * u * TAIL_WORDS as f64) as usize)
    } else {
        WORDS[rng.random_range(0..WORDS.len())].to_string()
    }
}

fn sentence(rng: &mut StdRng, topic: usize, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&word(rng, topic));
    }
    let mut chars = s.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('X');
    format!("{first}{}.", chars.as_str())
}

fn paragraph(rng: &mut StdRng, topic: usize, sentences: usize) -> String {
    (0..sentences)
        .map(|_| {
            let n = rng.random_range(8..20);
            sentence(rng, topic, n)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn postmortem(i: usize, n: usize, rng: &mut StdRng) -> (String, String) {
    let start = Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap()
        + chrono::Duration::minutes(
            (i as i64) * 60 * 24 * 2920 / n.max(1) as i64 + rng.random_range(0..600),
        );
    let id = format!("{}-incident-{i:06}", start.format("%Y-%m-%d"));
    let severity = ["SEV-1", "SEV-2", "SEV-3", "SEV-4"][rng.random_range(0..4)];
    let status = ["In Review", "Reviewed", "Closed", "Closed"][rng.random_range(0..4)];
    let topic = rng.random_range(0..TOPICS);
    let service = SERVICES[topic % SERVICES.len()];
    let tags: Vec<String> = std::iter::once(TAGS[topic % TAGS.len()])
        .chain((0..2).map(|_| TAGS[rng.random_range(0..TAGS.len())]))
        .map(|tag| format!("\"{tag}\""))
        .collect();
    let cause = if rng.random_range(0..10) < 7 {
        blameless::config::DEFAULT_CAUSES[topic % 12]
    } else {
        blameless::config::DEFAULT_CAUSES[rng.random_range(0..12)]
    };
    let resolved = start + chrono::Duration::minutes(rng.random_range(20..600));
    let mut text = String::new();
    let _ = write!(
        text,
        "+++\ntitle = \"{} on {service} after {}\"\nseverity = \"{severity}\"\nstatus = \"{status}\"\n\
         started = {}\nresolved = {}\ntags = [{}]\nservices = [\"{service}\", \"{}\"]\ncauses = [\"{cause}\"]\n\
         detection = \"alert\"\ncustomer_impact = true\nowner = \"Owner {}\"\n",
        sentence(rng, topic, 4).trim_end_matches('.'),
        WORDS[rng.random_range(0..WORDS.len())],
        start.to_rfc3339(),
        resolved.to_rfc3339(),
        tags.join(", "),
        SERVICES[rng.random_range(0..SERVICES.len())],
        i % 50,
    );
    if i > 0 {
        let _ = writeln!(text, "related = [\"{}\"]", related_id(i - 1, n));
    }
    text.push_str("\n[meeting]\nat = ");
    text.push_str(&(resolved + chrono::Duration::days(1)).to_rfc3339());
    text.push('\n');
    for a in 0..3 {
        let _ = write!(
            text,
            "\n[[actions]]\ntitle = \"{}\"\nowner = \"Owner {}\"\npriority = \"P{}\"\nkind = \"prevent\"\nticket = \"OPS-{}\"\ndue = {}\nstatus = \"open\"\n",
            sentence(rng, topic, 6).trim_end_matches('.'),
            (i + a) % 50,
            a,
            i * 3 + a,
            (resolved + chrono::Duration::days(30)).format("%Y-%m-%d"),
        );
    }
    text.push_str("+++\n\n## Summary\n\n");
    text.push_str(&paragraph(rng, topic, 4));
    text.push_str("\n\n## Impact\n\n");
    text.push_str(&paragraph(rng, topic, 5));
    text.push_str("\n\n## Timeline\n\n| Time (UTC) | Event |\n| --- | --- |\n");
    let mut t = start;
    for _ in 0..12 {
        let _ = writeln!(
            text,
            "| {} | {} ([graph](https://grafana.example.internal/d/{})) |",
            t.format("%Y-%m-%d %H:%M"),
            sentence(rng, topic, 10),
            rng.random_range(0..100_000)
        );
        t += chrono::Duration::minutes(
            rng.random_range(1..(resolved - start).num_minutes().max(13) / 12 + 1),
        );
        t = t.min(resolved);
    }
    for heading in [
        "Contributing factors",
        "Resolution",
        "What went well",
        "What went wrong",
        "Lessons learned",
    ] {
        let _ = write!(
            text,
            "\n## {heading}\n\n{}\n\n- {}\n- {}\n",
            paragraph(rng, topic, 5),
            sentence(rng, topic, 12),
            sentence(rng, topic, 12)
        );
    }
    text.push_str("\n## External message\n\n");
    text.push_str(&paragraph(rng, topic, 3));
    text.push('\n');
    (id, text)
}

fn related_id(i: usize, n: usize) -> String {
    // Ids depend only on the index, so a related id can be computed before it is generated.
    let mut rng = StdRng::seed_from_u64(i as u64);
    postmortem_id(i, n, &mut rng)
}

fn postmortem_id(i: usize, n: usize, rng: &mut StdRng) -> String {
    let start = Utc.with_ymd_and_hms(2018, 1, 1, 0, 0, 0).unwrap()
        + chrono::Duration::minutes(
            (i as i64) * 60 * 24 * 2920 / n.max(1) as i64 + rng.random_range(0..600),
        );
    format!("{}-incident-{i:06}", start.format("%Y-%m-%d"))
}

/// Writes `n` generated post-mortems into `root/content`; returns their total size in bytes.
pub fn generate(root: &Path, n: usize) -> Result<u64> {
    let content = root.join("content");
    fs::create_dir_all(&content)?;
    let mut bytes = 0;
    for i in 0..n {
        let mut rng = StdRng::seed_from_u64(i as u64);
        let (id, text) = postmortem(i, n, &mut rng);
        bytes += text.len() as u64;
        fs::write(content.join(format!("{id}.md")), text)?;
    }
    Ok(bytes)
}
