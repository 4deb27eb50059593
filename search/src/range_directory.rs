//! [`RangeDirectory`]: a read-only tantivy directory that reads index files by byte
//! ranges through a [`RangeFetcher`], page by page, behind a [`HotCache`].
//!
//! In the browser the fetcher is a synchronous HTTP `Range` request from a Web Worker;
//! the benchmark uses one that reads local files and counts bytes, so the two measure
//! the same thing. Every page is fetched at most once. When the server ignores `Range`
//! and sends a whole file, the whole file is kept and serves every later read.
//!
//! A read of a missing page waits for one request. So that a query waits for few, the
//! directory can instead *discover*: between [`RangeDirectory::begin_discovery`] and
//! [`RangeDirectory::end_discovery`] a read of a missing page fails at once and the page
//! is noted; the caller fetches every noted range together (in parallel, in the browser)
//! and hands the bytes over with [`RangeDirectory::supply`] (see `crate::lazy`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::HasLen;

use crate::hotcache::HotCache;

/// Bytes that a fetcher returned for a range request.
#[derive(Debug)]
pub struct Fetched {
    /// The bytes: the requested range, or the whole file when `whole_file`.
    pub bytes: Vec<u8>,
    /// True when the server ignored the range and sent the whole file.
    pub whole_file: bool,
}

/// Reads byte ranges of index files from wherever they live.
pub trait RangeFetcher: Send + Sync + 'static {
    /// Reads bytes `range` of the index file `name` (a name such as `meta.json`).
    fn fetch(&self, name: &str, range: Range<u64>) -> io::Result<Fetched>;
}

/// What a [`RangeDirectory`] has fetched so far, beyond its hot cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// Number of fetches (HTTP requests in the browser).
    pub requests: u64,
    /// Bytes received.
    pub bytes: u64,
}

/// A read-only directory over a [`RangeFetcher`], with a page cache seeded by a
/// [`HotCache`].
#[derive(Clone)]
pub struct RangeDirectory {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: Box<dyn RangeFetcher>,
    page_size: u64,
    /// File lengths by name, from the hot cache.
    lengths: BTreeMap<String, u64>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Cached pages by (file, page number).
    pages: HashMap<(String, u64), OwnedBytes>,
    /// Whole files, for servers that ignore `Range`.
    whole: HashMap<String, OwnedBytes>,
    stats: FetchStats,
    /// While discovering: the missing pages that reads asked for, by file.
    discovery: Option<BTreeMap<String, BTreeSet<u64>>>,
    /// Reads that failed for a missing page, ever.
    misses: u64,
}

/// A byte range of an index file that a query needs and the cache lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The index file, such as `<segment>.idx`.
    pub name: String,
    /// The bytes, aligned to pages (the last one clipped to the file's end).
    pub range: Range<u64>,
}

/// Missing pages closer than this to the previous ones of the same file are fetched in the
/// same request, gap included.
// why: at 80 Mbit/s, 64 KiB take 6.5 ms, far less than a round trip of 50 ms; and a
// browser sends at most 6 requests to one host at once, so fewer requests keep one wave.
pub const MERGE_GAP: u64 = 64 * 1024;
/// A wave is kept to this many requests when merging the closest gaps can do it...
pub const WAVE_REQUESTS: usize = 6;
/// ...unless that would fetch more than this many unwanted bytes for one gap.
// why: 256 KiB take 26 ms at 80 Mbit/s, about half a round trip of 50 ms, which is what a
// seventh request costs when it waits for one of the first six. With 1 MiB, a later query
// on 10,000 post-mortems moved 1.1 MB on average.
pub const MAX_MERGED_GAP: u64 = 256 * 1024;

impl std::fmt::Debug for RangeDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeDirectory")
            .field("files", &self.inner.lengths.len())
            .finish_non_exhaustive()
    }
}

