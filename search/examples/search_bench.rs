//! Measures the search index at archive sizes: bytes on disk, bytes a browser downloads
//! for its first and later queries (hot cache plus range reads, simulated with the same
//! page cache the wasm module uses), and the engine's query time.
//!
//! ```text
//! cargo run --release -p blameless-search --example search_bench -- 1000 10000 50000
//! ```
//!
//! Documents are synthetic but shaped like post-mortems: about 1,000 words each from a
//! Zipf-distributed vocabulary of incident English and a long tail of rarer words, with
//! hosts, error codes and ticket keys, tags, services and causes.

use std::path::Path;
use std::time::Instant;

use blameless_search::tantivy::directory::OwnedBytes;
use blameless_search::{
    build_index, open_lazy, record_hot_cache, Engine, FileFetcher, HotCache, SearchDoc,
    SearchRequest, Sort, Step, Vocabulary,
};

/// A small deterministic generator (xorshift64*), so every run indexes the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// A Zipf-like index in `0..n`: small indexes are much more frequent.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as usize % n
    }
}

const COMMON: &[&str] = &[
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "we",
    "was",
    "for",
    "on",
    "that",
    "at",
    "with",
    "is",
    "it",
    "this",
    "from",
    "by",
    "as",
    "were",
    "after",
    "when",
    "not",
    "our",
    "all",
    "database",
    "primary",
    "replica",
    "replication",
    "lag",
    "failover",
    "timeout",
    "latency",
    "error",
    "errors",
    "rate",
    "requests",
    "traffic",
    "deploy",
    "deployment",
    "rollback",
    "config",
    "configuration",
    "change",
    "alert",
    "alerts",
    "page",
    "paged",
    "on-call",
    "engineer",
    "customers",
    "checkout",
    "payments",
    "orders",
    "queue",
    "consumer",
    "kafka",
    "broker",
    "disk",
    "full",
    "memory",
    "cpu",
    "saturation",
    "cache",
    "cdn",
    "purge",
    "dns",
    "resolver",
    "certificate",
    "expired",
    "tls",
    "handshake",
    "load",
    "balancer",
    "pool",
    "connections",
    "exhausted",
    "retry",
    "retries",
    "storm",
    "backoff",
    "circuit",
    "breaker",
    "dashboard",
    "graph",
    "metrics",
    "logs",
    "trace",
    "incident",
    "impact",
    "mitigated",
    "resolved",
    "detected",
    "monitoring",
    "runbook",
    "escalated",
    "status",
    "page",
    "region",
    "zone",
    "cluster",
    "node",
    "pod",
    "kubernetes",
    "autoscaler",
    "capacity",
    "limit",
    "quota",
    "throttled",
    "upstream",
    "downstream",
    "dependency",
    "vendor",
    "provider",
    "migration",
    "schema",
    "index",
    "query",
    "slow",
    "lock",
    "deadlock",
    "transaction",
    "postgres",
    "mysql",
    "redis",
    "elasticsearch",
    "search",
    "api",
    "gateway",
    "service",
    "release",
    "feature",
    "flag",
    "canary",
    "percent",
    "minutes",
    "hours",
    "spike",
    "drop",
];

const TAGS: &[&str] = &[
    "postgres",
    "failover",
    "kafka",
    "dns",
    "cdn",
    "tls",
    "kubernetes",
    "capacity",
    "redis",
    "network",
    "deploy",
    "config",
    "storage",
    "auth",
    "billing",
    "search",
];
const SERVICES: &[&str] = &[
    "checkout",
    "payments-db",
    "orders",
    "search-api",
    "web",
    "mobile-api",
    "notifications",
    "inventory",
    "auth",
    "billing",
    "shipping",
    "catalog",
    "pricing",
    "gateway",
];
const CAUSES: &[&str] = &[
    "config-change",
    "deploy",
    "capacity",
    "dependency",
    "hardware",
    "software-bug",
    "data",
    "security",
    "process",
    "monitoring-gap",
    "expired-credential",
    "third-party",
];
const SEVERITIES: &[&str] = &["SEV-1", "SEV-2", "SEV-3", "SEV-4"];
const STATUSES: &[&str] = &["Draft", "In Review", "Reviewed", "Closed"];
const SYLLABLES: &[&str] = &[
    "ka", "ro", "mi", "tel", "van", "sor", "qui", "pex", "lum", "dra", "gon", "fit", "zen", "bor",
    "cal", "ith", "nox", "ret", "sil", "tur", "ung", "vel", "wis", "yar",
];

