//! `blameless serve`: a preview server. Builds the site, serves it on 127.0.0.1 with correct
//! types and HTTP range requests (the search worker reads the index by ranges), rebuilds when a
//! source, template or the config changes, and reloads open pages.
//!
//! A build that fails keeps the last good site online; its diagnostics are printed in the
//! terminal and shown over every open page until the sources are fixed.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher};
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

/// Where the pages poll for changes.
pub const STATUS_PATH: &str = "/__blameless/status";

/// What the pages learn from the status endpoint.
#[derive(Default)]
pub struct State {
    /// Bumped after every build, good or bad: pages reload when it changes.
    pub version: AtomicU64,
    /// The diagnostics of the last failed build, as text; empty when it succeeded.
    pub problems: Mutex<String>,
}

/// The script added to every HTML page: polls the status and reloads, or shows problems.
const RELOAD_SCRIPT: &str = r#"<script>
(function () {
  var seen = null, box = null;
  function show(text) {
    if (!text) { if (box) { box.remove(); box = null; } return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "blameless-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:1rem;right:1rem;bottom:1rem;max-height:50vh;overflow:auto;z-index:99;margin:0;padding:1rem;border-radius:8px;background:#1b1f24;color:#ffd8d3;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 4px 24px rgba(0,0,0,.4)";
      document.body.appendChild(box);
    }
    box.textContent = "The last build failed; this is the previous site.\n\n" + text;
  }
  function poll() {
    fetch("/__blameless/status", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (seen !== null && s.version !== seen && !s.problems) { location.reload(); return; }
      seen = s.version;
      show(s.problems);
    }).catch(function () {}).then(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>"#;

/// Serves `out` on `127.0.0.1:port` until the process ends. `rebuild` runs at start and after
/// every change under `watch`; it returns the diagnostics text of a failed build, or `None`.
pub fn serve(
    out: &Path,
    port: u16,
    watch: &[PathBuf],
    rebuild: impl Fn() -> Option<String> + Send + 'static,
) -> Result<()> {
    let state = Arc::new(State::default());
    record(&state, rebuild());
    let server = Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (is it in use? try --port)"))?;
    eprintln!(
        "serving {} on http://127.0.0.1:{port}/ (Ctrl-C to stop)",
        out.display()
    );

    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    })
    .context("cannot watch the archive for changes")?;
    for path in watch.iter().filter(|p| p.exists()) {
        let mode = if path.is_dir() {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        watcher
            .watch(path, mode)
            .with_context(|| format!("cannot watch {}", path.display()))?;
    }
    let builder_state = state.clone();
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            // why: an editor's save is several events; build once they have settled.
            while rx.recv_timeout(Duration::from_millis(150)).is_ok() {}
            eprintln!("change detected: rebuilding");
            record(&builder_state, rebuild());
        }
    });

    let out = Arc::new(out.to_path_buf());
    for request in server.incoming_requests() {
        let (out, state) = (out.clone(), state.clone());
        std::thread::spawn(move || {
            let _ = respond(request, &out, &state);
        });
    }
    drop(watcher);
    Ok(())
}

fn record(state: &State, problems: Option<String>) {
    *state.problems.lock().unwrap_or_else(|e| e.into_inner()) = problems.unwrap_or_default();
    state.version.fetch_add(1, Ordering::SeqCst);
}

fn header(name: &str, value: &str) -> Header {
    // why: a header value must be visible ASCII; a path from the request may not be.
    let mut safe = String::with_capacity(value.len());
    for byte in value.bytes() {
        if (0x20..0x7f).contains(&byte) {
            safe.push(byte as char);
        } else {
            safe.push_str(&format!("%{byte:02X}"));
        }
    }
    Header::from_bytes(name.as_bytes(), safe.as_bytes())
        .expect("header names are ASCII and values were made visible ASCII")
}

fn respond(request: Request, out: &Path, state: &State) -> std::io::Result<()> {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return request
            .respond(Response::from_string("method not allowed\n").with_status_code(405));
    }
    let url = request.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == STATUS_PATH {
        let problems = state
            .problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let body = serde_json::json!({
            "version": state.version.load(Ordering::SeqCst),
            "problems": if problems.is_empty() { None } else { Some(problems) },
        });
        return request.respond(
            Response::from_string(body.to_string())
                .with_header(header("Content-Type", "application/json"))
                .with_header(header("Cache-Control", "no-store")),
        );
    }
    let Some(file) = resolve(out, path) else {
        return not_found(request, out);
    };
    if file.is_dir() {
        // why: relative links only work from `/dir/`, never from `/dir`.
        let location = format!("{}/", path.trim_end_matches('/'));
        return request
            .respond(Response::empty(StatusCode(301)).with_header(header("Location", &location)));
    }
    serve_file(request, &file, 200)
}