impl RangeDirectory {
    /// Creates the directory from a decoded hot cache and a fetcher for the rest.
    pub fn new(hot_cache: HotCache, fetcher: impl RangeFetcher) -> RangeDirectory {
        let page_size = u64::from(hot_cache.page_size.max(1));
        let mut lengths = BTreeMap::new();
        let mut state = State::default();
        for (name, file) in hot_cache.files {
            for (offset, bytes) in file.chunks {
                // why: the build aligns chunks to pages; split them so that lookups are by page.
                let mut start = 0usize;
                while start < bytes.len() {
                    let page = (offset + start as u64) / page_size;
                    let page_end = ((page + 1) * page_size - offset) as usize;
                    let end = page_end.min(bytes.len());
                    state
                        .pages
                        .insert((name.clone(), page), bytes.slice(start..end));
                    start = end;
                }
            }
            lengths.insert(name, file.len);
        }
        RangeDirectory {
            inner: Arc::new(Inner {
                fetcher: Box::new(fetcher),
                page_size,
                lengths,
                state: Mutex::new(state),
            }),
        }
    }

    /// What has been fetched so far, beyond the hot cache.
    pub fn stats(&self) -> FetchStats {
        self.inner.lock().stats
    }

    /// How many reads have failed for a missing page while discovering, ever: a computation
    /// during which it did not grow read every byte it asked for.
    pub fn misses(&self) -> u64 {
        self.inner.lock().misses
    }

    /// From now on, a read of a missing page fails at once and the page is noted, until
    /// [`RangeDirectory::end_discovery`].
    pub fn begin_discovery(&self) {
        self.inner.lock().discovery = Some(BTreeMap::new());
    }

    /// Ends discovery and returns what reads missed since it began, as few requests as
    /// [`MERGE_GAP`], [`WAVE_REQUESTS`] and [`MAX_MERGED_GAP`] allow, sorted by file and
    /// offset. Empty when every read found its bytes.
    pub fn end_discovery(&self) -> Vec<Wanted> {
        let noted = self.inner.lock().discovery.take().unwrap_or_default();
        let mut runs: Vec<(String, Range<u64>)> = Vec::new();
        for (name, pages) in noted {
            for page in pages {
                match runs.last_mut() {
                    Some((file, run)) if *file == name && run.end == page => run.end = page + 1,
                    _ => runs.push((name.clone(), page..page + 1)),
                }
            }
        }
        let page_size = self.inner.page_size;
        let runs = runs
            .into_iter()
            .map(|(name, pages)| (name, pages.start * page_size..pages.end * page_size))
            .collect();
        merge_runs(runs, WAVE_REQUESTS)
            .into_iter()
            .map(|(name, range)| {
                let len = self.inner.lengths.get(&name).copied().unwrap_or(range.end);
                Wanted {
                    range: range.start..range.end.min(len),
                    name,
                }
            })
            .collect()
    }

    /// Fetches `wanted` through the fetcher, one request after another, and keeps the bytes.
    pub fn fetch(&self, wanted: &[Wanted]) -> io::Result<()> {
        for w in wanted {
            let fetched = self.inner.fetcher.fetch(&w.name, w.range.clone())?;
            let expected = w.range.end - w.range.start;
            if !fetched.whole_file && fetched.bytes.len() as u64 != expected {
                return Err(length_mismatch(&w.name, expected, fetched.bytes.len()));
            }
            self.supply(&w.name, w.range.start, fetched.bytes, fetched.whole_file)?;
        }
        Ok(())
    }

    /// Keeps bytes fetched for a [`Wanted`] range: `bytes` start at `start` of the file
    /// `name`, or are the whole file when `whole_file`. Pages already cached stay as
    /// they are.
    pub fn supply(
        &self,
        name: &str,
        start: u64,
        bytes: Vec<u8>,
        whole_file: bool,
    ) -> io::Result<()> {
        let len = *self.inner.lengths.get(name).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no index file `{name}`"))
        })?;
        let mut state = self.inner.lock();
        state.stats.requests += 1;
        state.stats.bytes += bytes.len() as u64;
        self.inner
            .keep(&mut state, name, len, start, bytes, whole_file)
    }
}

