//! Browser search benchmark: the search page in headless Chromium over a generated archive,
//! with the network slowed down through the DevTools protocol, and what each query waited for.
//!
//! ```text
//! cargo build --release && cargo run --release --example browser_bench -- 1000 10000
//! cargo run --release --example browser_bench -- --binary=old/blameless 10000
//! ```
//!
//! For each size it generates the archive (`common/generate.rs`, as `examples/bench.rs`
//! does), serves it with the release binary's `blameless serve` (which answers `Range`),
//! and drives Chromium with the cache disabled and the network emulated at 50 ms from a
//! request to its response headers (a round trip of 25 ms each way) and 80 Mbit/s each
//! way. It opens the search page with a first query (cold: the page, the wasm module, the
//! hot cache, the index ranges), then types the other queries into the same page.
//!
//! Per query it prints the time to first results (from the navigation, or from the
//! submit), the requests and the bytes that crossed the network, and the sequential round
//! trips: a request that starts after another one of the query finished is one more round
//! trip (from the DevTools network log), beside the rounds the search worker counts and the
//! time the search module itself ran (the worker times its calls into it): the rest of the
//! time to results is the network and the page.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Network, Target};
use headless_chrome::{Browser, LaunchOptions, Tab};

#[path = "common/generate.rs"]
mod generate;
#[path = "common/serve.rs"]
mod serve;

/// The emulated network: latency from request to response headers (`--latency=MS`
/// changes it), and throughput.
const LATENCY_MS: f64 = 50.0;
const BYTES_PER_SECOND: f64 = 80e6 / 8.0;

/// What the command line sets.
struct Options {
    latency_ms: f64,
    /// `--verbose`: every request of every query, with its start, duration and bytes.
    verbose: bool,
}

/// The queries, typed one after another: single word, two words, a phrase, a field, a
/// rare word (from the generator's long tail), a typo, an identifier.
const QUERIES: &[&str] = &[
    "replication lag",
    "\"connection pool\"",
    "service:checkout-api",
    "paqubinelo",
    "certficate",
    "checkout-api",
    "canary rollout",
];
/// The query the page is opened with.
const FIRST: &str = "failover";

/// One request of the network log.
#[derive(Clone, Debug, Default)]
struct Request {
    url: String,
    start: f64,
    end: Option<f64>,
    bytes: f64,
}

type Log = Arc<Mutex<Vec<(String, Request)>>>;
/// Sessions of the workers attached and waiting for their network log to be enabled.
type Workers = Arc<Mutex<Vec<String>>>;

/// What one query cost.
struct Figures {
    ms: f64,
    requests: usize,
    bytes: f64,
    round_trips: usize,
    rounds: String,
    /// How long the search module itself ran (the worker's count); the rest is the network
    /// and the page.
    engine_ms: String,
}

fn main() -> Result<()> {
    let mut binary = None;
    let mut sizes = Vec::new();
    let mut options = Options {
        latency_ms: LATENCY_MS,
        verbose: false,
    };
    for arg in std::env::args().skip(1) {
        if let Some(path) = arg.strip_prefix("--binary=") {
            binary = Some(PathBuf::from(path));
        } else if let Some(ms) = arg.strip_prefix("--latency=") {
            options.latency_ms = ms.parse().context("`--latency=MS` takes milliseconds")?;
        } else if arg == "--verbose" {
            options.verbose = true;
        } else {
            sizes.push(arg.parse::<usize>().with_context(|| {
                format!("`{arg}`: expected an archive size, such as `10000`, `--binary=PATH`, `--latency=MS` or `--verbose`")
            })?);
        }
    }
    if sizes.is_empty() {
        sizes.push(1000);
    }
    let binary = serve::binary(binary)?;
    println!(
        "network: {} ms to the response headers, {} Mbit/s; cache disabled",
        options.latency_ms,
        BYTES_PER_SECOND * 8.0 / 1e6
    );
    println!();
    println!(
        "| post-mortems | query | time to results | of it in the engine | requests | KB | round trips | worker rounds |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in sizes {
        let dir = tempfile::tempdir()?;
        generate::generate(dir.path(), n)?;
        let serve = serve::Serve::start(&binary, dir.path(), None)?;
        let base = serve.base();
        let (browser, tab, log, workers) = open_browser(&options)?;
        let first = cold_query(&tab, &log, &workers, &base, FIRST, &options)?;
        print_row(
            n,
            &format!("{FIRST} (cold, with the page and the wasm)"),
            &first,
        );
        let mut later = Vec::new();
        for query in QUERIES {
            let figures = later_query(&tab, &log, query, &options)?;
            print_row(n, query, &figures);
            later.push(figures);
        }
        let count = later.len() as f64;
        let mean = |f: fn(&Figures) -> f64| later.iter().map(f).sum::<f64>() / count;
        println!(
            "| {n} | later queries, mean (max) | {:.0} ms ({:.0} ms) | {:.0} ms | {:.1} | {:.0} | {:.1} ({}) | |",
            mean(|f| f.ms),
            later.iter().map(|f| f.ms).fold(0.0, f64::max),
            mean(|f| f.engine_ms.parse().unwrap_or(f64::NAN)),
            mean(|f| f.requests as f64),
            mean(|f| f.bytes) / 1e3,
            mean(|f| f.round_trips as f64),
            later.iter().map(|f| f.round_trips).max().unwrap_or(0),
        );
        drop(tab);
        drop(browser);
    }
    Ok(())
}

