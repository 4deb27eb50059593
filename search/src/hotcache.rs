//! [`HotCache`]: the bytes that opening the index and a first query always read, in one
//! file, so that the browser fetches them with one request instead of dozens.
//!
//! The build records which byte ranges a fresh reader touches (see `build_index`),
//! rounds them out to pages, and writes them with the length of every index file (a
//! [`Directory`](tantivy::Directory) must know file lengths before reading any).
//!
//! Layout, little-endian:
//!
//! ```text
//! magic "BLMSHC01" | page_size u32 | file_count u32
//! per file:  name_len u32 | name (UTF-8) | file_len u64 | chunk_count u32
//!            per chunk: offset u64 | len u32
//! then the bytes of every chunk, in the order listed
//! ```

use std::collections::BTreeMap;
use std::io;
use std::ops::Range;

use tantivy::directory::OwnedBytes;

const MAGIC: &[u8; 8] = b"BLMSHC01";

/// File name of the hot cache, beside the index files.
pub const HOTCACHE_FILE: &str = "hotcache.bin";

/// Default page size of range reads. Measured (`examples/search_bench.rs`, 10,000
/// documents): 4 KiB pages need about as many requests per query as 16 KiB pages (a query
/// reads scattered term blocks, postings and documents, each its own request) but move
/// 40% fewer bytes; term dictionary blocks are about 4 KiB.
pub const DEFAULT_PAGE_SIZE: u32 = 4 * 1024;

/// One index file as the hot cache knows it.
#[derive(Clone, Debug, Default)]
pub struct HotFile {
    /// Length of the whole file in bytes.
    pub len: u64,
    /// Cached chunks: offset in the file and bytes, sorted, not overlapping.
    pub chunks: Vec<(u64, OwnedBytes)>,
}

/// File lengths plus the prefetched chunks of the index files.
#[derive(Clone, Debug, Default)]
pub struct HotCache {
    /// The page size the chunks are aligned to; range reads must use the same one.
    pub page_size: u32,
    /// Every file of the index, by name.
    pub files: BTreeMap<String, HotFile>,
}

impl HotCache {
    /// Reads a hot cache; the chunks share `bytes` instead of copying it.
    pub fn decode(bytes: OwnedBytes) -> io::Result<HotCache> {
        let mut cursor = Cursor {
            bytes: bytes.as_slice(),
            pos: 0,
        };
        if cursor.take(8)? != MAGIC {
            return Err(invalid("not a blameless hot cache (bad magic)"));
        }
        let page_size = cursor.u32()?;
        if page_size == 0 {
            return Err(invalid("hot cache page size is 0"));
        }
        let file_count = cursor.u32()?;
        let mut listing = Vec::new();
        for _ in 0..file_count {
            let name_len = cursor.u32()? as usize;
            let name = std::str::from_utf8(cursor.take(name_len)?)
                .map_err(|_| invalid("hot cache file name is not UTF-8"))?
                .to_string();
            let len = cursor.u64()?;
            let chunk_count = cursor.u32()?;
            let mut chunks = Vec::new();
            for _ in 0..chunk_count {
                let offset = cursor.u64()?;
                let chunk_len = cursor.u32()?;
                if offset.saturating_add(u64::from(chunk_len)) > len {
                    return Err(invalid("hot cache chunk lies outside its file"));
                }
                chunks.push((offset, chunk_len as usize));
            }
            listing.push((name, len, chunks));
        }
        let mut data_pos = cursor.pos;
        let mut files = BTreeMap::new();
        for (name, len, chunks) in listing {
            let mut file = HotFile {
                len,
                chunks: Vec::with_capacity(chunks.len()),
            };
            for (offset, chunk_len) in chunks {
                let end = data_pos
                    .checked_add(chunk_len)
                    .filter(|&end| end <= bytes.len())
                    .ok_or_else(|| invalid("hot cache is truncated"))?;
                file.chunks.push((offset, bytes.slice(data_pos..end)));
                data_pos = end;
            }
            files.insert(name, file);
        }
        Ok(HotCache { page_size, files })
    }

    /// Writes the hot cache in the layout above.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.page_size.to_le_bytes());
        out.extend_from_slice(&(self.files.len() as u32).to_le_bytes());
        for (name, file) in &self.files {
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&file.len.to_le_bytes());
            out.extend_from_slice(&(file.chunks.len() as u32).to_le_bytes());
            for (offset, bytes) in &file.chunks {
                out.extend_from_slice(&offset.to_le_bytes());
                out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            }
        }
        for file in self.files.values() {
            for (_, bytes) in &file.chunks {
                out.extend_from_slice(bytes.as_slice());
            }
        }
        out
    }

    /// Total bytes of cached chunks.
    pub fn cached_bytes(&self) -> u64 {
        self.files
            .values()
            .flat_map(|f| f.chunks.iter())
            .map(|(_, b)| b.len() as u64)
            .sum()
    }
}

/// Rounds byte ranges out to whole pages (clipped to the file length), sorted and merged.
pub fn page_runs(ranges: &[Range<u64>], page_size: u64, file_len: u64) -> Vec<Range<u64>> {
    let mut pages: Vec<Range<u64>> = ranges
        .iter()
        .filter(|r| r.start < r.end)
        .map(|r| {
            let start = r.start / page_size * page_size;
            let end = r
                .end
                .div_ceil(page_size)
                .saturating_mul(page_size)
                .min(file_len);
            start..end
        })
        .collect();
    pages.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for run in pages {
        match merged.last_mut() {
            Some(last) if run.start <= last.end => last.end = last.end.max(run.end),
            _ => merged.push(run),
        }
    }
    merged
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| invalid("hot cache is truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u32(&mut self) -> io::Result<u32> {
        let mut buf = [0; 4];
        buf.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(buf))
    }

    fn u64(&mut self) -> io::Result<u64> {
        let mut buf = [0; 8];
        buf.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_ranges_out_to_merged_pages() {
        let runs = page_runs(
            &[10..20, 4000..4100, 100..200, 12_300..12_301],
            4096,
            13_000,
        );
        assert_eq!(runs, [0..8192, 12_288..13_000]);
    }

    #[test]
    fn round_trips_and_rejects_truncation() {
        let mut cache = HotCache {
            page_size: 4096,
            files: BTreeMap::new(),
        };
        cache.files.insert(
            "a.idx".into(),
            HotFile {
                len: 5000,
                chunks: vec![(4096, OwnedBytes::new(vec![7u8; 904]))],
            },
        );
        let bytes = cache.encode();
        let decoded = HotCache::decode(OwnedBytes::new(bytes.clone())).unwrap();
        assert_eq!(decoded.page_size, 4096);
        assert_eq!(decoded.files["a.idx"].len, 5000);
        assert_eq!(
            decoded.files["a.idx"].chunks[0].1.as_slice(),
            &[7u8; 904][..]
        );
        let truncated = OwnedBytes::new(bytes[..bytes.len() - 1].to_vec());
        assert!(HotCache::decode(truncated).is_err());
        assert!(HotCache::decode(OwnedBytes::new(b"garbage".to_vec())).is_err());
    }
}