/// Merges runs of one file closer than [`MERGE_GAP`], then the closest remaining gaps of a
/// file while there are more than `requests` runs and the gap is below [`MAX_MERGED_GAP`].
fn merge_runs(runs: Vec<(String, Range<u64>)>, requests: usize) -> Vec<(String, Range<u64>)> {
    let mut merged: Vec<(String, Range<u64>)> = Vec::new();
    for (name, range) in runs {
        match merged.last_mut() {
            Some((file, last)) if *file == name && range.start <= last.end + MERGE_GAP => {
                last.end = last.end.max(range.end);
            }
            _ => merged.push((name, range)),
        }
    }
    while merged.len() > requests {
        // why: ties go to the first gap, so the result depends on the runs alone.
        let closest = (1..merged.len())
            .filter(|&i| merged[i].0 == merged[i - 1].0)
            .map(|i| (merged[i].1.start - merged[i - 1].1.end, i))
            .min();
        match closest {
            Some((gap, i)) if gap <= MAX_MERGED_GAP => {
                let (_, range) = merged.remove(i);
                merged[i - 1].1.end = range.end;
            }
            _ => break,
        }
    }
    merged
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // why: a panic while holding the lock cannot leave the cache half-written in a way
        // that matters (pages are inserted whole), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read(&self, name: &str, len: u64, range: Range<usize>) -> io::Result<OwnedBytes> {
        let (start, end) = (range.start as u64, range.end as u64);
        if start > end || end > len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("read of bytes {start}..{end} past the end of `{name}` ({len} bytes)"),
            ));
        }
        if start == end {
            return Ok(OwnedBytes::empty());
        }
        let mut state = self.lock();
        if let Some(whole) = state.whole.get(name) {
            return Ok(whole.slice(range));
        }
        let page_size = self.page_size;
        let (first, last) = (start / page_size, (end - 1) / page_size);
        let mut missing: Vec<Range<u64>> = Vec::new();
        for page in first..=last {
            if state.pages.contains_key(&(name.to_string(), page)) {
                continue;
            }
            match missing.last_mut() {
                Some(run) if run.end == page => run.end = page + 1,
                _ => missing.push(page..page + 1),
            }
        }
        if let Some(noted) = state.discovery.as_mut() {
            if !missing.is_empty() {
                noted
                    .entry(name.to_string())
                    .or_default()
                    .extend(missing.iter().flat_map(|run| run.clone()));
                state.misses += 1;
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("bytes {start}..{end} of `{name}` are not fetched yet"),
                ));
            }
        }
        for run in missing {
            let bytes_range = run.start * page_size..(run.end * page_size).min(len);
            let fetched = self.fetcher.fetch(name, bytes_range.clone())?;
            state.stats.requests += 1;
            state.stats.bytes += fetched.bytes.len() as u64;
            let whole_file = fetched.whole_file;
            let expected = bytes_range.end - bytes_range.start;
            if !whole_file && fetched.bytes.len() as u64 != expected {
                return Err(length_mismatch(name, expected, fetched.bytes.len()));
            }
            self.keep(
                &mut state,
                name,
                len,
                bytes_range.start,
                fetched.bytes,
                whole_file,
            )?;
            if whole_file {
                return Ok(state.whole[name].slice(range));
            }
        }
        let page_bytes = |state: &State, page: u64| {
            state
                .pages
                .get(&(name.to_string(), page))
                .cloned()
                .ok_or_else(|| io::Error::other(format!("page {page} of `{name}` went missing")))
        };
        if first == last {
            let page = page_bytes(&state, first)?;
            let offset = (first * page_size) as usize;
            return Ok(page.slice(range.start - offset..range.end - offset));
        }
        let mut out = Vec::with_capacity(range.len());
        for page in first..=last {
            let bytes = page_bytes(&state, page)?;
            let page_start = page * page_size;
            let from = start.saturating_sub(page_start) as usize;
            let to = ((end - page_start) as usize).min(bytes.len());
            out.extend_from_slice(&bytes.as_slice()[from..to]);
        }
        Ok(OwnedBytes::new(out))
    }
}

