//! Search in a real headless Chromium, over the built sample site: once through
//! `blameless serve` (which answers Range requests), once through a plain static server that
//! ignores `Range`. A machine without Chromium fails these tests; it does not skip them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use headless_chrome::{Browser, LaunchOptions, Tab};

use crate::harness::repo;

fn chromium() -> PathBuf {
    for candidate in [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("Chromium is needed for the browser tests: apt-get install chromium");
}

pub(crate) fn browser() -> Browser {
    let options = LaunchOptions::default_builder()
        .path(Some(chromium()))
        .sandbox(false)
        .idle_browser_timeout(Duration::from_secs(120))
        .args(
            [
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ]
            .iter()
            .map(std::ffi::OsStr::new)
            .collect(),
        )
        .build()
        .expect("launch options");
    Browser::new(options).expect("start Chromium")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `blameless serve` on the sample archive, stopped on drop.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A static server that ignores `Range` and always sends whole files, like some hosts do.
fn plain_server(dir: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = Arc::new(dir);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let _ = answer(stream, &dir);
            });
        }
    });
    port
}

fn answer(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? <= 2 {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path
        .split('?')
        .next()
        .unwrap_or("/")
        .trim_start_matches('/');
    assert!(!path.contains(".."));
    let mut file = dir.join(path);
    if file.is_dir() {
        file.push("index.html");
    }
    let (status, body) = match std::fs::File::open(&file) {
        Ok(mut f) => {
            let mut body = Vec::new();
            f.read_to_end(&mut body)?;
            ("200 OK", body)
        }
        Err(_) => ("404 Not Found", b"not found".to_vec()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)
}

/// Opens `url` and waits until the search page has answered.
fn search(tab: &Tab, url: &str) -> String {
    tab.navigate_to(url).expect("navigate");
    wait_state(tab)
}

fn wait_state(tab: &Tab) -> String {
    let start = Instant::now();
    loop {
        let state = eval(tab, "document.body.dataset.searchState || ''");
        if state == "ready" || state == "error" {
            return state;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "search never finished (state {state:?})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub(crate) fn eval(tab: &Tab, js: &str) -> String {
    let value = tab.evaluate(js, false).expect("evaluate").value;
    match value {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn titles(tab: &Tab) -> Vec<String> {
    let json = eval(
        tab,
        "JSON.stringify([...document.querySelectorAll('.search-hit-title')].map(a => a.textContent))",
    );
    serde_json::from_str(&json).expect("titles")
}

fn check_search_page(base: &str) {
    let browser = browser();
    let tab = browser.new_tab().expect("tab");

    // Words, ranked: the post-mortem with them in its title first, snippets highlighted.
    assert_eq!(
        search(&tab, &format!("{base}/search/?q=replication+lag")),
        "ready"
    );
    let hits = titles(&tab);
    assert!(hits.len() >= 3, "{hits:?}");
    assert_eq!(
        hits[0],
        "Checkout failures after payments-db failover stalled on replication lag"
    );
    assert!(
        eval(
            &tab,
            "document.querySelector('.search-hit-snippet mark') ? 'yes' : 'no'"
        ) == "yes"
    );

    // A phrase matches only where the words stand together.
    search(&tab, &format!("{base}/search/?q=%22replication+lag%22"));
    assert_eq!(
        titles(&tab),
        ["Checkout failures after payments-db failover stalled on replication lag"]
    );

    // A filter from the URL narrows the results, and its facet shows as selected.
    search(
        &tab,
        &format!("{base}/search/?q=replication+lag&severity=SEV-1"),
    );
    let filtered = titles(&tab);
    assert!(filtered.len() < hits.len(), "{filtered:?}");
    assert_eq!(filtered[0], hits[0]);
    let severities = eval(&tab, "JSON.stringify([...document.querySelectorAll('.search-hit-meta .sev')].map(s => s.textContent))");
    assert!(
        !severities.contains("SEV-2") && severities.contains("SEV-1"),
        "{severities}"
    );
    let selected = eval(
        &tab,
        "document.querySelector('[data-field=severity] a[aria-current=true]').textContent",
    );
    assert!(selected.starts_with("SEV-1"), "{selected}");
    let chips = eval(
        &tab,
        "JSON.stringify([...document.querySelectorAll('.search-chip')].map(a => a.getAttribute('aria-label')))",
    );
    assert_eq!(chips, r#"["Remove filter Severity: SEV-1"]"#);
    // why: the hit names the section its snippet comes from and links to it.
    let section = eval(
        &tab,
        "(document.querySelector('.search-hit-section') || {href: ''}).href",
    );
    assert!(
        section.contains("/pm/") && section.contains('#'),
        "{section}"
    );

    // An alias filters like the name it stands for, and selects that name's facet; the
    // facets of the scale come in its order, and hits carry the scale's slugs.
    search(
        &tab,
        &format!("{base}/search/?q=replication+lag&severity=p1"),
    );
    assert_eq!(titles(&tab), filtered);
    let selected = eval(
        &tab,
        "JSON.stringify([...document.querySelectorAll('[data-field=severity] a[aria-current=true]')].map(a => a.textContent))",
    );
    assert!(
        selected.starts_with("[\"SEV-1 (") && !selected.contains(','),
        "{selected}"
    );
    search(&tab, &format!("{base}/search/"));
    let scale = eval(
        &tab,
        "JSON.stringify([...document.querySelectorAll('[data-field=severity] a')].map(a => a.textContent.split(' ')[0]))",
    );
    assert_eq!(scale, r#"["SEV-1","SEV-2","SEV-3","SEV-4"]"#);
    let classes = eval(
        &tab,
        "JSON.stringify([...new Set([...document.querySelectorAll('.search-hit-meta span')].map(s => s.className))].sort())",
    );
    assert!(
        classes.contains("\"sev sev-c1\"") && classes.contains("\"status status-closed\""),
        "{classes}"
    );
    search(&tab, &format!("{base}/search/?status=in-review"));
    assert!(!titles(&tab).is_empty());
    assert!(eval(
        &tab,
        "document.querySelector('.search-hit-meta .status').className"
    )
    .ends_with("status-in-review"));

    // An unknown value is said so, with a link that searches with the closest known one.
    search(&tab, &format!("{base}/search/?service=payments"));
    assert!(titles(&tab).is_empty());
    let notice = eval(&tab, "document.querySelector('.search-notice').textContent");
    assert_eq!(notice, "No service payments: did you mean payments-db?");
    let link = eval(
        &tab,
        "document.querySelector('.search-notice a').getAttribute('href')",
    );
    assert!(link.ends_with("?service=payments-db"), "{link}");
    eval(
        &tab,
        "document.querySelector('.search-notice a').click(); 'ok'",
    );
    std::thread::sleep(Duration::from_millis(300));
    wait_state(&tab);
    assert!(eval(&tab, "location.search").ends_with("service=payments-db"));
    assert!(titles(&tab).len() >= 2, "{:?}", titles(&tab));
    assert_eq!(
        eval(
            &tab,
            "String(document.querySelectorAll('.search-notice').length)"
        ),
        "0"
    );
    search(&tab, &format!("{base}/search/?severity=SEV-7&q=failover"));
    let links = eval(
        &tab,
        "JSON.stringify([...document.querySelectorAll('.search-notice a')].map(a => a.textContent))",
    );
    assert_eq!(links, r#"["SEV-1","SEV-2","SEV-3","SEV-4"]"#);
    search(&tab, &format!("{base}/search/?q=service%3Apayments"));
    let link = eval(
        &tab,
        "document.querySelector('.search-notice a').getAttribute('href')",
    );
    assert!(link.ends_with("?q=service%3Apayments-db"), "{link}");

    // Filters alone list matching post-mortems, newest first.
    search(
        &tab,
        &format!("{base}/search/?service=checkout-api&status=Closed"),
    );
    let listed = titles(&tab);
    assert!(listed.len() >= 3, "{listed:?}");
    let dates = eval(&tab, "JSON.stringify([...document.querySelectorAll('.search-hit-meta time')].map(t => t.getAttribute('datetime')))");
    let dates: Vec<String> = serde_json::from_str(&dates).unwrap();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "not newest first");

    // Field syntax and identifiers.
    search(&tab, &format!("{base}/search/?q=tag%3Aapns"));
    assert_eq!(
        titles(&tab),
        ["iOS push notifications failed for 4.5 hours after the APNs certificate expired"]
    );

    // No hits: said so, with a way out of the filters.
    search(
        &tab,
        &format!("{base}/search/?q=zebra+unicorn&severity=SEV-4"),
    );
    let none = eval(&tab, "document.querySelector('.search-empty').textContent");
    assert!(
        none.contains("No post-mortems match") && none.contains("search without filters"),
        "{none}"
    );

    // A misspelt word also searches for its near spelling, and says so.
    search(&tab, &format!("{base}/search/?q=failovr"));
    assert!(!titles(&tab).is_empty());
    let also = eval(
        &tab,
        "[...document.querySelectorAll('.search-notice')].map(n => n.textContent).join('|')",
    );
    assert!(also.contains("Also searched for failover"), "{also}");

    // While typing, the last word is completed; documents with every word come first.
    search(&tab, &format!("{base}/search/?q=kuberne"));
    let typed = titles(&tab);
    assert!(typed.iter().any(|t| t.contains("Kubernetes")), "{typed:?}");
    search(&tab, &format!("{base}/search/?q=payments+failover"));
    let status = eval(&tab, "document.getElementById('search-status').textContent");
    assert!(status.contains("with every word, first"), "{status}");

    // A query that cannot be read is explained, never a blank page.
    search(&tab, &format!("{base}/search/?q=title%3A%28failover"));
    let error = eval(
        &tab,
        "(document.querySelector('.search-error') || {}).textContent || ''",
    );
    assert!(
        error.starts_with("Your query could not be read"),
        "{error:?}"
    );

    // The state lives in the URL: a new search pushes history, back restores the old one.
    search(&tab, &format!("{base}/search/?q=kafka"));
    let first = titles(&tab);
    eval(&tab, "document.getElementById('search-q').value = 'certificate'; document.getElementById('search-form').requestSubmit(); 'ok'");
    wait_state(&tab);
    std::thread::sleep(Duration::from_millis(300));
    wait_state(&tab);
    assert!(eval(&tab, "location.search").contains("q=certificate"));
    eval(&tab, "history.back(); 'ok'");
    std::thread::sleep(Duration::from_millis(500));
    wait_state(&tab);
    assert!(eval(&tab, "location.search").contains("q=kafka"));
    assert_eq!(titles(&tab), first);
}

#[test]
fn search_works_in_chromium_through_blameless_serve() {
    let out = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_blameless"))
        .args(["serve", "--port", &port.to_string(), "--out"])
        .arg(out.path().join("site"))
        .args(["--now", "2026-11-21T12:00:00Z"])
        .current_dir(repo())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start blameless serve");
    let _serve = Serve(child);
    wait_for(port);
    check_search_page(&format!("http://127.0.0.1:{port}"));
}

#[test]
fn search_works_in_chromium_on_a_host_without_range_support() {
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let run = crate::harness::run_in(&repo(), &["build", "--out", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let port = plain_server(site.clone());
    let base = format!("http://127.0.0.1:{port}");
    check_search_page(&base);

    // The browser and the command line rank alike: one engine, one index, one ranking.
    let browser = browser();
    let tab = browser.new_tab().expect("tab");
    for query in [
        "replication lag",
        "certficate expired",
        "kuberne",
        "disk full",
        "pay again duplicate",
        "owner:\"Hannah Becker\"",
    ] {
        let url = format!(
            "{base}/search/?q={}",
            query
                .replace(' ', "+")
                .replace('"', "%22")
                .replace(':', "%3A")
        );
        search(&tab, &url);
        let json = eval(
            &tab,
            "JSON.stringify([...document.querySelectorAll('.search-hit-title')].map(a => a.getAttribute('href').split('/').filter(x => x).pop()))",
        );
        let in_browser: Vec<String> = serde_json::from_str(&json).unwrap();
        let cli = crate::harness::run_in(
            &repo(),
            &["search", "--out", site.to_str().unwrap(), "--json", query],
        );
        assert_eq!(cli.code, 0, "{}", cli.stderr);
        let hits: Vec<serde_json::Value> = serde_json::from_str(&cli.stdout).unwrap();
        let on_cli: Vec<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
        assert!(!on_cli.is_empty(), "{query}: no hits");
        assert_eq!(in_browser, on_cli, "{query}");
    }
}

#[path = "../../examples/common/generate.rs"]
#[allow(dead_code)]
mod generate;

/// Types `q` into the open search page; returns how many times the search waited for the
/// network, as the worker counts it (one round of parallel requests, or one lone request).
fn rounds_of(tab: &Tab, q: &str) -> usize {
    let js = format!(
        "document.getElementById('search-q').value = {}; \
         document.body.dataset.searchState = 'typed'; \
         document.getElementById('search-form').requestSubmit(); 'ok'",
        serde_json::to_string(q).unwrap()
    );
    eval(tab, &js);
    assert_eq!(wait_state(tab), "ready", "{q}");
    assert!(!titles(tab).is_empty(), "{q}: no hits");
    eval(tab, "document.body.dataset.searchRounds")
        .parse()
        .unwrap()
}

/// A later query waits for at most three round trips, however many byte ranges it reads:
/// dictionary entries, then postings, then documents, each layer fetched in parallel.
#[test]
fn a_later_search_waits_for_three_round_trips_at_most() {
    let dir = tempfile::tempdir().unwrap();
    generate::generate(dir.path(), 1_000).unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_blameless"))
        .args(["serve", "--port", &port.to_string(), "--out"])
        .arg(dir.path().join("site"))
        .args(["--now", "2026-01-01T00:00:00Z"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start blameless serve");
    let _serve = Serve(child);
    wait_for(port);
    let browser = browser();
    let tab = browser.new_tab().expect("tab");
    assert_eq!(
        search(&tab, &format!("http://127.0.0.1:{port}/search/?q=failover")),
        "ready"
    );
    let mut rounds = Vec::new();
    for q in [
        "replication lag",
        "\"connection pool\"",
        "service:checkout-api",
        "certficate",
        "canary rollout",
    ] {
        rounds.push((q, rounds_of(&tab, q)));
    }
    assert!(rounds.iter().all(|(_, n)| *n <= 3), "{rounds:?}");
    // why: on an archive this size a query reads beyond the hot cache in layers; if none
    // did, the bound above would prove nothing.
    assert!(rounds.iter().any(|(_, n)| *n >= 2), "{rounds:?}");
}

#[test]
fn the_search_page_says_it_needs_javascript_without_it() {
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let run = crate::harness::run_in(&repo(), &["build", "--out", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(site.join("search/index.html")).unwrap();
    let noscript = &page[page.find("<noscript>").unwrap()..page.find("</noscript>").unwrap()];
    assert!(noscript.contains("needs JavaScript"));
    assert!(noscript.contains("href=\"../tags/\""));
}

/// Every email of the sample archive, its HTML part rendered in Chromium as on a phone 390 px
/// wide: nothing is wider than the screen, so a reader never scrolls sideways.
#[test]
fn every_email_fits_a_phone_screen_without_scrolling_sideways() {
    use headless_chrome::protocol::cdp::Emulation::SetDeviceMetricsOverride;

    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let run = crate::harness::run_in(&repo(), &["build", "--out", site.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let emails: Vec<(String, Vec<u8>)> = crate::harness::tree(&site)
        .into_iter()
        .filter(|(path, _)| path.ends_with(".eml"))
        .collect();
    assert!(emails.len() > 20, "{} emails", emails.len());

    let browser = browser();
    let tab = browser.new_tab().expect("tab");
    tab.call_method(SetDeviceMetricsOverride {
        width: 390,
        height: 844,
        device_scale_factor: 1.0,
        mobile: true,
        scale: None,
        screen_width: None,
        screen_height: None,
        position_x: None,
        position_y: None,
        dont_set_visible_size: None,
        screen_orientation: None,
        viewport: None,
        display_feature: None,
        device_posture: None,
    })
    .expect("a phone's screen");
    let page = out.path().join("email.html");
    let mut too_wide = Vec::new();
    for (path, raw) in &emails {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .unwrap_or_else(|| panic!("{path} does not parse"));
        let html = message.body_html(0).expect("an HTML part");
        for banned in ["<img", "<svg", "<script", "class="] {
            assert!(
                !html.contains(banned),
                "{path}: `{banned}` in the HTML part"
            );
        }
        std::fs::write(&page, html.as_bytes()).unwrap();
        tab.navigate_to(&format!("file://{}", page.display()))
            .expect("navigate")
            .wait_until_navigated()
            .expect("loaded");
        let width = eval(&tab, "String(document.documentElement.clientWidth)");
        assert_eq!(width, "390", "{path}: the page is not a phone's width");
        let scroll = eval(&tab, "String(document.documentElement.scrollWidth)");
        if scroll != width {
            too_wide.push(format!("{path}: {scroll} px wide"));
        }
    }
    assert!(
        too_wide.is_empty(),
        "wider than 390 px:\n{}",
        too_wide.join("\n")
    );
}
