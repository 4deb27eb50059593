//! `blameless serve`: a preview server. Builds the site, serves it on 127.0.0.1 with correct
//! types and HTTP range requests (the search worker reads the index by ranges), rebuilds when a
//! source, template or the config changes, and reloads open pages.
//!
//! The pages are rendered on request from the archive the last rebuild checked ([`Pages`]), so
//! that a rebuild after a save re-reads, checks and indexes only what changed and renders
//! nothing ahead; only the search index, read by ranges, is a directory on disk (`out`).
//!
//! A build that fails keeps the last good site online; its diagnostics are printed in the
//! terminal and shown over every open page until the sources are fixed. A build that panics is
//! reported the same way, and watching goes on.
//!
//! The HTTP side is a small HTTP/1.1 server on `std::net` with fixed bounds: a pool of
//! [`WORKERS`] threads, persistent connections of at most [`MAX_REQUESTS`] requests that are
//! closed after a short idle time or as soon as every worker is taken, a request head of at
//! most [`MAX_HEAD`] bytes read within a deadline, GET and HEAD only, no request bodies, and
//! only requests addressed to the local origin, so that a DNS-rebinding page cannot read drafts.
//! Text, scripts and the wasm module are sent gzipped to clients that accept it, except for
//! range requests, whose offsets count the file's own bytes.

use std::fs::File;
use std::io::{BufWriter, Cursor, ErrorKind, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use notify::{RecursiveMode, Watcher};

use crate::render::OutputFile;

/// Where the pages poll for changes.
pub const STATUS_PATH: &str = "/__blameless/status";

/// The threads that answer connections: at most this many connections are served at once, and
/// the others wait in the listen backlog. A client that stalls holds its worker for at most
/// the head timeout (10 s) or a write timeout (30 s); an idle persistent connection holds it
/// for at most the idle timeout (2 s), and not at all once every worker is taken.
pub const WORKERS: usize = 8;

/// The most requests answered on one connection; the last answer says `Connection: close`.
pub const MAX_REQUESTS: usize = 100;

/// The longest request target answered; longer ones get 414.
pub const MAX_TARGET: usize = 8 * 1024;

/// The longest request head (request line and headers) read; longer ones get 414 or 431.
pub const MAX_HEAD: usize = 16 * 1024;

/// How long a client has to send its whole request head before it gets 408.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a persistent connection may wait for its next request before it is closed.
// why: 2 s outlasts the pages' status polling (a request a second), so an open page keeps its
// connection, yet a browser's spare connections give their workers back soon.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a worker on an idle connection looks whether every other worker is taken.
const IDLE_CHECK: Duration = Duration::from_millis(25);

/// How long one write may block on a client that does not read its answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a refused client may go on sending before the connection is closed.
const LINGER: Duration = Duration::from_millis(500);

/// The pages of the site the preview shows, made on request.
pub trait Pages: Send + Sync {
    /// The file of the site at `path` (relative to its root, `pm/a/index.html`), or `None`
    /// when the site has none there. A copied file names its source by an absolute path.
    fn file(&self, path: &str) -> Option<Result<OutputFile>>;

    /// Whether `path` (relative to the root, no trailing slash) is a directory of the site.
    fn is_dir(&self, path: &str) -> bool;
}

/// What one rebuild gives: the site to show, or the problems of a build that failed.
pub type Rebuilt = std::result::Result<Arc<dyn Pages>, String>;

/// What the pages learn from the status endpoint, and the site they are answered from.
#[derive(Default)]
pub struct State {
    /// Bumped after every build, good or bad: pages reload when it changes.
    pub version: AtomicU64,
    /// The diagnostics of the last failed build, as text; empty when it succeeded.
    pub problems: Mutex<String>,
    /// The pages of the last good build; files not among them are read from `out`.
    pages: RwLock<Option<Arc<dyn Pages>>>,
}

impl State {
    fn pages(&self) -> Option<Arc<dyn Pages>> {
        self.pages.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The script added to every HTML page: polls the status and reloads, or shows problems. It
/// polls ten times a second, over one kept-alive connection to this machine, so the reload
/// follows a rebuild within 100 ms.
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
    }).catch(function () {}).then(function () { setTimeout(poll, 100); });
  }
  poll();
})();
</script>"#;

/// Serves `out` on `127.0.0.1:port`, to requests for that origin only, until the process ends.
/// `rebuild` runs at start and after every change under `watch`; it returns the site's pages,
/// or the diagnostics text of a failed build. A panic in `rebuild` counts as a failed build.
pub fn serve(
    out: &Path,
    port: u16,
    watch: &[PathBuf],
    mut rebuild: impl FnMut() -> Rebuilt + Send + 'static,
) -> Result<()> {
    let state = Arc::new(State::default());
    record(&state, build(&mut rebuild));
    // why: not tiny_http. Its 0.12 reads every header line into an unbounded buffer with no
    // deadline, runs a thread per connection, and when it drops a request that announced a body
    // it allocates the whole remaining Content-Length to drain it, so one
    // `Content-Length: 1000000000000000` aborted the server. None of that can be bounded from
    // outside, so the preview owns its socket.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (is it in use? try --port)"))?;
    // why: with `--port 0` the system picks the port, and the Host check needs the real one.
    let port = listener
        .local_addr()
        .context("cannot read the address the preview listens on")?
        .port();
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
    std::thread::spawn(move || watch_loop(&rx, &builder_state, &mut rebuild));

    let site = Site {
        out: out.to_path_buf(),
        state,
        port,
        head_timeout: HEAD_TIMEOUT,
        idle_timeout: IDLE_TIMEOUT,
        free: AtomicUsize::new(0),
    };
    listen(&listener, &site, &AtomicBool::new(false));
    drop(watcher);
    Ok(())
}

/// How long the watched files must be quiet after a change before a rebuild starts.
// why: an editor's save is several events (truncate and write, or write and rename) within a
// few milliseconds; a change that comes during the rebuild makes another one.
const SETTLE: Duration = Duration::from_millis(50);

/// Rebuilds once per burst of changes received on `changes`, until its sender is gone.
fn watch_loop(changes: &mpsc::Receiver<()>, state: &State, rebuild: &mut dyn FnMut() -> Rebuilt) {
    while changes.recv().is_ok() {
        while changes.recv_timeout(SETTLE).is_ok() {}
        eprintln!("change detected: rebuilding");
        record(state, build(rebuild));
    }
}

/// Runs one build; a panic becomes the build's problems instead of ending the watching.
fn build(rebuild: &mut dyn FnMut() -> Rebuilt) -> Rebuilt {
    // why: asserting unwind safety is sound here: the server sees only the result of
    // `rebuild`, and a rebuild that panicked starts its next one from a clean slate. What a
    // panic can leave half-written is the index in the output folder, and the problems it
    // becomes tell the reader that the site on show may be inconsistent.
    match panic::catch_unwind(AssertUnwindSafe(rebuild)) {
        Ok(rebuilt) => rebuilt,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string());
            let problems = format!("internal error: the build panicked: {what}; please report");
            eprintln!("{problems}");
            Err(problems)
        }
    }
}

