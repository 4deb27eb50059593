//! [`LazyEngine`]: the engine over a [`RangeDirectory`], answering a query in rounds of
//! parallel range requests instead of one request after another.
//!
//! A round runs the query over what is cached, with the directory discovering: every read
//! of a missing page fails at once and is noted, and [`Engine::warm`] makes sure that
//! reads which do not depend on each other all happen. If nothing was missing, the answer
//! is the engine's own, read from the same bytes as on the file system; otherwise the
//! caller fetches what was noted, all at once, and runs the next round. A query's reads
//! come in layers, each known once the one before is cached:
//!
//! ```text
//! round 1: dictionary entries of every term  (the dictionaries' indexes are in the hot cache)
//! round 2: postings and positions of those terms
//! round 3: document store blocks of the hits
//! round 4: nothing missing: the answer
//! ```
//!
//! so a query waits for three round trips, where reading page by page waited for one per
//! missing run (14 to 26 on 10,000 post-mortems). A scoring pass of a round in which no read
//! had missed yet (round 3, usually) is kept for the later rounds of the same request, so
//! that the last round reads the documents without scoring the whole archive again.

use std::io;
use std::sync::Mutex;

use crate::engine::{Engine, Pass, Scored, Scores};
use crate::hotcache::HotCache;
use crate::range_directory::{RangeDirectory, RangeFetcher, Wanted};
use crate::request::SearchRequest;
use crate::response::SearchResponse;

/// Rounds after which [`LazyEngine::search`] stops discovering and reads the rest one
/// request at a time: a query whose reads depend on each other more deeply (a typo retry
/// over a whole dictionary) still gets its answer.
pub const MAX_ROUNDS: usize = 6;

/// What one round of a query came to.
// why: a round's answer is matched as soon as it is made, once per round; boxing the
// response would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Round {
    /// These ranges are needed; fetch them, [`RangeDirectory::supply`] them, run again.
    Need(Vec<Wanted>),
    /// Everything was cached: the answer.
    Done(SearchResponse),
}

/// The engine over an index read by ranges: what the browser runs.
#[derive(Debug)]
pub struct LazyEngine {
    engine: Engine,
    directory: RangeDirectory,
    scores: Remembered,
}

/// The scoring passes of the request being answered that ran in a round in which no read had
/// missed yet: exact, so the later rounds, which usually lack only the hits' documents, do
/// not score the whole query again.
#[derive(Debug, Default)]
struct Remembered {
    kept: Mutex<Kept>,
}

/// The request whose passes are kept, and the passes.
#[derive(Debug, Default)]
struct Kept {
    request: Option<SearchRequest>,
    passes: Vec<(Pass, Scored)>,
}

/// [`Remembered`] for one round, over the directory that counts the reads it missed.
struct RoundScores<'a> {
    remembered: &'a Remembered,
    directory: &'a RangeDirectory,
    /// The directory's misses when the round began.
    misses: u64,
}

impl Scores for RoundScores<'_> {
    fn get_or_score(
        &self,
        pass: Pass,
        score: &mut dyn FnMut() -> tantivy::Result<Scored>,
    ) -> tantivy::Result<Scored> {
        let kept = self
            .remembered
            .lock()
            .passes
            .iter()
            .find(|(p, _)| *p == pass)
            .map(|(_, s)| s.clone());
        if let Some(scored) = kept {
            return Ok(scored);
        }
        let scored = score()?;
        // why: a round that missed a read before the end of a pass may have scored without
        // some bytes, or built the query itself (its near spellings, its completions) from
        // less than the whole dictionary; only a pass of a round that missed nothing so far
        // is the answer's.
        if self.directory.misses() == self.misses {
            self.remembered.lock().passes.push((pass, scored.clone()));
        }
        Ok(scored)
    }
}