fn print_row(n: usize, query: &str, f: &Figures) {
    println!(
        "| {n} | `{query}` | {:.0} ms | {} ms | {} | {:.0} | {} | {} |",
        f.ms,
        f.engine_ms,
        f.requests,
        f.bytes / 1e3,
        f.round_trips,
        f.rounds
    );
}

fn chromium() -> Result<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .context("Chromium is needed: apt-get install chromium")
}

/// Chromium with one tab whose network is emulated and logged, with its workers'.
fn open_browser(options: &Options) -> Result<(Browser, Arc<Tab>, Log, Workers)> {
    let launch = LaunchOptions::default_builder()
        .path(Some(chromium()?))
        .sandbox(false)
        .idle_browser_timeout(Duration::from_secs(600))
        .args(
            [
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
            ]
            .iter()
            .map(std::ffi::OsStr::new)
            .collect(),
        )
        .build()
        .map_err(anyhow::Error::msg)?;
    let browser = Browser::new(launch)?;
    let tab = browser.new_tab()?;
    // why: every field of these commands is optional or has a default; building them from
    // JSON keeps the benchmark independent of fields added by newer protocol versions.
    let enable: Network::Enable = serde_json::from_value(serde_json::json!({}))?;
    tab.call_method(enable)?;
    tab.call_method(Network::SetCacheDisabled {
        cache_disabled: true,
    })?;
    let conditions: Network::EmulateNetworkConditions =
        serde_json::from_value(serde_json::json!({
            "offline": false,
            "latency": options.latency_ms,
            "downloadThroughput": BYTES_PER_SECOND,
            "uploadThroughput": BYTES_PER_SECOND,
        }))?;
    tab.call_method(conditions)?;
    // why: the search worker's requests are its own target's; attach to it as it starts
    // (paused until its network log is on, see `enable_workers`) and log them too.
    tab.call_method(Target::SetAutoAttach {
        auto_attach: true,
        wait_for_debugger_on_start: true,
        flatten: Some(false),
        filter: None,
    })?;
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let workers: Workers = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let attached = Arc::clone(&workers);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let mut log = sink.lock().unwrap();
        match event {
            Event::AttachedToTarget(e) => {
                attached.lock().unwrap().push(e.params.session_id.clone());
            }
            Event::ReceivedMessageFromTarget(e) => {
                worker_event(&mut log, &e.params.session_id, &e.params.message);
            }
            Event::NetworkRequestWillBeSent(e) => {
                let p = &e.params;
                log.push((
                    p.request_id.clone(),
                    Request {
                        url: p.request.url.clone(),
                        start: p.timestamp,
                        ..Request::default()
                    },
                ));
            }
            Event::NetworkLoadingFinished(e) => {
                let p = &e.params;
                if let Some((_, r)) = log.iter_mut().find(|(id, _)| *id == p.request_id) {
                    r.end = Some(p.timestamp);
                    r.bytes = p.encoded_data_length;
                }
            }
            Event::NetworkLoadingFailed(e) => {
                let p = &e.params;
                if let Some((_, r)) = log.iter_mut().find(|(id, _)| *id == p.request_id) {
                    r.end = Some(p.timestamp);
                }
            }
            _ => {}
        }
    }))?;
    Ok((browser, tab, log, workers))
}

/// Logs a network event of an attached worker, given as the protocol's JSON.
fn worker_event(log: &mut Vec<(String, Request)>, session: &str, message: &str) {
    let Ok(message) = serde_json::from_str::<serde_json::Value>(message) else {
        return;
    };
    let params = &message["params"];
    let id = format!("{session}:{}", params["requestId"].as_str().unwrap_or(""));
    let time = params["timestamp"].as_f64().unwrap_or(0.0);
    match message["method"].as_str() {
        Some("Network.requestWillBeSent") => log.push((
            id,
            Request {
                url: params["request"]["url"].as_str().unwrap_or("").to_string(),
                start: time,
                ..Request::default()
            },
        )),
        Some(method @ ("Network.loadingFinished" | "Network.loadingFailed")) => {
            if let Some((_, r)) = log.iter_mut().find(|(i, _)| *i == id) {
                r.end = Some(time);
                if method == "Network.loadingFinished" {
                    r.bytes = params["encodedDataLength"].as_f64().unwrap_or(0.0);
                }
            }
        }
        _ => {}
    }
}

/// Turns on the network log of the workers that attached since the last call, and lets
/// them run.
fn enable_workers(tab: &Tab, workers: &Workers) -> Result<()> {
    let sessions: Vec<String> = std::mem::take(&mut *workers.lock().unwrap());
    for session in sessions {
        for (id, method) in [
            (1, "Network.enable"),
            (2, "Runtime.runIfWaitingForDebugger"),
        ] {
            tab.call_method(Target::SendMessageToTarget {
                message: serde_json::json!({ "id": id, "method": method, "params": {} })
                    .to_string(),
                session_id: Some(session.clone()),
                target_id: None,
            })?;
        }
    }
    Ok(())
}