fn not_found(request: Request, out: &Path) -> std::io::Result<()> {
    let page = out.join("404.html");
    if page.is_file() {
        return serve_file(request, &page, 404);
    }
    request.respond(Response::from_string("not found\n").with_status_code(404))
}

/// Maps a URL path to a file under `out`, refusing anything that would leave it.
fn resolve(out: &Path, path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path)?;
    let mut file = out.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() && path.ends_with('/') {
        file.push("index.html");
    }
    file.exists().then_some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A byte range of a `Range: bytes=…` header, resolved against the file's length.
#[derive(Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// No usable range: send the whole file.
    Whole,
    /// Send `start..end` (end exclusive) with 206.
    Part(u64, u64),
    /// The range lies outside the file: 416.
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `len` bytes. Only single ranges are honoured; a
/// multi-range or malformed header gets the whole file, as the RFC allows.
pub fn parse_range(value: &str, len: u64) -> ByteRange {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((start, end)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let (start, end) = (start.trim(), end.trim());
    match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), _) if start >= len => ByteRange::Unsatisfiable,
        (Ok(start), Ok(end)) if end >= start => ByteRange::Part(start, (end + 1).min(len)),
        (Ok(start), Err(_)) if end.is_empty() => ByteRange::Part(start, len),
        (Err(_), Ok(suffix)) if start.is_empty() => match suffix {
            0 => ByteRange::Unsatisfiable,
            n => ByteRange::Part(len.saturating_sub(n), len),
        },
        _ => ByteRange::Whole,
    }
}

fn serve_file(request: Request, path: &Path, status: u16) -> std::io::Result<()> {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let content_type = match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ => mime.to_string(),
    };
    let is_html = mime.subtype() == mime_guess::mime::HTML;
    if is_html {
        let mut html = std::fs::read_to_string(path)?;
        match html.rfind("</body>") {
            Some(at) => html.insert_str(at, RELOAD_SCRIPT),
            None => html.push_str(RELOAD_SCRIPT),
        }
        return request.respond(
            Response::from_string(html)
                .with_status_code(status)
                .with_header(header("Content-Type", &content_type))
                .with_header(header("Cache-Control", "no-cache")),
        );
    }
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map_or(ByteRange::Whole, |h| parse_range(h.value.as_str(), len));
    let headers = vec![
        header("Content-Type", &content_type),
        header("Accept-Ranges", "bytes"),
        header("Cache-Control", "no-cache"),
    ];
    match range {
        ByteRange::Whole => request.respond(Response::new(
            StatusCode(status),
            headers,
            file,
            Some(len as usize),
            None,
        )),
        ByteRange::Part(start, end) => {
            file.seek(SeekFrom::Start(start))?;
            let mut headers = headers;
            headers.push(header(
                "Content-Range",
                &format!("bytes {start}-{}/{len}", end - 1),
            ));
            request.respond(Response::new(
                StatusCode(206),
                headers,
                file.take(end - start),
                Some((end - start) as usize),
                None,
            ))
        }
        ByteRange::Unsatisfiable => request.respond(
            Response::empty(StatusCode(416))
                .with_header(header("Content-Range", &format!("bytes */{len}"))),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_made_ascii() {
        let h = header("Location", "/pm/zürich/");
        assert_eq!(h.value.as_str(), "/pm/z%C3%BCrich/");
    }

    #[test]
    fn reads_single_ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), ByteRange::Part(0, 100));
        assert_eq!(parse_range("bytes=900-", 1000), ByteRange::Part(900, 1000));
        assert_eq!(parse_range("bytes=-100", 1000), ByteRange::Part(900, 1000));
        assert_eq!(
            parse_range("bytes=990-2000", 1000),
            ByteRange::Part(990, 1000)
        );
        assert_eq!(parse_range("bytes=1000-", 1000), ByteRange::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), ByteRange::Whole);
        assert_eq!(parse_range("items=0-1", 1000), ByteRange::Whole);
        assert_eq!(parse_range("bytes=9-3", 1000), ByteRange::Whole);
    }

    #[test]
    fn paths_never_leave_the_site() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pm/a")).unwrap();
        std::fs::write(dir.path().join("pm/a/index.html"), "x").unwrap();
        assert_eq!(
            resolve(dir.path(), "/pm/a/"),
            Some(dir.path().join("pm/a/index.html"))
        );
        assert_eq!(resolve(dir.path(), "/pm/a"), Some(dir.path().join("pm/a")));
        assert_eq!(resolve(dir.path(), "/../etc/passwd"), None);
        assert_eq!(resolve(dir.path(), "/pm/%2e%2e/%2e%2e/x"), None);
        assert_eq!(resolve(dir.path(), "/missing"), None);
    }
}