fn record(state: &State, rebuilt: Rebuilt) {
    let problems = match rebuilt {
        Ok(pages) => {
            *state.pages.write().unwrap_or_else(|e| e.into_inner()) = Some(pages);
            String::new()
        }
        Err(problems) => problems,
    };
    *state.problems.lock().unwrap_or_else(|e| e.into_inner()) = problems;
    state.version.fetch_add(1, Ordering::SeqCst);
}

/// Everything a worker needs to answer: the built site, the build state, the origin's port,
/// how long a client may take to send a request head or to start its next request, and how
/// many workers are free.
struct Site {
    out: PathBuf,
    state: Arc<State>,
    port: u16,
    head_timeout: Duration,
    idle_timeout: Duration,
    /// The workers waiting in `accept`.
    // why: when none is, a new connection waits in the backlog while idle persistent
    // connections may hold every worker; they see the zero and make way.
    free: AtomicUsize,
}

/// Answers connections on `listener` with [`WORKERS`] threads. Returns once `stop` is set and
/// every worker has taken one more connection (which it closes unanswered).
fn listen(listener: &TcpListener, site: &Site, stop: &AtomicBool) {
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    site.free.fetch_add(1, Ordering::SeqCst);
                    let accepted = listener.accept();
                    site.free.fetch_sub(1, Ordering::SeqCst);
                    match accepted {
                        Ok((stream, _)) if !stop.load(Ordering::SeqCst) => {
                            // why: a bug in answering must cost one connection, not a worker.
                            let _ = panic::catch_unwind(AssertUnwindSafe(|| site.answer(stream)));
                        }
                        Ok(_) => {}
                        // why: accept fails while descriptors run out; wait, do not spin.
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            });
        }
    });
}

impl Site {
    /// Answers the requests of one connection, at most [`MAX_REQUESTS`], then closes it: when
    /// the client asks to, when a request is refused, when the client stays idle longer than
    /// the idle timeout, or when it is idle while no other worker is free to accept.
    fn answer(&self, stream: TcpStream) {
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        // why: what the client sent beyond a head is the start of its next (pipelined) request.
        let mut pending = Vec::new();
        for served in 1..=MAX_REQUESTS {
            if served > 1 && pending.is_empty() && !self.next_request_starts(&stream) {
                break;
            }
            // why: the head deadline counts from the first byte of each request, so a slow head
            // gets 408 on a reused connection as on a new one.
            let request = match read_head(&stream, &mut pending, self.head_timeout) {
                Ok(Some(head)) => parse_head(&head, self.port),
                Ok(None) => return,
                Err(refusal) => Err(refusal),
            };
            let request = match request {
                Ok(request) => request,
                Err(refusal) => return refuse(&stream, refusal),
            };
            let keep_alive = request.keep_alive && served < MAX_REQUESTS;
            let sent = send(&stream, self.reply(&request), request.head_only, keep_alive);
            if sent.is_err() || !keep_alive {
                break;
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
        // why: requests pipelined past the last answer are unread; drain them as a refusal
        // does, or the close resets the connection and may destroy the answers in flight.
        if unread(&stream) {
            linger(&stream);
        }
    }

    /// Waits for the first byte of the next request on a persistent connection: `false` when
    /// the client closed it, stayed idle for the idle timeout, or when no worker is free.
    fn next_request_starts(&self, stream: &TcpStream) -> bool {
        let deadline = Instant::now() + self.idle_timeout;
        loop {
            // why: an idle connection must not starve the fixed pool. With no worker waiting in
            // `accept`, a new client may be queued behind idle ones; closing idle connections
            // then costs their clients one reconnection (browsers retry a GET on a reused
            // connection that closes unanswered), and waiting would cost the queued one up to
            // the idle timeout. Checked every `IDLE_CHECK`, so a queued client waits no longer.
            if self.free.load(Ordering::SeqCst) == 0 {
                return false;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || stream.set_read_timeout(Some(left.min(IDLE_CHECK))).is_err() {
                return false;
            }
            match stream.peek(&mut [0u8; 1]) {
                Ok(0) => return false,
                Ok(_) => return true,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    fn reply(&self, request: &Request) -> Reply {
        if request.path == STATUS_PATH {
            let problems = self
                .state
                .problems
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let body = serde_json::json!({
                "version": self.state.version.load(Ordering::SeqCst),
                "problems": if problems.is_empty() { None } else { Some(problems) },
            });
            return Reply::new(200, "application/json", body.to_string())
                .with("Cache-Control", "no-store");
        }
        if let Some(reply) = self.page(request) {
            return reply;
        }
        let Some(file) = resolve(&self.out, &request.path) else {
            return self.not_found(request.gzip);
        };
        if file.is_dir() {
            return to_directory(&segments(&request.path).unwrap_or_default());
        }
        file_reply(&file, 200, request.range.as_deref(), request.gzip)
            .unwrap_or_else(|_| internal_error())
    }

    /// The answer from the pages of the last good build, when they have the path.
    fn page(&self, request: &Request) -> Option<Reply> {
        let pages = self.state.pages()?;
        let parts = segments(&request.path)?;
        let joined = parts.join("/");
        let path = if request.path.ends_with('/') {
            match joined.as_str() {
                "" => "index.html".to_string(),
                dir => format!("{dir}/index.html"),
            }
        } else if pages.is_dir(&joined) {
            return Some(to_directory(&parts));
        } else {
            joined
        };
        page_reply(&*pages, &path, 200, request.range.as_deref(), request.gzip)
    }

    fn not_found(&self, gzip: bool) -> Reply {
        if let Some(pages) = self.state.pages() {
            if let Some(reply) = page_reply(&*pages, "404.html", 404, None, gzip) {
                return reply;
            }
        }
        let page = self.out.join("404.html");
        if page.is_file() {
            if let Ok(reply) = file_reply(&page, 404, None, gzip) {
                return reply;
            }
        }
        refusal(404, "not found")
    }
}

/// The parts of a request the preview acts on, once it has been admitted.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    /// HEAD: the same answer without its body.
    head_only: bool,
    /// The request target without its query.
    path: String,
    /// The `Range` header, if any.
    range: Option<String>,
    /// Whether the client wants the connection kept open after the answer: HTTP/1.1 unless it
    /// sent `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    keep_alive: bool,
    /// Whether `Accept-Encoding` allows gzip.
    gzip: bool,
}

/// Reads a request head, through its blank line, within `timeout`, starting with the bytes
/// already in `pending` and leaving there what follows the head. `Ok(None)` when the client
/// went away; a refusal when the head is too long or too slow to arrive.
fn read_head(
    stream: &TcpStream,
    pending: &mut Vec<u8>,
    timeout: Duration,
) -> Result<Option<Vec<u8>>, Reply> {
    let deadline = Instant::now() + timeout;
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = head_end(pending).filter(|&end| end <= MAX_HEAD) {
            let rest = pending.split_off(end);
            return Ok(Some(std::mem::replace(pending, rest)));
        }
        if pending.len() > MAX_HEAD {
            return Err(too_long(pending));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(refusal(408, "the request took too long to arrive"));
        }
        match (&mut &*stream).read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(refusal(408, "the request took too long to arrive"));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Ok(None),
        }
    }
}

/// Where the blank line that ends a head ends, if `bytes` holds one (bare LFs are accepted).
fn head_end(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find_map(|i| match &bytes[i..] {
        [b'\n', b'\r', b'\n', ..] => Some(i + 3),
        [b'\n', b'\n', ..] => Some(i + 2),
        _ => None,
    })
}

/// The refusal of a head that passed [`MAX_HEAD`]: 414 while its request line is unfinished.
fn too_long(head: &[u8]) -> Reply {
    if head.contains(&b'\n') {
        refusal(431, "the request headers are too large")
    } else {
        refusal(
            414,
            format!("the URL is too long (at most {MAX_TARGET} bytes)"),
        )
    }
}

/// Checks a request head and admits it, or says why not. Only GET and HEAD without a body,
/// addressed to this origin (`Host: 127.0.0.1:port`, `localhost:port` or `[::1]:port`).
fn parse_head(head: &[u8], port: u16) -> Result<Request, Reply> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refusal(400, "malformed request line"));
    };
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return Err(refusal(505, "only HTTP/1.0 and HTTP/1.1 are served"));
    }
    if target.len() > MAX_TARGET {
        return Err(refusal(
            414,
            format!("the URL is too long (at most {MAX_TARGET} bytes)"),
        ));
    }
    if !target.starts_with('/') {
        return Err(refusal(400, "the request target must be a path"));
    }
    let (mut hosts, mut range, mut body) = (Vec::new(), None, false);
    let (mut connection, mut encodings) = (Vec::new(), Vec::new());
    for line in lines.take_while(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            return Err(refusal(400, "folded header lines are not accepted"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(refusal(400, "malformed header line"));
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(refusal(400, "malformed header line"));
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("Host") {
            hosts.push(value);
        } else if name.eq_ignore_ascii_case("Range") {
            range = Some(value.to_string());
        } else if name.eq_ignore_ascii_case("Content-Length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refusal(400, "malformed Content-Length"));
            }
            body |= value.bytes().any(|b| b != b'0');
        } else if name.eq_ignore_ascii_case("Transfer-Encoding") {
            body = true;
        } else if name.eq_ignore_ascii_case("Connection") {
            connection.extend(
                value
                    .split(',')
                    .map(|token| token.trim().to_ascii_lowercase()),
            );
        } else if name.eq_ignore_ascii_case("Accept-Encoding") {
            encodings.push(value);
        }
    }
    match hosts[..] {
        [host] if is_local_origin(host, port) => {}
        _ => {
            let host: String = hosts.first().unwrap_or(&"none").chars().take(100).collect();
            return Err(refusal(
                403,
                format!(
                    "this preview answers only http://127.0.0.1:{port}/ and http://localhost:{port}/, \
                     not Host `{host}`: other sites must not read the drafts it serves"
                ),
            ));
        }
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            return Err(refusal(405, "only GET and HEAD are served").with("Allow", "GET, HEAD"));
        }
    };
    if body {
        return Err(refusal(413, "a GET or HEAD request must not have a body"));
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let keep_alive = match version {
        "HTTP/1.1" => !connection.iter().any(|token| token == "close"),
        _ => connection.iter().any(|token| token == "keep-alive"),
    };
    Ok(Request {
        head_only,
        path,
        range,
        keep_alive,
        gzip: accepts_gzip(&encodings.join(",")),
    })
}