fn eval(tab: &Tab, js: &str, await_promise: bool) -> Result<String> {
    let value = tab.evaluate(js, await_promise)?.value;
    Ok(match value {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    })
}

/// Opens the search page with `q` and waits for its first results.
fn cold_query(
    tab: &Tab,
    log: &Log,
    workers: &Workers,
    base: &str,
    q: &str,
    options: &Options,
) -> Result<Figures> {
    log.lock().unwrap().clear();
    tab.navigate_to(&format!("{base}/search/?q={}", q.replace(' ', "+")))?;
    let start = Instant::now();
    loop {
        enable_workers(tab, workers)?;
        let state = eval(
            tab,
            "document.body ? document.body.dataset.searchState || '' : ''",
            false,
        )?;
        if state == "ready" {
            break;
        }
        if state == "error" || start.elapsed() > Duration::from_secs(120) {
            bail!("the first search did not finish (state {state:?})");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let ms: f64 = eval(
        tab,
        // why: a build without the mark (an older one) is timed when the poll sees it ready.
        "String((performance.getEntriesByName('blameless-search-ready').pop() || performance.now()).startTime || performance.now())",
        false,
    )?
    .parse()?;
    let rounds = eval(tab, "document.body.dataset.searchRounds", false)?;
    let engine_ms = eval(tab, "document.body.dataset.searchEngineMs || '?'", false)?;
    Ok(figures(log, ms, (rounds, engine_ms), options))
}

/// Types `q` into the open search page and waits for its results.
fn later_query(tab: &Tab, log: &Log, q: &str, options: &Options) -> Result<Figures> {
    log.lock().unwrap().clear();
    let js = format!(
        "new Promise((resolve) => {{
          const body = document.body;
          const t0 = performance.now();
          const seen = new MutationObserver(() => {{
            const state = body.dataset.searchState;
            if (state !== 'ready' && state !== 'error') return;
            seen.disconnect();
            resolve(JSON.stringify({{ state, ms: performance.now() - t0, rounds: body.dataset.searchRounds, engine: body.dataset.searchEngineMs || '?' }}));
          }});
          seen.observe(body, {{ attributes: true, attributeFilter: ['data-search-state'] }});
          document.getElementById('search-q').value = {};
          document.getElementById('search-form').requestSubmit();
        }})",
        serde_json::to_string(q)?
    );
    let answer: serde_json::Value = serde_json::from_str(&eval(tab, &js, true)?)?;
    if answer["state"] != "ready" {
        bail!("the search for `{q}` failed");
    }
    // why: the last network events may arrive just after the page has answered.
    std::thread::sleep(Duration::from_millis(200));
    let ms = answer["ms"].as_f64().unwrap_or(f64::NAN);
    let rounds = answer["rounds"].as_str().unwrap_or("?").to_string();
    let engine_ms = answer["engine"].as_str().unwrap_or("?").to_string();
    Ok(figures(log, ms, (rounds, engine_ms), options))
}

/// Counts the logged requests: their number, bytes, and sequential round trips.
/// `worker`: the rounds and the engine's milliseconds the worker reported.
fn figures(log: &Log, ms: f64, worker: (String, String), options: &Options) -> Figures {
    let (rounds, engine_ms) = worker;
    let mut requests: Vec<Request> = log.lock().unwrap().iter().map(|(_, r)| r.clone()).collect();
    // why: `blameless serve` has the page poll it for rebuilds; that is not the search's.
    requests.retain(|r| !r.url.starts_with("data:") && !r.url.contains("/__blameless/"));
    requests.sort_by(|a, b| a.start.total_cmp(&b.start));
    if options.verbose {
        let t0 = requests.first().map_or(0.0, |r| r.start);
        for r in &requests {
            let name = r.url.rsplit('/').next().unwrap_or(&r.url);
            let took = r.end.map_or(f64::NAN, |end| (end - r.start) * 1e3);
            println!(
                "|   | at {:.0} ms: `{name}` | {took:.0} ms | | | {:.1} | | |",
                (r.start - t0) * 1e3,
                r.bytes / 1e3
            );
        }
    }
    Figures {
        ms,
        requests: requests.len(),
        bytes: requests.iter().map(|r| r.bytes).sum(),
        round_trips: round_trips(&requests),
        rounds,
        engine_ms,
    }
}

/// The longest chain of requests each started after the one before it finished.
fn round_trips(requests: &[Request]) -> usize {
    let mut depth: Vec<usize> = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let before = requests[..i]
            .iter()
            .zip(&depth)
            .filter(|(p, _)| p.end.is_some_and(|end| end <= r.start))
            .map(|(_, d)| *d)
            .max()
            .unwrap_or(0);
        depth.push(before + 1);
    }
    depth.into_iter().max().unwrap_or(0)
}
