//! The blameless search engine for the browser: `blameless-search` compiled to
//! `wasm32-unknown-unknown`, behind a plain C ABI that a few lines of JavaScript drive
//! (`themes/default/static/search-worker.js`). No wasm-bindgen.
//!
//! The module reads the index lazily: the worker downloads `hotcache.bin` and hands it to
//! [`bl_open`]; a query then runs in rounds ([`bl_round`]): each says which byte ranges it
//! lacks, the worker fetches them all in parallel and hands them over ([`bl_supply`]),
//! until a round has everything and answers. Calls, in order:
//!
//! 1. `bl_alloc(len)` → pointer; the caller copies `len` bytes there (hot cache, request).
//! 2. `bl_open(ptr, len)` → 0 on success; takes ownership of the buffer.
//! 3. `bl_round(ptr, len)` with a JSON `SearchRequest` → 0 with the answer, or 2 with
//!    `{"need": [{"file": "<segment>.idx", "start": 0, "end": 4096}, …]}`; takes
//!    ownership of the buffer. After 2: `bl_supply` each range, then `bl_round` again.
//! 4. `bl_supply(name_ptr, name_len, start, whole, data_ptr, data_len)` → 0: keeps the
//!    bytes fetched for a range (`whole` = 1 when the server sent the whole file); takes
//!    ownership of both buffers.
//! 5. `bl_output_ptr()` / `bl_output_len()` → the JSON answer of the last call
//!    (a `SearchResponse`, or `{"error": "..."}` when the status was 1).
//!
//! `bl_search(ptr, len)` answers in one call, fetching what is missing one synchronous
//! request at a time through the imports below: the fallback after too many rounds.
//!
//! Imports (module `blameless`):
//!
//! - `fetch_range(name_ptr, name_len, start: f64, end: f64) -> f64`: fetches bytes
//!   `start..end` of the index file `name`, keeps them, and returns their length, or a
//!   negative number when the request failed.
//! - `take_fetched(dest, len) -> i32`: copies the kept bytes to `dest`; returns 1 when
//!   they are the whole file (the server ignored `Range`), 0 when they are the range,
//!   negative on error.

use std::cell::RefCell;
use std::io;
use std::ops::Range;

use blameless_search::tantivy::directory::OwnedBytes;
use blameless_search::{Fetched, HotCache, LazyEngine, RangeFetcher, Round};
use serde::Serialize;

mod random;

#[link(wasm_import_module = "blameless")]
extern "C" {
    fn fetch_range(name_ptr: *const u8, name_len: usize, start: f64, end: f64) -> f64;
    fn take_fetched(dest: *mut u8, len: usize) -> i32;
}

/// Range reads through the worker's synchronous HTTP requests.
struct JsFetcher;

impl RangeFetcher for JsFetcher {
    fn fetch(&self, name: &str, range: Range<u64>) -> io::Result<Fetched> {
        // SAFETY: the import reads `name_len` bytes at `name_ptr`, which `name` keeps
        // alive for the call, and writes nothing.
        let len = unsafe {
            fetch_range(
                name.as_ptr(),
                name.len(),
                range.start as f64,
                range.end as f64,
            )
        };
        if len.is_nan() || len < 0.0 {
            return Err(io::Error::other(format!(
                "the request for bytes {}..{} of `{name}` failed",
                range.start, range.end
            )));
        }
        let mut bytes = vec![0u8; len as usize];
        // SAFETY: `bytes` has room for exactly `len` bytes, which the import copies.
        let whole = unsafe { take_fetched(bytes.as_mut_ptr(), bytes.len()) };
        if whole < 0 {
            return Err(io::Error::other(format!(
                "the bytes of `{name}` went missing"
            )));
        }
        Ok(Fetched {
            bytes,
            whole_file: whole == 1,
        })
    }
}

