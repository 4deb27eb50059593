//! `blameless serve`: types, ranges, rebuilds and problems shown to open pages.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{minimal, Archive};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A raw HTTP/1.1 GET for the preview's own origin: (status line, headers, body).
fn get(port: u16, path: &str, extra: &str) -> (String, String, Vec<u8>) {
    get_for(&format!("localhost:{port}"), port, path, extra)
}

/// A raw HTTP/1.1 GET with the given `Host`: (status line, headers, body).
fn get_for(host: &str, port: u16, path: &str, extra: &str) -> (String, String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    (
        status.to_string(),
        headers.to_lowercase(),
        raw[split + 4..].to_vec(),
    )
}

fn status(port: u16) -> serde_json::Value {
    let (_, _, body) = get(port, "/__blameless/status", "");
    serde_json::from_slice(&body).expect("status JSON")
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_answers_ranges_rebuilds_and_reports_problems() {
    let a = Archive::new().pm(
        "2024-a",
        &minimal("", "## Summary\n\nFirst version.\n").replace("Draft", "Closed"),
    );
    let (_server, port) = start_serve(a.root(), &["--now", "2024-06-01T00:00:00Z"]);

    let (line, headers, body) = get(port, "/pm/2024-a/", "");
    assert!(line.contains("200"), "{line}");
    assert!(
        headers.contains("content-type: text/html; charset=utf-8"),
        "{headers}"
    );
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("First version.") && page.contains("/__blameless/status"));

    let (line, headers, _) = get(port, "/static/blameless_search.wasm", "");
    assert!(
        line.contains("200") && headers.contains("content-type: application/wasm"),
        "{headers}"
    );
    let (line, headers, body) = get(port, "/search/index/meta.json", "Range: bytes=2-11\r\n");
    assert!(line.contains("206"), "{line}");
    assert!(headers.contains("content-range: bytes 2-11/"), "{headers}");
    assert_eq!(body.len(), 10);
    let (line, _, _) = get(
        port,
        "/search/index/meta.json",
        "Range: bytes=99999999-\r\n",
    );
    assert!(line.contains("416"), "{line}");
    let (line, _, _) = get(port, "/../../etc/passwd", "");
    assert!(line.contains("404"), "{line}");
    let (line, headers, _) = get(port, "/pm/2024-a", "");
    assert!(
        line.contains("301") && headers.contains("location: /pm/2024-a/"),
        "{headers}"
    );
    let (line, headers, _) = get(port, "//pm/2024-a", "");
    assert!(
        line.contains("301") && headers.contains("location: /pm/2024-a/\r\n"),
        "{headers}"
    );
    let (line, headers, _) = get(
        port,
        "/search/index/meta.json",
        "Range: bytes=0-18446744073709551615\r\n",
    );
    assert!(line.contains("206"), "{line}");
    let len = std::fs::metadata(a.root().join("public/search/index/meta.json"))
        .unwrap()
        .len();
    assert!(
        headers.contains(&format!("content-range: bytes 0-{}/{len}", len - 1)),
        "{headers}"
    );

    // Only the preview's own origin is answered: a DNS-rebinding page gets nothing.
    let (line, _, body) = get_for(&format!("rebind.example:{port}"), port, "/pm/2024-a/", "");
    assert!(line.contains("403"), "{line}");
    assert!(!String::from_utf8_lossy(&body).contains("First version."));
    let (line, _, _) = get_for(&format!("127.0.0.1:{port}"), port, "/pm/2024-a/", "");
    assert!(line.contains("200"), "{line}");

    // A request announcing a huge body is refused without the body being read.
    let (line, _, _) = get(port, "/", "Content-Length: 1000000000000000\r\n");
    assert!(line.contains("413"), "{line}");
    assert!(get(port, "/pm/2024-a/", "").0.contains("200"));

    // A broken source: the old site stays, the problems are reported to the pages.
    let version = status(port)["version"].as_u64().unwrap();
    let a = a.pm("2024-b", "+++\ntitle = \"x\"\n+++\n");
    wait_until("the failed rebuild", || {
        status(port)["version"].as_u64().unwrap() > version
    });
    let problems = status(port)["problems"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(problems.contains("error[missing-field]"), "{problems}");
    assert!(get(port, "/pm/2024-a/", "").0.contains("200"));

    // Fixed: rebuilt, problems gone, the change is served.
    let version = status(port)["version"].as_u64().unwrap();
    let _a = a
        .pm(
            "2024-b",
            &minimal("", "## Summary\n\nSecond.\n").replace("Draft", "Closed"),
        )
        .pm(
            "2024-a",
            &minimal("", "## Summary\n\nEdited version.\n").replace("Draft", "Closed"),
        );
    wait_until("the good rebuild", || {
        let s = status(port);
        s["version"].as_u64().unwrap() > version
            && s["problems"].is_null()
            && String::from_utf8_lossy(&get(port, "/pm/2024-a/", "").2).contains("Edited version.")
    });
}

/// Starts `blameless serve` in `dir` with `args` on a free port, once it answers.
fn start_serve(dir: &std::path::Path, args: &[&str]) -> (Server, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_blameless"))
        .args(["serve", "--port", &port.to_string()])
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let server = Server(child);
    wait_until("the server", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (server, port)
}

/// The page without the script the preview adds to every HTML page.
fn without_reload_script(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let Some(start) = text.rfind("<script>\n(function () {\n  var seen") else {
        return page.to_vec();
    };
    let end = start + text[start..].find("</script>").expect("script end") + "</script>".len();
    format!("{}{}", &text[..start], &text[end..]).into_bytes()
}

#[test]
fn the_preview_serves_every_file_of_a_build_byte_for_byte() {
    let repo = crate::harness::repo();
    let work = tempfile::tempdir().unwrap();
    let (preview_out, built_out) = (work.path().join("preview"), work.path().join("built"));
    let now = "2025-01-15T00:00:00Z";
    let (_server, port) = start_serve(
        &repo,
        &["--now", now, "--out", preview_out.to_str().unwrap()],
    );
    wait_until("the first build", || status(port)["version"] != 0);
    let run = crate::harness::run_in(
        &repo,
        &[
            "build",
            "--now",
            now,
            "--base-url",
            &format!("http://localhost:{port}"),
            "--out",
            built_out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let built = crate::harness::tree(&built_out);
    assert!(built.len() > 200, "{} files", built.len());
    for (path, bytes) in &built {
        if path == ".blameless-site" {
            continue;
        }
        let url = format!("/{}", path.strip_suffix("index.html").unwrap_or(path));
        let (line, _, body) = get(port, &url, "");
        assert!(line.contains(" 200 "), "{url}: {line}");
        assert!(
            without_reload_script(&body) == *bytes,
            "{url} differs from the build's {path}"
        );
    }
    // Nothing but the search index is written ahead.
    let written = crate::harness::tree(&preview_out);
    assert!(
        written
            .keys()
            .all(|p| p.starts_with("search/index/") || p == ".blameless-site"),
        "{:?}",
        written.keys().collect::<Vec<_>>()
    );
}

/// The ids of the hits of `blameless search --json` over the index in `out`, as a set.
fn found(root: &std::path::Path, out: &std::path::Path, query: &[&str]) -> Vec<String> {
    let mut args = vec![
        "search",
        "--json",
        "--limit",
        "100",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(query);
    let run = crate::harness::run_in(root, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hits: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let mut ids: Vec<String> = hits
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_saved_source_updates_its_page_the_lists_and_the_search_index() {
    let dir = crate::search::sample();
    let root = dir.path();
    let out = root.join("preview");
    let (_server, port) = start_serve(
        root,
        &[
            "--now",
            "2026-12-01T00:00:00Z",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    wait_until("the first build", || status(port)["version"] != 0);
    let before = status(port)["version"].as_u64().unwrap();

    // One post-mortem gets a new title and a word no other has; another is deleted.
    let edited = root.join("content/2024-06-20-order-router-misrouting.md");
    let text = std::fs::read_to_string(&edited).unwrap();
    let title = text
        .lines()
        .find(|l| l.starts_with("title = "))
        .unwrap()
        .to_string();
    let text = text.replace(&title, "title = \"Quokka relay misrouted every order\"")
        + "\nThe quokkafrob relay had been misconfigured since the spring.\n";
    std::fs::write(&edited, text).unwrap();
    std::fs::remove_file(root.join("content/2025-06-03-berlin-picking-wifi.md")).unwrap();
    wait_until("the rebuild", || {
        let now = status(port);
        now["version"].as_u64().unwrap() > before && now["problems"].is_null()
    });
    // why: the watcher may see the two changes in two bursts.
    wait_until("both changes", || {
        get(port, "/pm/2025-06-03-berlin-picking-wifi/", "")
            .0
            .contains("404")
    });

    let (_, _, page) = get(port, "/pm/2024-06-20-order-router-misrouting/", "");
    assert!(String::from_utf8_lossy(&page).contains("Quokka relay misrouted every order"));
    let (_, _, home) = get(port, "/", "");
    let home = String::from_utf8_lossy(&home);
    assert!(
        home.contains("Quokka relay misrouted every order"),
        "{home}"
    );
    assert!(!home.contains("2025-06-03-berlin-picking-wifi"), "{home}");

    // The updated index answers as the index of a fresh build of the same sources does.
    let fresh = root.join("fresh");
    for query in [
        &["quokkafrob"][..],
        &["wifi"],
        &["order"],
        &["--service", "checkout-api"],
    ] {
        let updated = found(root, &out, query);
        assert_eq!(updated, found(root, &fresh, query), "{query:?}");
        if query == ["quokkafrob"] {
            assert_eq!(updated, ["2024-06-20-order-router-misrouting"]);
        }
        assert!(
            !updated
                .iter()
                .any(|id| id == "2025-06-03-berlin-picking-wifi"),
            "{query:?}"
        );
    }
}