impl Remembered {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // why: the passes are pushed whole, so a poisoned lock holds nothing half-written.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets the passes of any other request than `req`.
    fn keep_only(&self, req: &SearchRequest) {
        let mut kept = self.lock();
        if kept.request.as_ref() != Some(req) {
            *kept = Kept {
                request: Some(req.clone()),
                passes: Vec::new(),
            };
        }
    }
}

/// How [`LazyEngine::search`] got its answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rounds {
    /// Rounds that fetched something: the round trips the query waited for.
    pub fetched: usize,
    /// Requests made one at a time after [`MAX_ROUNDS`] (0 unless the query is deep).
    pub sequential: u64,
}

impl LazyEngine {
    /// Opens the index behind `hot_cache`; `fetcher` reads the rest.
    pub fn open(hot_cache: HotCache, fetcher: impl RangeFetcher) -> tantivy::Result<LazyEngine> {
        let (engine, directory) = crate::open_lazy(hot_cache, fetcher)?;
        Ok(LazyEngine {
            engine,
            directory,
            scores: Remembered::default(),
        })
    }

    /// The engine, which reads missing pages one request at a time.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The directory, to supply fetched ranges and read its statistics.
    pub fn directory(&self) -> &RangeDirectory {
        &self.directory
    }

    /// Runs one round of `req`.
    pub fn round(&self, req: &SearchRequest) -> Round {
        self.scores.keep_only(req);
        self.directory.begin_discovery();
        let scores = RoundScores {
            remembered: &self.scores,
            directory: &self.directory,
            misses: self.directory.misses(),
        };
        self.engine.warm(req);
        let response = self.engine.search_with(req, &scores);
        let wanted = self.directory.end_discovery();
        if wanted.is_empty() {
            Round::Done(response)
        } else {
            Round::Need(wanted)
        }
    }