fn tail_word(i: usize) -> String {
    let mut word = String::new();
    let mut n = i + 1;
    while n > 0 {
        word.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    word
}

fn make_docs(n: usize) -> Vec<SearchDoc> {
    let vocabulary = vocabulary();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let tail: Vec<String> = (0..40_000).map(tail_word).collect();
    let start = 1_577_836_800i64; // 2020-01-01
    (0..n)
        .map(|i| {
            let host = format!(
                "{}-{:02}.prod.acme.internal",
                rng.pick(SERVICES),
                rng.below(40)
            );
            let ticket = format!("OPS-{}", 1000 + i);
            let code = format!("E{}", 100 + rng.below(900));
            let mut body = String::with_capacity(8000);
            for w in 0..1000 {
                if w % 13 == 12 {
                    body.push_str(if w % 26 == 25 { ".\n" } else { "," });
                }
                body.push(' ');
                match rng.below(100) {
                    0 => body.push_str(&host),
                    1 => body.push_str(&code),
                    2..=21 => body.push_str(&tail[rng.zipf(tail.len())]),
                    _ => body.push_str(COMMON[rng.zipf(COMMON.len())]),
                }
            }
            let title = format!(
                "{} {} {} in {}",
                capitalise(COMMON[25 + rng.below(COMMON.len() - 25)]),
                COMMON[25 + rng.below(COMMON.len() - 25)],
                COMMON[25 + rng.below(COMMON.len() - 25)],
                rng.pick(SERVICES)
            );
            SearchDoc {
                id: format!("pm-{i:06}"),
                title,
                summary: body.chars().take(160).collect(),
                body,
                idents: vec![host, ticket, code],
                tags: (0..1 + rng.below(3))
                    .map(|_| rng.pick(TAGS).to_string())
                    .collect(),
                services: (0..1 + rng.below(2))
                    .map(|_| rng.pick(SERVICES).to_string())
                    .collect(),
                causes: vec![rng.pick(CAUSES).to_string()],
                severity: rng.pick(SEVERITIES).to_string(),
                status: rng.pick(STATUSES).to_string(),
                detection: Some("monitoring".to_string()),
                started: start + (i as i64) * 3_600 * 7 + rng.below(3_600) as i64,
                ..SearchDoc::default()
            }
        })
        .map(|mut doc| {
            doc.severity_rank = rank(&vocabulary, "severity", &doc.severity);
            doc.status_rank = rank(&vocabulary, "status", &doc.status);
            doc
        })
        .collect()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn queries() -> Vec<SearchRequest> {
    let q = |text: &str| SearchRequest {
        q: text.to_string(),
        ..SearchRequest::default()
    };
    vec![
        q("database failover"),
        q("\"replication lag\""),
        q("checkout-api OR checkout"),
        q("OPS-1500"),
        SearchRequest {
            severity: vec!["SEV-1".into()],
            ..q("timeout")
        },
        q("tag:postgres certificate"),
        SearchRequest {
            sort: Sort::Newest,
            service: vec!["payments-db".into()],
            ..SearchRequest::default()
        },
        q("kafka broker disk full"),
        q("deadlok"),
        q("expired certificate -tls"),
    ]
}

struct Transfer {
    hot: u64,
    first: u64,
    first_requests: u64,
    later_avg: u64,
    later_max: u64,
}

fn measure_transfer(dir: &Path, page_size: u32) -> Transfer {
    let hot = record_hot_cache(dir, page_size).expect("hot cache");
    let encoded = hot.encode();
    let hot_len = encoded.len() as u64;
    let hot = HotCache::decode(OwnedBytes::new(encoded)).expect("decode");
    let (engine, directory) = open_lazy(hot, FileFetcher::new(dir)).expect("open");
    let queries = queries();
    engine.search(&queries[0]);
    let first = directory.stats();
    let mut later = Vec::new();
    for req in &queries[1..] {
        let before = directory.stats().bytes;
        engine.search(req);
        later.push(directory.stats().bytes - before);
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            eprintln!(
                "  page {page_size}: {:?} -> {} bytes",
                req.q,
                directory.stats().bytes - before
            );
        }
    }
    Transfer {
        hot: hot_len,
        first: first.bytes,
        first_requests: first.requests,
        later_avg: later.iter().sum::<u64>() / later.len() as u64,
        later_max: later.iter().copied().max().unwrap_or(0),
    }
}

fn engine_time_ms(dir: &Path) -> (f64, f64) {
    let engine = Engine::open_dir(dir).expect("open");
    let queries = queries();
    for req in &queries {
        engine.search(req);
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        for req in &queries {
            let t = Instant::now();
            engine.search(req);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

fn kb(bytes: u64) -> String {
    format!("{:.0} KB", bytes as f64 / 1024.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 10_000]
    } else {
        sizes
    };
    let tmp = std::env::temp_dir().join(format!("blameless-bench-{}", std::process::id()));
    println!(
        "| docs | build | index | page | hot cache | first query (+reqs) | first total | later avg | later max | engine p50 | p95 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let docs = make_docs(n);
        let dir = tmp.join(format!("n{n}"));
        let t = Instant::now();
        let stats = build_index(&dir, docs, &vocabulary()).expect("build");
        let build = t.elapsed().as_secs_f64();
        let (p50, p95) = engine_time_ms(&dir);
        for page in [4096u32, 8192, 16_384] {
            let m = measure_transfer(&dir, page);
            println!(
                "| {n} | {build:.1} s | {} | {} KiB | {} | {} ({}) | {} | {} | {} | {p50:.2} ms | {p95:.2} ms |",
                kb(stats.index_bytes()),
                page / 1024,
                kb(m.hot),
                kb(m.first),
                m.first_requests,
                kb(m.hot + m.first),
                kb(m.later_avg),
                kb(m.later_max),
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&tmp);
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