thread_local! {
    static ENGINE: RefCell<Option<LazyEngine>> = const { RefCell::new(None) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn set_output(bytes: Vec<u8>) {
    OUTPUT.with(|out| *out.borrow_mut() = bytes);
}

// why: the answers other than a `SearchResponse` are structs, not `serde_json::json!`
// values: one serializer, the one that writes responses, then writes them all, and the
// module carries no code to build and print a `serde_json::Value`. Fields stay in the
// order `json!` wrote them (its map sorts the keys).

/// `{"error": "..."}`: why a call failed.
#[derive(Serialize)]
struct ErrorOutput<'a> {
    error: &'a str,
}

/// `{"need": [...]}`: the byte ranges a round lacks.
#[derive(Serialize)]
struct NeedOutput<'a> {
    need: Vec<NeedRange<'a>>,
}

/// One range of [`NeedOutput`].
#[derive(Serialize)]
struct NeedRange<'a> {
    end: u64,
    file: &'a str,
    start: u64,
}

/// `{"bytes": n, "requests": n}`: what was fetched beyond the hot cache.
#[derive(Serialize)]
struct StatsOutput {
    bytes: u64,
    requests: u64,
}

/// Sets the output to `value` as JSON. Returns `status`, or 1 with the reason in the output
/// when the value could not be written.
fn set_json(value: &impl Serialize, status: i32) -> i32 {
    match serde_json::to_vec(value) {
        Ok(json) => {
            set_output(json);
            status
        }
        Err(error) => set_error(&format!("the answer could not be written: {error}")),
    }
}

fn set_error(message: &str) -> i32 {
    // why: a struct of one string always serializes; nothing to report if it did not.
    set_output(serde_json::to_vec(&ErrorOutput { error: message }).unwrap_or_default());
    1
}

/// Takes back a buffer made by [`bl_alloc`] and filled by the caller.
///
/// # Safety
/// `ptr` and `len` must come from one `bl_alloc(len)` call, not yet freed.
unsafe fn take_buffer(ptr: *mut u8, len: usize) -> Vec<u8> {
    if ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: per the contract, `ptr` was allocated by `bl_alloc` with capacity `len`,
    // and the caller filled all `len` bytes.
    unsafe { Vec::from_raw_parts(ptr, len, len) }
}

/// Allocates `len` bytes for the caller to fill; hand them to `bl_open`/`bl_search`,
/// or release them with `bl_free`.
#[no_mangle]
pub extern "C" fn bl_alloc(len: usize) -> *mut u8 {
    let mut buffer = vec![0u8; len];
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Releases a buffer from `bl_alloc` that was not handed to another call.
///
/// # Safety
/// `ptr` and `len` must come from one `bl_alloc(len)` call, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn bl_free(ptr: *mut u8, len: usize) {
    // SAFETY: forwarded contract.
    drop(unsafe { take_buffer(ptr, len) });
}

/// Opens the index from the hot cache bytes in the buffer. Returns 0, or 1 with the
/// reason in the output.
///
/// # Safety
/// `ptr` and `len` must come from one `bl_alloc(len)` call; the buffer is consumed.
#[no_mangle]
pub unsafe extern "C" fn bl_open(ptr: *mut u8, len: usize) -> i32 {
    // SAFETY: forwarded contract.
    let bytes = unsafe { take_buffer(ptr, len) };
    let hot_cache = match HotCache::decode(OwnedBytes::new(bytes)) {
        Ok(hot_cache) => hot_cache,
        Err(error) => return set_error(&format!("the hot cache could not be read: {error}")),
    };
    match LazyEngine::open(hot_cache, JsFetcher) {
        Ok(opened) => {
            ENGINE.with(|engine| *engine.borrow_mut() = Some(opened));
            set_output(b"{}".to_vec());
            0
        }
        Err(error) => set_error(&format!("the search index could not be opened: {error}")),
    }
}