impl Inner {
    /// Caches fetched bytes: pages of the range starting at `start`, or the whole file.
    fn keep(
        &self,
        state: &mut State,
        name: &str,
        len: u64,
        start: u64,
        bytes: Vec<u8>,
        whole_file: bool,
    ) -> io::Result<()> {
        if whole_file {
            if bytes.len() as u64 != len {
                return Err(length_mismatch(name, len, bytes.len()));
            }
            state.whole.insert(name.to_string(), OwnedBytes::new(bytes));
            state.pages.retain(|(file, _), _| file != name);
            return Ok(());
        }
        let page_size = self.page_size;
        let end = start + bytes.len() as u64;
        // why: `page_size` is at least 1 (see `RangeDirectory::new`), where `%` and
        // `is_multiple_of` agree; `%` keeps the committed wasm module's bytes.
        #[allow(clippy::manual_is_multiple_of)]
        if start % page_size != 0 || end > len || (end % page_size != 0 && end != len) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bytes {start}..{end} of `{name}` are not whole pages"),
            ));
        }
        let bytes = OwnedBytes::new(bytes);
        let first = start / page_size;
        for page in first..end.div_ceil(page_size) {
            let from = ((page - first) * page_size) as usize;
            let to = (from + page_size as usize).min(bytes.len());
            state
                .pages
                .entry((name.to_string(), page))
                .or_insert_with(|| bytes.slice(from..to));
        }
        Ok(())
    }
}

fn length_mismatch(name: &str, expected: u64, got: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("expected {expected} bytes of `{name}`, received {got}"),
    )
}

/// One file of a [`RangeDirectory`].
struct RangeFile {
    dir: Arc<Inner>,
    name: String,
    len: u64,
}

impl std::fmt::Debug for RangeFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RangeFile({}, {} bytes)", self.name, self.len)
    }
}

impl HasLen for RangeFile {
    fn len(&self) -> usize {
        self.len as usize
    }
}

impl FileHandle for RangeFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        self.dir.read(&self.name, self.len, range)
    }
}

fn file_name(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn read_only(path: &Path) -> Arc<io::Error> {
    Arc::new(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("`{}`: the search index is read-only here", path.display()),
    ))
}

