//! Writes a small search index of made-up post-mortems, for the browser check
//! (`search/tests/browser/run.sh`) and for trying the engine by hand.
//!
//! ```text
//! cargo run -p blameless-search --example demo_index -- OUT_DIR [COPIES]
//! ```
//!
//! `COPIES` (default 1) repeats the five post-mortems with new ids, to make the index big
//! enough that range reads matter.

use std::path::PathBuf;

use blameless_search::{build_index, SearchDoc, Step, Vocabulary};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: demo_index OUT_DIR [COPIES]");
        std::process::exit(2);
    };
    let copies: usize = args.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    let base = [
        (
            "2024-03-12-payments-db-failover",
            "Checkout errors after a stalled Postgres failover",
            "SEV-2",
            vec!["postgres", "failover"],
            vec!["checkout", "payments-db"],
            vec!["config-change"],
            "Replication lag on the replica grew to 40 seconds, so the failover stalled and \
             checkout-api returned errors. OPS-1234 tracks the alert on replication lag.",
            1_710_232_860,
        ),
        (
            "2023-04-27-cdn-purge",
            "Stale pages after a CDN purge hit the rate limit",
            "SEV-3",
            vec!["cdn"],
            vec!["web"],
            vec!["third-party"],
            "A purge of the whole CDN hit the provider's rate limit and stale prices stayed \
             visible for two hours.",
            1_682_590_000,
        ),
        (
            "2023-09-08-kafka-disk-full",
            "Kafka broker disk full stopped order events",
            "SEV-1",
            vec!["kafka", "capacity"],
            vec!["orders"],
            vec!["capacity"],
            "Retention was raised without adding disk; broker kafka-03 filled its disk and \
             order events stopped for 38 minutes.",
            1_694_160_000,
        ),
        (
            "2024-01-09-coredns-latency",
            "CoreDNS latency after the cluster upgrade",
            "SEV-2",
            vec!["dns", "kubernetes"],
            vec!["search-api"],
            vec!["deploy"],
            "After the upgrade, CoreDNS pods were CPU throttled and DNS lookups took seconds.",
            1_704_790_000,
        ),
        (
            "2025-03-18-dns-delegation-removed",
            "DNS delegation removed by a registrar change",
            "SEV-1",
            vec!["dns"],
            vec!["web", "checkout"],
            vec!["process", "third-party"],
            "A registrar cleanup removed the delegation of the status domain; resolvers \
             returned SERVFAIL until it was restored.",
            1_742_290_000,
        ),
    ];
    let filler = "The team reviewed the timeline, the dashboards and the alerts together. ";
    let vocabulary = vocabulary();
    let mut docs = Vec::new();
    for copy in 0..copies {
        for (id, title, severity, tags, services, causes, body, started) in &base {
            let id = if copy == 0 {
                id.to_string()
            } else {
                format!("{id}-{copy}")
            };
            docs.push(SearchDoc {
                idents: vec![id.clone(), "checkout-api".into(), "OPS-1234".into()]
                    .into_iter()
                    .filter(|i| i == &id || body.contains(i.as_str()))
                    .collect(),
                id,
                title: title.to_string(),
                body: format!("{} {}", body, filler.repeat(1 + copy % 40)),
                summary: body.split(". ").next().unwrap_or_default().to_string(),
                tags: tags.iter().map(|s| s.to_string()).collect(),
                services: services.iter().map(|s| s.to_string()).collect(),
                causes: causes.iter().map(|s| s.to_string()).collect(),
                severity: severity.to_string(),
                severity_rank: rank(&vocabulary, "severity", severity),
                status: "Closed".to_string(),
                status_rank: rank(&vocabulary, "status", "Closed"),
                detection: Some("monitoring".to_string()),
                started: started - (copy as i64) * 86_400,
                ..SearchDoc::default()
            });
        }
    }
    match build_index(&out, docs, &vocabulary) {
        Ok(stats) => println!(
            "{} documents, {} bytes of index, {} bytes of hot cache, in {}",
            stats.num_docs,
            stats.index_bytes(),
            stats.hotcache_bytes,
            out.display()
        ),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}

/// The default scale and lifecycle of blameless, for the example's index.
fn vocabulary() -> Vocabulary {
    let step = |rank: usize, name: &str| Step {
        name: name.to_string(),
        aliases: Vec::new(),
        rank: rank as u64,
        slug: name.to_lowercase().replace(' ', "-"),
    };
    Vocabulary {
        severity: ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
            .iter()
            .enumerate()
            .map(|(rank, name)| step(rank, name))
            .collect(),
        status: ["Draft", "In Review", "Reviewed", "Closed"]
            .iter()
            .enumerate()
            .map(|(rank, name)| step(rank, name))
            .collect(),
        cause: Vec::new(),
        synonyms: Vec::new(),
    }
}

/// The rank of `name` on `field`'s scale.
fn rank(vocabulary: &Vocabulary, field: &str, name: &str) -> u64 {
    vocabulary.step(field, name).map_or(0, |step| step.rank)
}