/// Answers the JSON `SearchRequest` in the buffer with a JSON `SearchResponse` in the
/// output. Returns 0, or 1 with the reason in the output.
///
/// # Safety
/// `ptr` and `len` must come from one `bl_alloc(len)` call; the buffer is consumed.
#[no_mangle]
pub unsafe extern "C" fn bl_search(ptr: *mut u8, len: usize) -> i32 {
    // SAFETY: forwarded contract.
    let bytes = unsafe { take_buffer(ptr, len) };
    let request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => return set_error(&format!("the search request is not valid: {error}")),
    };
    ENGINE.with(|engine| match &*engine.borrow() {
        Some(lazy) => set_json(&lazy.engine().search(&request), 0),
        None => set_error("the search index is not open yet"),
    })
}

/// Runs one round of the JSON `SearchRequest` in the buffer: returns 0 with the
/// `SearchResponse` in the output, 2 with the ranges it lacks (`{"need": [...]}`), or 1
/// with the reason.
///
/// # Safety
/// `ptr` and `len` must come from one `bl_alloc(len)` call; the buffer is consumed.
#[no_mangle]
pub unsafe extern "C" fn bl_round(ptr: *mut u8, len: usize) -> i32 {
    // SAFETY: forwarded contract.
    let bytes = unsafe { take_buffer(ptr, len) };
    let request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => return set_error(&format!("the search request is not valid: {error}")),
    };
    ENGINE.with(|engine| match &*engine.borrow() {
        Some(lazy) => match lazy.round(&request) {
            Round::Done(response) => set_json(&response, 0),
            Round::Need(wanted) => {
                let need = wanted
                    .iter()
                    .map(|w| NeedRange {
                        end: w.range.end,
                        file: &w.name,
                        start: w.range.start,
                    })
                    .collect();
                set_json(&NeedOutput { need }, 2)
            }
        },
        None => set_error("the search index is not open yet"),
    })
}

/// Keeps the bytes fetched for a range that [`bl_round`] asked for: `data` starts at byte
/// `start` of the index file `name`, or is the whole file when `whole` is 1. Returns 0, or
/// 1 with the reason in the output.
///
/// # Safety
/// Each pointer and length pair must come from one `bl_alloc` call; both are consumed.
#[no_mangle]
pub unsafe extern "C" fn bl_supply(
    name_ptr: *mut u8,
    name_len: usize,
    start: f64,
    whole: i32,
    data_ptr: *mut u8,
    data_len: usize,
) -> i32 {
    // SAFETY: forwarded contract.
    let (name, data) = unsafe {
        (
            take_buffer(name_ptr, name_len),
            take_buffer(data_ptr, data_len),
        )
    };
    let Ok(name) = String::from_utf8(name) else {
        return set_error("the index file name is not UTF-8");
    };
    ENGINE.with(|engine| match &*engine.borrow() {
        Some(lazy) => match lazy
            .directory()
            .supply(&name, start as u64, data, whole == 1)
        {
            Ok(()) => {
                set_output(b"{}".to_vec());
                0
            }
            Err(error) => set_error(&format!("the bytes of `{name}` could not be kept: {error}")),
        },
        None => set_error("the search index is not open yet"),
    })
}

/// Writes `{"requests": n, "bytes": n}` to the output: what was fetched beyond the hot
/// cache so far. Returns 0, or 1 when no index is open.
#[no_mangle]
pub extern "C" fn bl_stats() -> i32 {
    ENGINE.with(|engine| match &*engine.borrow() {
        Some(lazy) => {
            let stats = lazy.directory().stats();
            let output = StatsOutput {
                bytes: stats.bytes,
                requests: stats.requests,
            };
            set_json(&output, 0)
        }
        None => set_error("the search index is not open yet"),
    })
}

/// Address of the output of the last call.
#[no_mangle]
pub extern "C" fn bl_output_ptr() -> *const u8 {
    OUTPUT.with(|out| out.borrow().as_ptr())
}

/// Length in bytes of the output of the last call.
#[no_mangle]
pub extern "C" fn bl_output_len() -> usize {
    OUTPUT.with(|out| out.borrow().len())
}