    /// Answers `req` in rounds, each fetching its ranges through the directory's fetcher
    /// (one after another here; the browser's worker sends them in parallel).
    pub fn search(&self, req: &SearchRequest) -> io::Result<(SearchResponse, Rounds)> {
        let mut rounds = Rounds::default();
        while rounds.fetched < MAX_ROUNDS {
            match self.round(req) {
                Round::Done(response) => return Ok((response, rounds)),
                Round::Need(wanted) => {
                    self.directory.fetch(&wanted)?;
                    rounds.fetched += 1;
                }
            }
        }
        let before = self.directory.stats().requests;
        let response = self.engine.search(req);
        rounds.sequential = self.directory.stats().requests - before;
        Ok((response, rounds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileFetcher, SearchDoc, HOTCACHE_FILE};
    use tantivy::directory::OwnedBytes;

    /// Words of the generated documents: common ones, and a tail of made-up rarer ones.
    const COMMON: &[&str] = &[
        "replica",
        "primary",
        "connection",
        "pool",
        "exhausted",
        "timeout",
        "retry",
        "deploy",
        "canary",
        "alert",
        "latency",
        "error",
        "customers",
        "checkout",
        "orders",
        "queue",
        "consumer",
        "lag",
        "broker",
        "partition",
        "disk",
        "certificate",
        "expired",
        "config",
        "cache",
        "memory",
        "node",
        "capacity",
        "runbook",
        "rollback",
        "upstream",
        "replication",
        "failover",
        "health",
        "the",
        "and",
        "then",
        "after",
    ];
    const SYLLABLES: &[&str] = &["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo"];

    /// An archive large enough that a query's terms, postings and documents lie far apart
    /// in files much larger than the hot cache.
    fn archive(n: u64) -> Vec<SearchDoc> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        (0..n)
            .map(|i| {
                let word = |next: &mut dyn FnMut(u64) -> u64| {
                    if next(5) == 0 {
                        let mut k = next(20_000) + 512;
                        let mut made_up = String::new();
                        while k > 0 {
                            made_up.push_str(SYLLABLES[(k % 8) as usize]);
                            k /= 8;
                        }
                        made_up
                    } else {
                        COMMON[next(COMMON.len() as u64) as usize].to_string()
                    }
                };
                let title: Vec<String> = (0..6).map(|_| word(&mut next)).collect();
                let body: Vec<String> = (0..200).map(|_| word(&mut next)).collect();
                SearchDoc {
                    id: format!("pm-{i:05}"),
                    title: title.join(" "),
                    body: body.join(" "),
                    severity: format!("SEV-{}", 1 + next(4)),
                    status: "Closed".into(),
                    services: vec![["checkout-api", "payments-db", "dns", "kafka"]
                        [next(4) as usize]
                        .into()],
                    tags: vec![["postgres", "latency", "deploy"][next(3) as usize].into()],
                    started: 1_500_000_000 + i as i64 * 3_600,
                    ..SearchDoc::default()
                }
            })
            .collect()
    }

    fn q(text: &str) -> SearchRequest {
        SearchRequest {
            q: text.to_string(),
            limit: 10,
            ..SearchRequest::default()
        }
    }

    /// A fetcher for an index that is not there: only the hot cache answers.
    struct Offline;

    impl RangeFetcher for Offline {
        fn fetch(&self, name: &str, _: std::ops::Range<u64>) -> io::Result<crate::Fetched> {
            Err(io::Error::other(format!("offline: {name}")))
        }
    }

    // why: opening a field's inverted index reads the head of its postings; when that is not
    // in the hot cache, a query on the field (`service:checkout-api`) spent a round to learn
    // it before the round that read its postings: four rounds on 10,000 post-mortems.
    #[test]
    fn the_hot_cache_opens_every_indexed_field() {
        let dir = tempfile::tempdir().unwrap();
        let vocabulary = crate::vocabulary::tests::vocabulary();
        crate::build_index(dir.path(), archive(3_000), &vocabulary).unwrap();
        let hot = std::fs::read(dir.path().join(HOTCACHE_FILE)).unwrap();
        let hot = HotCache::decode(OwnedBytes::new(hot)).unwrap();
        let lazy = LazyEngine::open(hot, Offline).unwrap();
        let searcher = lazy.engine().searcher();
        let schema = searcher.schema().clone();
        for segment in searcher.segment_readers() {
            for (field, entry) in schema.fields() {
                if entry.is_indexed() {
                    assert!(
                        segment.inverted_index(field).is_ok(),
                        "the field `{}` is not opened from the hot cache",
                        entry.name()
                    );
                }
            }
        }
    }

    #[test]
    fn a_later_query_waits_for_two_rounds_and_answers_like_the_file_system() {
        let (dir, lazy) = lazy_over(archive(3_000));
        let native = Engine::open_dir(dir.path()).unwrap();
        let mut deepest = 0;
        for (i, text) in [
            "failover",
            "replication lag",
            "\"connection pool\"",
            "service:checkout-api",
            "certficate expird",
            "checkout-api timeout",
            "kalomi",
            "rollb",
            "disk -cache",
        ]
        .into_iter()
        .enumerate()
        {
            let req = SearchRequest {
                severity: if i == 3 {
                    vec!["SEV-2".into()]
                } else {
                    Vec::new()
                },
                ..q(text)
            };
            let (response, rounds) = lazy.search(&req).unwrap();
            assert_eq!(response, native.search(&req), "{text:?}");
            assert!(response.total > 0, "{text:?} finds nothing");
            assert_eq!(rounds.sequential, 0, "{text:?}");
            // why: the first query may also fetch what every query shares. The others find
            // their words in the hot cache's dictionaries, read their postings in one round
            // and the hits' documents in another.
            if i > 0 {
                assert!(rounds.fetched <= 2, "{text:?}: {rounds:?}");
            }
            deepest = deepest.max(rounds.fetched);
        }
        // why: the archive must be large enough that queries read beyond the hot cache in
        // layers, or the bound above would hold trivially.
        assert_eq!(deepest, 2);
    }

    #[test]
    fn the_one_request_at_a_time_reading_still_answers_after_the_last_round() {
        let (dir, lazy) = lazy_over(archive(300));
        let native = Engine::open_dir(dir.path()).unwrap();
        let req = q("replication lag");
        assert_eq!(lazy.engine().search(&req), native.search(&req));
        assert!(matches!(lazy.round(&req), Round::Done(_)));
    }

    /// An index of `docs` in a new directory, and the engine that reads it by ranges.
    fn lazy_over(docs: Vec<SearchDoc>) -> (tempfile::TempDir, LazyEngine) {
        let dir = tempfile::tempdir().unwrap();
        let vocabulary = crate::vocabulary::tests::vocabulary();
        crate::build_index(dir.path(), docs, &vocabulary).unwrap();
        let hot = std::fs::read(dir.path().join(HOTCACHE_FILE)).unwrap();
        let hot = HotCache::decode(OwnedBytes::new(hot)).unwrap();
        let lazy = LazyEngine::open(hot, FileFetcher::new(dir.path())).unwrap();
        (dir, lazy)
    }

    /// The scoring passes kept for the request, by name.
    fn kept(lazy: &LazyEngine) -> Vec<Pass> {
        lazy.scores
            .lock()
            .passes
            .iter()
            .map(|(pass, _)| *pass)
            .collect()
    }

    #[test]
    fn the_last_round_reads_the_documents_of_the_scoring_that_missed_nothing() {
        let (dir, lazy) = lazy_over(archive(3_000));
        let native = Engine::open_dir(dir.path()).unwrap();
        let req = q("replication lag");
        let mut kept_by_round = Vec::new();
        let response = loop {
            match lazy.round(&req) {
                Round::Done(response) => break response,
                Round::Need(wanted) => {
                    kept_by_round.push(kept(&lazy));
                    lazy.directory().fetch(&wanted).unwrap();
                }
            }
        };
        assert_eq!(response, native.search(&req));
        // Round 1 lacked postings (the dictionaries are in the hot cache): nothing scored is
        // kept. Round 2 lacked only the hits' documents: its ranked pass and its count of the
        // documents with both words are.
        assert_eq!(kept_by_round, [vec![], vec![Pass::Ranked, Pass::AllWords]]);
        let other = q("failover");
        let _ = lazy.round(&other);
        assert!(
            lazy.scores.lock().request.as_ref() == Some(&other),
            "another request forgets the passes of the last one"
        );
    }

    #[test]
    fn a_pass_is_kept_only_when_its_round_has_missed_nothing_so_far() {
        use tantivy::Directory as _;
        let (dir, lazy) = lazy_over(archive(3_000));
        let store = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .find(|name| name.ends_with(".store"))
            .unwrap();
        let pass = |round: &RoundScores| {
            round
                .get_or_score(Pass::Ranked, &mut || Ok(Scored::default()))
                .unwrap();
        };
        lazy.scores.keep_only(&q("failover"));
        lazy.directory.begin_discovery();
        let round = RoundScores {
            remembered: &lazy.scores,
            directory: &lazy.directory,
            misses: lazy.directory.misses(),
        };
        // A read earlier in the round (building the query, say) misses; the pass itself reads
        // nothing, yet it may have been built from less than it needed.
        let handle = lazy
            .directory
            .get_file_handle(std::path::Path::new(&store))
            .unwrap();
        assert!(handle.read_bytes(0..handle.len()).is_err());
        pass(&round);
        assert_eq!(kept(&lazy), []);
        // The next round, which has missed nothing, keeps it.
        let round = RoundScores {
            misses: lazy.directory.misses(),
            ..round
        };
        pass(&round);
        assert_eq!(kept(&lazy), [Pass::Ranked]);
        let _ = lazy.directory.end_discovery();
    }
}