/// Whether an `Accept-Encoding` value allows gzip (RFC 9110 §12.5.3): `gzip` (or `x-gzip`)
/// listed with a weight above 0, or else `*` with a weight above 0.
fn accepts_gzip(value: &str) -> bool {
    let mut star = None;
    for item in value.split(',') {
        let mut params = item.split(';');
        let coding = params.next().unwrap_or_default().trim();
        // why: a weight that does not read as a number refuses rather than guesses.
        let weight = params
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, q)| q.trim().parse::<f32>().ok());
        let allowed = weight.is_some_and(|q| q > 0.0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            return allowed;
        }
        if coding == "*" {
            star = Some(allowed);
        }
    }
    star.unwrap_or(false)
}

/// Whether a `Host` value names this preview: a loopback name with the port served (which may
/// be left out only when it is 80).
fn is_local_origin(host: &str, port: u16) -> bool {
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|name| {
        host.eq_ignore_ascii_case(&format!("{name}:{port}"))
            || (port == 80 && host.eq_ignore_ascii_case(name))
    })
}

/// An answer: status, headers and a body of exactly `len` bytes. `send` adds
/// `Content-Length` and `Connection`.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Box<dyn Read + Send>,
    len: u64,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Reply {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        let body = body.into();
        Reply {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            len: body.len() as u64,
            body: Box::new(Cursor::new(body)),
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The same answer with its body gzipped, and `Content-Encoding: gzip`.
    fn gzipped(mut self) -> std::io::Result<Reply> {
        // why: the whole body is compressed before the head is sent, since the head carries
        // its length. The fast level: the 2 MB wasm module takes about 25 ms and becomes
        // 915 KB (726 KB at level 9, for several times the time), and a preview is read on
        // loopback or a LAN. Nothing is cached: a page load pays those 25 ms once.
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        let read = std::io::copy(&mut self.body, &mut encoder)?;
        if read != self.len {
            return Err(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                "the file changed while it was read",
            ));
        }
        let body = encoder.finish()?;
        self.len = body.len() as u64;
        self.body = Box::new(Cursor::new(body));
        Ok(self.with("Content-Encoding", "gzip"))
    }
}

/// A short plain-text answer that says what was wrong.
fn refusal(status: u16, message: impl Into<String>) -> Reply {
    Reply::new(
        status,
        "text/plain; charset=utf-8",
        format!("{}\n", message.into()),
    )
}

fn internal_error() -> Reply {
    refusal(500, "internal error: cannot read the file")
}

/// Writes `reply` on `stream`; without its body when `head_only`. `keep_alive` says whether
/// the connection stays open for another request or closes after this answer.
fn send(
    stream: &TcpStream,
    mut reply: Reply,
    head_only: bool,
    keep_alive: bool,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(stream);
    write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason(reply.status)
    )?;
    for (name, value) in &reply.headers {
        write!(out, "{name}: {}\r\n", header_value(value))?;
    }
    // why: `keep-alive` is implied in HTTP/1.1 but must be said to an HTTP/1.0 client.
    let connection = if keep_alive { "keep-alive" } else { "close" };
    write!(
        out,
        "Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        reply.len
    )?;
    if !head_only {
        // why: on a persistent connection the next answer starts where Content-Length says this
        // one ends; a file that shrank while it was sent must end the connection instead.
        let sent = std::io::copy(&mut reply.body, &mut out)?;
        if sent != reply.len {
            return Err(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                "the body was shorter than its Content-Length",
            ));
        }
    }
    out.flush()
}

/// Sends a refusal, then reads and drops, for a moment, what the client is still sending.
fn refuse(stream: &TcpStream, reply: Reply) {
    let _ = send(stream, reply, false, false);
    let _ = stream.shutdown(Shutdown::Write);
    linger(stream);
}

/// Whether the client has sent bytes that are not read yet.
fn unread(stream: &TcpStream) -> bool {
    let waiting = stream.set_nonblocking(true).is_ok()
        && matches!(stream.peek(&mut [0u8; 1]), Ok(n) if n > 0);
    let _ = stream.set_nonblocking(false);
    waiting
}