impl Directory for RangeDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let name = file_name(path);
        let len = *self
            .inner
            .lengths
            .get(&name)
            .ok_or_else(|| OpenReadError::FileDoesNotExist(path.to_path_buf()))?;
        Ok(Arc::new(RangeFile {
            dir: Arc::clone(&self.inner),
            name,
            len,
        }))
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: read_only(path),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        Ok(self.inner.lengths.contains_key(&file_name(path)))
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: read_only(path),
            filepath: PathBuf::from(path),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let handle = self.get_file_handle(path)?;
        let bytes = handle
            .read_bytes(0..handle.len())
            .map_err(|e| OpenReadError::wrap_io_error(e, path.to_path_buf()))?;
        Ok(bytes.as_slice().to_vec())
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("`{}`: the search index is read-only here", path.display()),
        ))
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        // why: nothing writes a read-only index, so readers need no lock file.
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, _watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        Ok(WatchHandle::empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hotcache::HotFile;

    /// Serves one in-memory file, optionally ignoring ranges, and logs requests.
    struct MemFetcher {
        data: Vec<u8>,
        ignore_range: bool,
        log: Arc<Mutex<Vec<Range<u64>>>>,
    }

    impl RangeFetcher for MemFetcher {
        fn fetch(&self, _name: &str, range: Range<u64>) -> io::Result<Fetched> {
            self.log.lock().unwrap().push(range.clone());
            if self.ignore_range {
                return Ok(Fetched {
                    bytes: self.data.clone(),
                    whole_file: true,
                });
            }
            Ok(Fetched {
                bytes: self.data[range.start as usize..range.end as usize].to_vec(),
                whole_file: false,
            })
        }
    }

    type Log = Arc<Mutex<Vec<Range<u64>>>>;

    fn setup(ignore_range: bool) -> (RangeDirectory, Vec<u8>, Log) {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut cache = HotCache {
            page_size: 1024,
            files: BTreeMap::new(),
        };
        cache.files.insert(
            "f".into(),
            HotFile {
                len: data.len() as u64,
                chunks: vec![(1024, OwnedBytes::new(data[1024..3072].to_vec()))],
            },
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let fetcher = MemFetcher {
            data: data.clone(),
            ignore_range,
            log: Arc::clone(&log),
        };
        (RangeDirectory::new(cache, fetcher), data, log)
    }

    #[test]
    fn serves_hot_pages_without_fetching_and_fetches_missing_runs_once() {
        let (dir, data, log) = setup(false);
        let file = dir.get_file_handle(Path::new("f")).unwrap();
        assert_eq!(
            file.read_bytes(1100..3000).unwrap().as_slice(),
            &data[1100..3000]
        );
        assert!(log.lock().unwrap().is_empty());
        assert_eq!(
            file.read_bytes(500..5000).unwrap().as_slice(),
            &data[500..5000]
        );
        assert_eq!(*log.lock().unwrap(), [0..1024, 3072..5120]);
        assert_eq!(
            file.read_bytes(9000..10_000).unwrap().as_slice(),
            &data[9000..]
        );
        assert_eq!(file.read_bytes(0..10).unwrap().as_slice(), &data[..10]);
        assert_eq!(log.lock().unwrap().len(), 3);
        assert_eq!(dir.stats().bytes, 1024 + 2048 + (10_000 - 8192));
    }

    #[test]
    fn keeps_the_whole_file_when_the_server_ignores_ranges() {
        let (dir, data, log) = setup(true);
        let file = dir.get_file_handle(Path::new("f")).unwrap();
        assert_eq!(
            file.read_bytes(5000..6000).unwrap().as_slice(),
            &data[5000..6000]
        );
        assert_eq!(file.read_bytes(0..10).unwrap().as_slice(), &data[..10]);
        assert_eq!(log.lock().unwrap().len(), 1);
    }

    #[test]
    fn rejects_reads_past_the_end_and_unknown_files() {
        let (dir, _, _) = setup(false);
        let file = dir.get_file_handle(Path::new("f")).unwrap();
        assert!(file.read_bytes(9_999..10_001).is_err());
        assert!(dir.get_file_handle(Path::new("nope")).is_err());
        assert!(!dir.exists(Path::new("nope")).unwrap());
    }

    #[test]
    fn discovery_notes_every_missing_page_and_supply_fills_them() {
        let (dir, data, log) = setup(false);
        let file = dir.get_file_handle(Path::new("f")).unwrap();
        dir.begin_discovery();
        assert!(file.read_bytes(100..200).is_err());
        assert!(file.read_bytes(9_000..9_100).is_err());
        assert!(file.read_bytes(1100..3000).is_ok(), "hot pages still read");
        let wanted = dir.end_discovery();
        assert!(log.lock().unwrap().is_empty(), "discovery fetches nothing");
        // why: pages 0 and 8 are 7 KiB apart, less than MERGE_GAP: one request.
        assert_eq!(
            wanted,
            [Wanted {
                name: "f".into(),
                range: 0..9216
            }]
        );
        dir.supply("f", 0, data[..9216].to_vec(), false).unwrap();
        assert_eq!(
            file.read_bytes(9_000..9_100).unwrap().as_slice(),
            &data[9_000..9_100]
        );
        assert!(log.lock().unwrap().is_empty());
        assert!(
            dir.supply("f", 100, vec![0; 10], false).is_err(),
            "not a page"
        );
        assert!(dir.end_discovery().is_empty());
    }

    #[test]
    fn merges_the_closest_gaps_until_a_wave_fits_the_browser() {
        let far = MERGE_GAP + 1;
        let runs: Vec<(String, Range<u64>)> = (0..8)
            .map(|i| ("a".to_string(), i * (far + 10)..i * (far + 10) + 10))
            .chain([("b".to_string(), 0..10)])
            .collect();
        let merged = merge_runs(runs.clone(), 100);
        assert_eq!(merged.len(), 9, "gaps above MERGE_GAP stay apart");
        let merged = merge_runs(runs, WAVE_REQUESTS);
        assert_eq!(merged.len(), WAVE_REQUESTS);
        assert_eq!(merged.last().unwrap(), &("b".to_string(), 0..10));
        let huge = vec![
            ("a".to_string(), 0..10),
            ("a".to_string(), MAX_MERGED_GAP + 20..MAX_MERGED_GAP + 30),
        ];
        assert_eq!(merge_runs(huge.clone(), 1), huge, "too far to merge");
    }
}
