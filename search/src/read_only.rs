//! A read-only view of an index directory on disk: opens an index without creating lock files
//! (a published or read-only directory stays as the build wrote it) and, for the hot cache,
//! records every byte range a search reads. Shared by the engine and the writer, so that neither
//! depends on the other for it.

use std::collections::BTreeMap;
use std::io;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback,
    WatchHandle, WritePtr,
};
use tantivy::{HasLen, Index};

/// The byte ranges read, by file name.
pub(crate) type ReadLog = Arc<Mutex<BTreeMap<String, Vec<Range<u64>>>>>;

/// Opens an index directory for reading only: no lock files are created, so a published
/// (or read-only) directory stays as the build wrote it.
pub(crate) fn open_read_only(dir: &Path) -> tantivy::Result<Index> {
    let mmap = MmapDirectory::open(dir)?;
    Index::open(ReaderDirectory {
        inner: Box::new(mmap),
        log: None,
    })
}

/// A directory for readers: reads pass through (and are logged when `log` is set), and
/// locks are granted without lock files, since nothing writes.
#[derive(Clone)]
pub(crate) struct ReaderDirectory {
    /// The directory read.
    pub(crate) inner: Box<dyn Directory>,
    /// Where reads are recorded, when they are.
    pub(crate) log: Option<ReadLog>,
}

impl std::fmt::Debug for ReaderDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReaderDirectory")
    }
}

fn record(log: &Option<ReadLog>, name: &str, range: Range<u64>) {
    if let Some(Ok(mut log)) = log.as_ref().map(|l| l.lock()) {
        log.entry(name.to_string()).or_default().push(range);
    }
}

#[derive(Debug)]
struct RecordingFile {
    inner: Arc<dyn FileHandle>,
    name: String,
    log: Option<ReadLog>,
}

impl HasLen for RecordingFile {
    fn len(&self) -> usize {
        self.inner.len()
    }
}

impl FileHandle for RecordingFile {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        record(&self.log, &self.name, range.start as u64..range.end as u64);
        self.inner.read_bytes(range)
    }
}

impl Directory for ReaderDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        let inner = self.inner.get_file_handle(path)?;
        if self.log.is_none() {
            return Ok(inner);
        }
        Ok(Arc::new(RecordingFile {
            inner,
            name: path.to_string_lossy().into_owned(),
            log: self.log.clone(),
        }))
    }
    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }
    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.inner.open_write(path)
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        let data = self.inner.atomic_read(path)?;
        record(&self.log, &path.to_string_lossy(), 0..data.len() as u64);
        Ok(data)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.inner.atomic_write(path, data)
    }
    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }
    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}