/// Reads and drops what the client sends until it closes or [`LINGER`] has passed.
fn linger(stream: &TcpStream) {
    // why: closing with unread input resets the connection, and a reset can destroy the answer
    // before the client reads it; so drain a little, with a deadline, never keeping any of it.
    let deadline = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&mut &*stream).read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Internal Server Error",
    }
}

/// A header value as visible ASCII: other bytes, CR and LF included, are percent-encoded.
fn header_value(value: &str) -> String {
    // why: a header value must be visible ASCII; a path from the request may not be.
    let mut safe = String::with_capacity(value.len());
    for byte in value.bytes() {
        if (0x20..0x7f).contains(&byte) {
            safe.push(byte as char);
        } else {
            safe.push_str(&format!("%{byte:02X}"));
        }
    }
    safe
}

/// Maps a URL path to a file or directory under `out`, refusing anything that would leave it.
/// A path ending in `/` names the directory's `index.html`.
fn resolve(out: &Path, path: &str) -> Option<PathBuf> {
    let mut file = out.to_path_buf();
    file.extend(segments(path)?);
    if file.is_dir() && path.ends_with('/') {
        file.push("index.html");
    }
    file.exists().then_some(file)
}

/// The decoded, non-empty segments of a URL path; `None` for one that climbs out (`..`) or
/// does not decode.
fn segments(path: &str) -> Option<Vec<String>> {
    let decoded = percent_decode(path)?;
    let mut parts = Vec::new();
    for component in Path::new(&decoded).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?.to_string()),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts)
}

/// The redirect from a directory's path without its slash to [`directory_location`].
fn to_directory(segments: &[String]) -> Reply {
    // why: relative links only work from `/dir/`, never from `/dir`.
    Reply::new(301, "text/plain; charset=utf-8", "").with("Location", directory_location(segments))
}

/// The canonical URL of a directory: `/` + segments + `/`, each segment percent-encoded.
/// Always a path on this origin: one leading slash, no empty segment, no `\`, no `:`.
fn directory_location(segments: &[String]) -> String {
    let mut location = String::from("/");
    for segment in segments {
        for byte in segment.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&byte) {
                location.push(byte as char);
            } else {
                location.push_str(&format!("%{byte:02X}"));
            }
        }
        location.push('/');
    }
    location
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
    /// Send `start..end` (end exclusive) with 206; always `start < end <= len`.
    Part(u64, u64),
    /// The range lies outside the file: 416.
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `len` bytes (RFC 9110 §14). Only single ranges are
/// honoured; a multi-range or malformed header gets the whole file, as the RFC allows. A last
/// position past the end is clamped to it, and numbers too large for `u64` count as `u64::MAX`.
pub fn parse_range(value: &str, len: u64) -> ByteRange {
    let value = value.trim();
    let Some(spec) = value
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| &value[6..])
    else {
        return ByteRange::Whole;
    };
    if spec.contains(',') {
        return ByteRange::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return ByteRange::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        return match (range_number(last), len) {
            (None, _) => ByteRange::Whole,
            (Some(0), _) => ByteRange::Unsatisfiable,
            // why: a suffix of an empty file is satisfiable (RFC 9110 §14.1.2) yet has no
            // bytes to name in a Content-Range; the whole, empty file is the answer.
            (Some(_), 0) => ByteRange::Whole,
            (Some(suffix), len) => ByteRange::Part(len - suffix.min(len), len),
        };
    }
    let Some(first) = range_number(first) else {
        return ByteRange::Whole;
    };
    let last = match range_number(last) {
        None if last.is_empty() => u64::MAX,
        Some(last) if last >= first => last,
        _ => return ByteRange::Whole,
    };
    if first >= len {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part(first, last.min(len - 1) + 1)
}

/// A range position: ASCII digits only, saturating at `u64::MAX`.
fn range_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().fold(0u64, |n, digit| {
        n.saturating_mul(10).saturating_add(u64::from(digit - b'0'))
    }))
}

/// The answer for the file of `pages` at `path`, if it has one: as [`file_reply`] answers for a
/// file on disk. A page that cannot be rendered is a 500 that says why.
fn page_reply(
    pages: &dyn Pages,
    path: &str,
    status: u16,
    range: Option<&str>,
    gzip: bool,
) -> Option<Reply> {
    let reply = match pages.file(path)? {
        Ok(OutputFile::Bytes { contents, .. }) => {
            let reply = identity_reply(Path::new(path), status, range, Body::Bytes(contents));
            encoded(Path::new(path), reply, range, gzip)
        }
        Ok(OutputFile::Copy { from, .. }) => file_reply(&from, status, range, gzip),
        Err(err) => {
            let message = format!("cannot render /{path}: {err:#}");
            eprintln!("error: {message}");
            // why: a page, so that it carries the reload script and goes once the theme is fixed.
            let page = format!(
                "<!doctype html><meta charset=\"utf-8\"><title>Error</title><body><pre>{}</pre></body>",
                crate::markdown::escape_html(&message)
            );
            identity_reply(
                Path::new("error.html"),
                500,
                None,
                Body::Bytes(page.into_bytes()),
            )
        }
    };
    Some(reply.unwrap_or_else(|_| internal_error()))
}

/// The answer for a file: HTML gets the reload script, other files honour `range` when the
/// status is 200. Without a `range`, a compressible file is sent gzipped when `gzip` allows.
fn file_reply(path: &Path, status: u16, range: Option<&str>, gzip: bool) -> std::io::Result<Reply> {
    let body = Body::File(crate::safe_fs::open(path)?);
    encoded(path, identity_reply(path, status, range, body), range, gzip)
}

/// `reply`, the answer for the file at `path`, gzipped when the request allows it.
fn encoded(
    path: &Path,
    reply: std::io::Result<Reply>,
    range: Option<&str>,
    gzip: bool,
) -> std::io::Result<Reply> {
    let reply = reply?;
    // why: the choice depends on Accept-Encoding only without a Range; a range always counts
    // the file's own bytes, so it is never compressed (the search index is read by ranges).
    if range.is_some() || !compressible(path) {
        return Ok(reply);
    }
    let reply = reply.with("Vary", "Accept-Encoding");
    if gzip {
        reply.gzipped()
    } else {
        Ok(reply)
    }
}

/// Whether a file's type gains from gzip: text, scripts, data and the wasm module.
fn compressible(path: &Path) -> bool {
    const TYPES: &[&str] = &[
        "html", "css", "js", "mjs", "json", "svg", "wasm", "txt", "xml", "csv", "ics", "eml",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TYPES.iter().any(|t| e.eq_ignore_ascii_case(t)))
}

/// The contents of a file to answer with.
enum Body {
    /// Open on disk.
    File(File),
    /// Rendered for the request.
    Bytes(Vec<u8>),
}

impl Body {
    fn len(&self) -> std::io::Result<u64> {
        match self {
            Body::File(file) => Ok(file.metadata()?.len()),
            Body::Bytes(bytes) => Ok(bytes.len() as u64),
        }
    }

    fn into_text(self) -> std::io::Result<String> {
        match self {
            Body::File(mut file) => {
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                Ok(text)
            }
            Body::Bytes(bytes) => {
                String::from_utf8(bytes).map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))
            }
        }
    }

    /// The bytes `start..end`, `start <= end <= len`.
    fn range(self, start: u64, end: u64) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Body::File(mut file) => {
                file.seek(SeekFrom::Start(start))?;
                Box::new(file.take(end - start))
            }
            Body::Bytes(mut bytes) => {
                bytes.truncate(end as usize);
                let mut cursor = Cursor::new(bytes);
                cursor.set_position(start);
                Box::new(cursor)
            }
        })
    }
}

/// The answer for a file of `body` named `path` (HTML with the reload script).
fn identity_reply(
    path: &Path,
    status: u16,
    range: Option<&str>,
    body: Body,
) -> std::io::Result<Reply> {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let content_type = match mime.type_() {
        mime_guess::mime::TEXT => format!("{mime}; charset=utf-8"),
        _ => mime.to_string(),
    };
    if mime.subtype() == mime_guess::mime::HTML {
        let mut html = body.into_text()?;
        match html.rfind("</body>") {
            Some(at) => html.insert_str(at, RELOAD_SCRIPT),
            None => html.push_str(RELOAD_SCRIPT),
        }
        return Ok(Reply::new(status, &content_type, html).with("Cache-Control", "no-cache"));
    }
    let len = body.len()?;
    // why: a range applies to the file asked for, never to the 404 page standing in for it.
    let range = match range {
        Some(value) if status == 200 => parse_range(value, len),
        _ => ByteRange::Whole,
    };
    let headers = vec![
        ("Content-Type", content_type),
        ("Accept-Ranges", "bytes".to_string()),
        ("Cache-Control", "no-cache".to_string()),
    ];
    Ok(match range {
        ByteRange::Whole => Reply {
            status,
            headers,
            body: body.range(0, len)?,
            len,
        },
        ByteRange::Part(start, end) => Reply {
            status: 206,
            headers,
            body: body.range(start, end)?,
            len: end - start,
        }
        .with("Content-Range", format!("bytes {start}-{}/{len}", end - 1)),
        ByteRange::Unsatisfiable => Reply::new(416, "text/plain; charset=utf-8", "")
            .with("Accept-Ranges", "bytes")
            .with("Content-Range", format!("bytes */{len}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_made_ascii() {
        assert_eq!(header_value("/pm/zürich/"), "/pm/z%C3%BCrich/");
        assert_eq!(header_value("a\r\nSet-Cookie: x"), "a%0D%0ASet-Cookie: x");
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

    /// A site on disk: `pm/a/` with an index, `pm/` without one, and a 1000-byte `data.bin`.
    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pm/a")).unwrap();
        std::fs::write(dir.path().join("pm/a/index.html"), "<body>a</body>").unwrap();
        std::fs::write(dir.path().join("data.bin"), vec![7u8; 1000]).unwrap();
        dir
    }

    /// A preview of `out` on a free port, with a short head timeout; stopped when dropped.
    struct Running {
        port: u16,
        stop: Arc<AtomicBool>,
        workers: Option<std::thread::JoinHandle<()>>,
    }

    impl Drop for Running {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            for _ in 0..WORKERS {
                let _ = TcpStream::connect(("127.0.0.1", self.port));
            }
            if let Some(workers) = self.workers.take() {
                workers.join().unwrap();
            }
        }
    }

    fn start(out: &Path) -> Running {
        start_idle(out, Duration::from_millis(300))
    }

    /// [`start`] with connections kept open for `idle_timeout` between requests.
    fn start_idle(out: &Path, idle_timeout: Duration) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let site = Site {
            out: out.to_path_buf(),
            state: Arc::default(),
            port,
            head_timeout: Duration::from_millis(300),
            idle_timeout,
            free: AtomicUsize::new(0),
        };
        let site = Arc::new(site);
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, listening) = (stop.clone(), site.clone());
        let workers = std::thread::spawn(move || listen(&listener, &listening, &flag));
        // why: until every worker waits in `accept`, an idle connection rightly makes way at
        // once; the tests of persistent connections start from a pool at rest.
        let ready = Instant::now();
        while site.free.load(Ordering::SeqCst) < WORKERS {
            assert!(
                ready.elapsed() < Duration::from_secs(10),
                "workers not ready"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        Running {
            port,
            stop,
            workers: Some(workers),
        }
    }

    /// Sends `raw` and reads the whole answer (lossily as text), or what came before a timeout.
    fn exchange(port: u16, raw: &[u8]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.write_all(raw);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn get(port: u16, target: &str, extra: &str) -> String {
        let raw = format!(
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{extra}\r\n"
        );
        exchange(port, raw.as_bytes())
    }

    /// A persistent connection: sends requests and reads answers framed by Content-Length.
    struct Client {
        stream: TcpStream,
        read: Vec<u8>,
    }

    /// One answer read from a [`Client`]: the head as text and the body.
    struct Answer {
        head: String,
        body: Vec<u8>,
    }

    impl Client {
        fn connect(port: u16) -> Client {
            let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            Client {
                stream,
                read: Vec::new(),
            }
        }

        fn send(&mut self, raw: &str) {
            self.stream.write_all(raw.as_bytes()).unwrap();
        }

        /// Sends a GET for `target` that keeps the connection open, plus `extra` headers.
        fn get(&mut self, target: &str, extra: &str) {
            let port = self.stream.peer_addr().unwrap().port();
            self.send(&format!(
                "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n"
            ));
        }

        /// The next answer, or `None` when the connection closed (or timed out) first.
        fn answer(&mut self) -> Option<Answer> {
            self.answer_with(true)
        }

        /// The next answer to a HEAD request: a head with a Content-Length but no body.
        fn answer_to_head(&mut self) -> Option<Answer> {
            self.answer_with(false)
        }

        fn answer_with(&mut self, body: bool) -> Option<Answer> {
            let end = loop {
                if let Some(end) = head_end(&self.read) {
                    break end;
                }
                self.fill()?;
            };
            let head = String::from_utf8_lossy(&self.read[..end]).into_owned();
            let len: usize = header_of(&head, "Content-Length")?.parse().ok()?;
            let len = if body { len } else { 0 };
            while self.read.len() < end + len {
                self.fill()?;
            }
            let body = self.read[end..end + len].to_vec();
            self.read.drain(..end + len);
            Some(Answer { head, body })
        }

        /// Whether the server closes the connection (rather than sending or timing out).
        fn closed(&mut self) -> bool {
            self.read.is_empty() && matches!(self.stream.read(&mut [0u8; 1]), Ok(0))
        }

        fn fill(&mut self) -> Option<()> {
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => None,
                Ok(n) => {
                    self.read.extend_from_slice(&chunk[..n]);
                    Some(())
                }
            }
        }
    }

    fn status(answer: &str) -> &str {
        answer.get(9..12).unwrap_or("")
    }

    fn header_of<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
        let head = answer.split("\r\n\r\n").next()?;
        head.split("\r\n").skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[test]
    fn directories_redirect_to_a_same_origin_path() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        for (target, location) in [
            ("/pm", "/pm/"),
            ("//pm", "/pm/"),
            ("///pm//a", "/pm/a/"),
            ("/%2F%2Fpm", "/pm/"),
        ] {
            let answer = get(port, target, "");
            assert_eq!(status(&answer), "301", "{target}: {answer}");
            assert_eq!(header_of(&answer, "Location"), Some(location), "{target}");
        }
    }

    #[test]
    fn a_range_end_beyond_the_file_is_clamped() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let answer = get(port, "/data.bin", "Range: bytes=0-18446744073709551615\r\n");
        assert_eq!(status(&answer), "206", "{answer}");
        assert_eq!(
            header_of(&answer, "Content-Range"),
            Some("bytes 0-999/1000")
        );
        let answer = get(port, "/data.bin", "Range: bytes=1000-\r\n");
        assert_eq!(status(&answer), "416", "{answer}");
        assert_eq!(header_of(&answer, "Content-Range"), Some("bytes */1000"));
    }

    #[test]
    fn range_numbers_never_overflow() {
        let max = u64::MAX;
        assert_eq!(
            parse_range(&format!("bytes=0-{max}"), 1000),
            ByteRange::Part(0, 1000)
        );
        assert_eq!(
            parse_range("bytes=0-99999999999999999999999999", 1000),
            ByteRange::Part(0, 1000)
        );
        assert_eq!(
            parse_range(&format!("bytes={max}-{max}"), 1000),
            ByteRange::Unsatisfiable
        );
        assert_eq!(
            parse_range("bytes=99999999999999999999999999-", 1000),
            ByteRange::Unsatisfiable
        );
        assert_eq!(
            parse_range(&format!("bytes=-{max}"), 1000),
            ByteRange::Part(0, 1000)
        );
        assert_eq!(
            parse_range("bytes=-99999999999999999999999999", 1000),
            ByteRange::Part(0, 1000)
        );
        assert_eq!(
            parse_range(&format!("bytes={}-{max}", max - 1), max),
            ByteRange::Part(max - 1, max)
        );
    }

    #[test]
    fn only_the_local_origin_is_answered() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        for host in [
            "evil.example".to_string(),
            format!("evil.example:{port}"),
            format!("127.0.0.1:{}", port.wrapping_add(1)),
            format!("localhost:{port}.evil.example"),
        ] {
            let raw = format!("GET /pm/a/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            let answer = exchange(port, raw.as_bytes());
            assert_eq!(status(&answer), "403", "{host}: {answer}");
            assert!(!answer.contains("<body>a"), "{host}: {answer}");
        }
        let missing = exchange(port, b"GET /pm/a/ HTTP/1.0\r\n\r\n");
        assert_eq!(status(&missing), "403", "{missing}");
        for host in [
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("LocalHost:{port}"),
            format!("[::1]:{port}"),
        ] {
            let raw = format!("GET /pm/a/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            let answer = exchange(port, raw.as_bytes());
            assert_eq!(status(&answer), "200", "{host}: {answer}");
        }
    }

    #[test]
    fn a_request_body_is_refused_without_being_read() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let answer = get(port, "/data.bin", "Content-Length: 1000000000000000\r\n");
        assert_eq!(status(&answer), "413", "{answer}");
        let answer = get(port, "/data.bin", "Transfer-Encoding: chunked\r\n");
        assert_eq!(status(&answer), "413", "{answer}");
        assert_eq!(status(&get(port, "/data.bin", "")), "200");
    }

    #[test]
    fn overlong_urls_are_refused() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let answer = get(port, &format!("/{}", "a".repeat(9 * 1024)), "");
        assert_eq!(status(&answer), "414", "{answer}");
        let answer = get(port, &format!("/{}", "a".repeat(64 * 1024)), "");
        assert_eq!(status(&answer), "414", "{answer}");
    }

    #[test]
    fn oversized_headers_are_refused() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let big = format!("X-Filler: {}\r\n", "b".repeat(8000));
        let answer = get(port, "/data.bin", &big.repeat(4));
        assert_eq!(status(&answer), "431", "{answer}");
    }

    #[test]
    fn a_client_that_stalls_is_cut_off() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let answer = exchange(port, b"GET /data.bin HTTP/1.1\r\nHost: 127.0.0.1");
        assert_eq!(status(&answer), "408", "{answer}");
    }

    #[test]
    fn a_panicking_rebuild_is_reported_and_watching_goes_on() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        /// A site of no pages.
        struct Empty;
        impl Pages for Empty {
            fn file(&self, _path: &str) -> Option<Result<OutputFile>> {
                None
            }
            fn is_dir(&self, _path: &str) -> bool {
                false
            }
        }
        let mut rebuild = || -> Rebuilt {
            match calls.fetch_add(1, Ordering::SeqCst) {
                1 => panic!("boom in render"),
                _ => Ok(Arc::new(Empty)),
            }
        };
        let state = Arc::new(State::default());
        let (tx, rx) = mpsc::channel();
        let observer = {
            let state = state.clone();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                for build in 1..=3 {
                    tx.send(()).unwrap();
                    let start = std::time::Instant::now();
                    while state.version.load(Ordering::SeqCst) < build {
                        if start.elapsed() > Duration::from_secs(10) {
                            return seen;
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    seen.push(state.problems.lock().unwrap().clone());
                }
                seen
            })
        };
        watch_loop(&rx, &state, &mut rebuild);
        let seen = observer.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen[0], "");
        assert_eq!(
            seen[1],
            "internal error: the build panicked: boom in render; please report"
        );
        assert_eq!(seen[2], "");
    }

    #[test]
    fn head_requests_get_the_headers_without_the_body() {
        let dir = site();
        let server = start(dir.path());
        let raw = format!(
            "HEAD /data.bin HTTP/1.1\r\nHost: localhost:{}\r\n\r\n",
            server.port
        );
        let answer = exchange(server.port, raw.as_bytes());
        assert_eq!(status(&answer), "200", "{answer}");
        assert_eq!(header_of(&answer, "Content-Length"), Some("1000"));
        assert!(answer.ends_with("\r\n\r\n"), "{answer}");
    }

    #[test]
    fn more_clients_than_workers_are_all_answered() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let clients: Vec<_> = (0..WORKERS * 3)
            .map(|_| std::thread::spawn(move || status(&get(port, "/data.bin", "")).to_string()))
            .collect();
        for client in clients {
            assert_eq!(client.join().unwrap(), "200");
        }
    }

    #[test]
    fn refuses_methods_other_than_get_and_head() {
        for method in ["POST", "PUT", "DELETE", "OPTIONS", "BREW"] {
            let head = format!("{method} / HTTP/1.1\r\nHost: localhost:8000\r\n\r\n");
            let refusal = parse_head(head.as_bytes(), 8000).unwrap_err();
            assert_eq!(refusal.status, 405, "{method}");
            assert!(refusal
                .headers
                .contains(&("Allow", "GET, HEAD".to_string())));
        }
    }

    #[test]
    fn admits_get_and_head_for_the_local_origin() {
        let head = b"GET /pm/a/?q=1 HTTP/1.1\r\nHost: localhost:8000\r\nRange: bytes=0-1\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            parse_head(head, 8000).unwrap(),
            Request {
                head_only: false,
                path: "/pm/a/".into(),
                range: Some("bytes=0-1".into()),
                keep_alive: true,
                gzip: false,
            }
        );
        let head = b"HEAD / HTTP/1.0\nhost:127.0.0.1:8000\n\n";
        assert!(parse_head(head, 8000).unwrap().head_only);
    }

    #[test]
    fn refuses_malformed_heads() {
        for (head, expected) in [
            ("GET /\r\nHost: localhost:8000\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: localhost:8000\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: localhost:8000\r\n\r\n", 505),
            (
                "GET http://localhost:8000/ HTTP/1.1\r\nHost: localhost:8000\r\n\r\n",
                400,
            ),
            (
                "GET / HTTP/1.1\r\nHost: localhost:8000\r\n folded\r\n\r\n",
                400,
            ),
            (
                "GET / HTTP/1.1\r\nHost: localhost:8000\r\nno colon\r\n\r\n",
                400,
            ),
            (
                "GET / HTTP/1.1\r\nHost: localhost:8000\r\nContent-Length: +5\r\n\r\n",
                400,
            ),
            (
                "GET / HTTP/1.1\r\nHost: localhost:8000\r\nHost: localhost:8000\r\n\r\n",
                403,
            ),
            (
                "GET / HTTP/1.1\r\nHost: localhost:8000\r\nContent-Length: 1\r\n\r\n",
                413,
            ),
        ] {
            let status = parse_head(head.as_bytes(), 8000)
                .map(|_| 0)
                .unwrap_or_else(|r| r.status);
            assert_eq!(status, expected, "{head:?}");
        }
    }

    #[test]
    fn only_loopback_names_with_the_served_port_are_the_local_origin() {
        assert!(is_local_origin("127.0.0.1:8000", 8000));
        assert!(is_local_origin("LOCALHOST:8000", 8000));
        assert!(is_local_origin("[::1]:8000", 8000));
        assert!(is_local_origin("localhost", 80));
        assert!(!is_local_origin("localhost", 8000));
        assert!(!is_local_origin("localhost:80", 8000));
        assert!(!is_local_origin("localhost:08000", 8000));
        assert!(!is_local_origin("localhost.:8000", 8000));
        assert!(!is_local_origin("127.0.0.2:8000", 8000));
        assert!(!is_local_origin("rebind.evil.example:8000", 8000));
        assert!(!is_local_origin("", 8000));
    }

    #[test]
    fn directory_locations_stay_on_this_origin() {
        let location = |parts: &[&str]| {
            directory_location(&parts.iter().map(|p| p.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(location(&[]), "/");
        assert_eq!(location(&["pm", "a"]), "/pm/a/");
        assert_eq!(location(&["\\evil.example"]), "/%5Cevil.example/");
        assert_eq!(
            location(&["http:", "evil.example"]),
            "/http%3A/evil.example/"
        );
        assert_eq!(location(&["zürich"]), "/z%C3%BCrich/");
        assert_eq!(location(&["a?b#c"]), "/a%3Fb%23c/");
        assert_eq!(
            segments("//evil.example/%2F%2Fx/./y"),
            Some(vec!["evil.example".into(), "x".into(), "y".into()])
        );
        assert_eq!(segments("/a/../b"), None);
    }

    #[test]
    fn finds_the_end_of_a_head() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"), Some(27));
        assert_eq!(head_end(b"GET / HTTP/1.1\nHost: x\n\n"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
        assert_eq!(head_end(b""), None);
    }

    #[test]
    fn suffix_and_open_ranges_count_from_the_right_end() {
        assert_eq!(parse_range("bytes=-1", 1000), ByteRange::Part(999, 1000));
        assert_eq!(parse_range("bytes=-1000", 1000), ByteRange::Part(0, 1000));
        assert_eq!(parse_range("bytes=-2000", 1000), ByteRange::Part(0, 1000));
        assert_eq!(parse_range("bytes=-0", 1000), ByteRange::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 1000), ByteRange::Part(0, 1000));
        assert_eq!(parse_range("bytes=999-", 1000), ByteRange::Part(999, 1000));
        assert_eq!(
            parse_range("bytes=999-999", 1000),
            ByteRange::Part(999, 1000)
        );
        assert_eq!(parse_range("bytes=0-0", 1000), ByteRange::Part(0, 1));
        assert_eq!(parse_range("Bytes=0-0", 1000), ByteRange::Part(0, 1));
    }

    #[test]
    fn an_empty_file_has_no_satisfiable_position() {
        assert_eq!(parse_range("bytes=0-", 0), ByteRange::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), ByteRange::Unsatisfiable);
        assert_eq!(
            parse_range(&format!("bytes=0-{}", u64::MAX), 0),
            ByteRange::Unsatisfiable
        );
        assert_eq!(parse_range("bytes=-0", 0), ByteRange::Unsatisfiable);
        assert_eq!(parse_range("bytes=-5", 0), ByteRange::Whole);
    }

    #[test]
    fn malformed_range_numbers_get_the_whole_file() {
        for value in [
            "bytes=+1-5",
            "bytes=1-+5",
            "bytes=-+5",
            "bytes=1-x",
            "bytes=--5",
            "bytes=-",
            "bytes=",
            "bytes=5",
            "bytes=ä-1",
            "bytesä=0-1",
        ] {
            assert_eq!(parse_range(value, 1000), ByteRange::Whole, "{value}");
        }
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

    #[test]
    fn two_requests_on_one_connection_are_both_answered() {
        let dir = site();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        client.get("/data.bin", "");
        let first = client.answer().expect("first answer");
        assert_eq!(status(&first.head), "200", "{}", first.head);
        assert_eq!(header_of(&first.head, "Connection"), Some("keep-alive"));
        assert_eq!(first.body, vec![7u8; 1000]);
        client.get("/pm/a/", "");
        let second = client.answer().expect("second answer");
        assert_eq!(status(&second.head), "200", "{}", second.head);
        assert!(String::from_utf8_lossy(&second.body).starts_with("<body>a"));
    }

    #[test]
    fn pipelined_requests_are_answered_in_order() {
        let dir = site();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        let port = server.port;
        client.send(&format!(
            "GET /data.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nRange: bytes=0-9\r\n\r\n\
             HEAD /data.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n\
             GET /missing HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        ));
        let range = client.answer().expect("range");
        assert_eq!(status(&range.head), "206", "{}", range.head);
        assert_eq!(range.body, [7u8; 10]);
        let head = client.answer_to_head().expect("head");
        assert_eq!(header_of(&head.head, "Content-Length"), Some("1000"));
        let missing = client.answer().expect("missing");
        assert_eq!(status(&missing.head), "404", "{}", missing.head);
        assert!(client.closed());
    }

    #[test]
    fn connection_close_is_honoured() {
        let dir = site();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        client.get("/data.bin", "");
        assert_eq!(status(&client.answer().expect("first").head), "200");
        client.get("/data.bin", "Connection: close\r\n");
        let last = client.answer().expect("second");
        assert_eq!(status(&last.head), "200", "{}", last.head);
        assert_eq!(header_of(&last.head, "Connection"), Some("close"));
        assert!(client.closed());
    }

    #[test]
    fn http_1_0_keeps_the_connection_only_when_asked() {
        let dir = site();
        let server = start(dir.path());
        let port = server.port;
        let mut client = Client::connect(port);
        let head = format!("GET /data.bin HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
        client.send(&format!("{head}Connection: Keep-Alive\r\n\r\n"));
        let kept = client.answer().expect("first");
        assert_eq!(header_of(&kept.head, "Connection"), Some("keep-alive"));
        client.send(&format!("{head}\r\n"));
        let last = client.answer().expect("second");
        assert_eq!(header_of(&last.head, "Connection"), Some("close"));
        assert!(client.closed());
    }

    #[test]
    fn a_connection_closes_after_its_request_limit() {
        let dir = site();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        let port = server.port;
        let one = format!("GET /data.bin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        client.send(&one.repeat(MAX_REQUESTS + 1));
        let answers: Vec<_> = std::iter::from_fn(|| client.answer()).collect();
        assert_eq!(answers.len(), MAX_REQUESTS);
        let connection = |a: &Answer| header_of(&a.head, "Connection").map(str::to_string);
        assert_eq!(connection(&answers[0]).as_deref(), Some("keep-alive"));
        assert_eq!(
            connection(&answers[MAX_REQUESTS - 1]).as_deref(),
            Some("close")
        );
    }

    #[test]
    fn a_refused_request_closes_a_persistent_connection() {
        let dir = site();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        client.get("/data.bin", "");
        assert_eq!(status(&client.answer().expect("first").head), "200");
        client.send("GET /data.bin HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        let refused = client.answer().expect("refusal");
        assert_eq!(status(&refused.head), "403", "{}", refused.head);
        assert_eq!(header_of(&refused.head, "Connection"), Some("close"));
        assert!(client.closed());
    }

    #[test]
    fn the_head_deadline_applies_to_every_request_on_a_connection() {
        let dir = site();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        client.get("/data.bin", "");
        assert_eq!(status(&client.answer().expect("first").head), "200");
        client.send("GET /data.bin HTTP/1.1\r\nHost: 127.0.0.1");
        let started = Instant::now();
        let late = client.answer().expect("408");
        assert_eq!(status(&late.head), "408", "{}", late.head);
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[test]
    fn an_idle_connection_is_closed_after_the_idle_timeout() {
        let dir = site();
        let server = start_idle(dir.path(), Duration::from_millis(400));
        let mut client = Client::connect(server.port);
        client.get("/data.bin", "");
        assert_eq!(status(&client.answer().expect("answer").head), "200");
        let idle = Instant::now();
        assert!(client.closed(), "the connection must close, not time out");
        let waited = idle.elapsed();
        assert!(
            waited >= Duration::from_millis(350) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
    }

    #[test]
    fn more_persistent_clients_than_workers_are_all_answered() {
        let dir = site();
        // why: an idle timeout far beyond the clients' 5 s, so only making way for waiting
        // clients can answer them all.
        let server = start_idle(dir.path(), Duration::from_secs(60));
        let port = server.port;
        let clients: Vec<_> = (0..WORKERS * 3)
            .map(|_| {
                std::thread::spawn(move || {
                    let mut client = Client::connect(port);
                    client.get("/data.bin", "");
                    let status = client.answer().map(|a| status(&a.head).to_string());
                    // why: returned, so that the connection stays open until all are answered.
                    (status, client)
                })
            })
            .collect();
        let answered: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
        for (status, _) in &answered {
            assert_eq!(status.as_deref(), Some("200"));
        }
    }

    #[test]
    fn live_reload_polling_reuses_one_connection() {
        let dir = site();
        let server = start_idle(dir.path(), Duration::from_millis(400));
        let mut client = Client::connect(server.port);
        for _ in 0..3 {
            client.get(STATUS_PATH, "");
            let answer = client.answer().expect("status");
            assert_eq!(status(&answer.head), "200", "{}", answer.head);
            let status: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
            assert_eq!(status["version"], 0);
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The site of [`site`] with a compressible `app.wasm` and `notes.txt`.
    fn site_with_text() -> tempfile::TempDir {
        let dir = site();
        let wasm: Vec<u8> = (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(dir.path().join("app.wasm"), wasm).unwrap();
        std::fs::write(
            dir.path().join("notes.txt"),
            "a line of notes\n".repeat(500),
        )
        .unwrap();
        dir
    }

    fn gunzip(body: &[u8]) -> Vec<u8> {
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut decoded)
            .unwrap();
        decoded
    }

    #[test]
    fn compressible_files_are_gzipped_for_clients_that_accept_it() {
        let dir = site_with_text();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        for (target, file) in [("/app.wasm", "app.wasm"), ("/notes.txt", "notes.txt")] {
            client.get(target, "Accept-Encoding: br, gzip, deflate\r\n");
            let answer = client.answer().expect(target);
            assert_eq!(status(&answer.head), "200", "{}", answer.head);
            assert_eq!(header_of(&answer.head, "Content-Encoding"), Some("gzip"));
            assert_eq!(header_of(&answer.head, "Vary"), Some("Accept-Encoding"));
            let original = std::fs::read(dir.path().join(file)).unwrap();
            assert!(answer.body.len() < original.len() / 4, "{target}");
            assert_eq!(gunzip(&answer.body), original, "{target}");
        }
        client.get("/pm/a/", "Accept-Encoding: gzip\r\n");
        let page = client.answer().expect("page");
        assert_eq!(header_of(&page.head, "Content-Encoding"), Some("gzip"));
        let page = String::from_utf8(gunzip(&page.body)).unwrap();
        assert!(
            page.starts_with("<body>a") && page.contains(STATUS_PATH),
            "{page}"
        );
    }

    #[test]
    fn files_stay_identity_without_gzip_in_accept_encoding_or_for_other_types() {
        let dir = site_with_text();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        for (target, extra) in [
            ("/notes.txt", ""),
            ("/notes.txt", "Accept-Encoding: gzip;q=0, br\r\n"),
            ("/data.bin", "Accept-Encoding: gzip\r\n"),
        ] {
            client.get(target, extra);
            let answer = client.answer().expect(target);
            assert_eq!(header_of(&answer.head, "Content-Encoding"), None, "{extra}");
            let original = std::fs::read(dir.path().join(&target[1..])).unwrap();
            assert_eq!(answer.body, original, "{target} {extra}");
        }
    }

    #[test]
    fn a_range_request_is_not_gzipped() {
        let dir = site_with_text();
        let server = start(dir.path());
        let mut client = Client::connect(server.port);
        client.get(
            "/app.wasm",
            "Accept-Encoding: gzip\r\nRange: bytes=100-199\r\n",
        );
        let answer = client.answer().expect("range");
        assert_eq!(status(&answer.head), "206", "{}", answer.head);
        assert_eq!(header_of(&answer.head, "Content-Encoding"), None);
        assert_eq!(header_of(&answer.head, "Content-Length"), Some("100"));
        let original = std::fs::read(dir.path().join("app.wasm")).unwrap();
        assert_eq!(answer.body, original[100..200]);
    }

    #[test]
    fn reads_whether_accept_encoding_allows_gzip() {
        for (value, allowed) in [
            ("gzip", true),
            ("GZIP", true),
            ("br, gzip;q=0.5", true),
            ("x-gzip", true),
            ("*", true),
            ("gzip;q=0", false),
            ("gzip; q=0.000, *", false),
            ("*;q=0", false),
            ("br, deflate", false),
            ("identity", false),
            ("gzip;q=x", false),
            ("", false),
        ] {
            assert_eq!(accepts_gzip(value), allowed, "{value:?}");
        }
    }
}
