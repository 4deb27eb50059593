//! A collector that counts the values of the keyword fields over the matching documents.
//!
//! It reads the FAST string columns (term ordinals per document) and turns ordinals into
//! values once per segment, so its cost is one column scan per field, not one stored
//! document per hit. For the fields of a scale (severity, status) it also reads each
//! document's rank column, so that their values come in the scale's order.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentReader};

use crate::response::{FacetCount, Facets};
use crate::schema::{FACET_FIELDS, RANK_FIELDS};

/// The most values listed per field: tags and services can be many.
const MAX_VALUES_PER_FIELD: usize = 50;

/// Counts per field, keyed by the lowercase value.
type Counts = Vec<BTreeMap<String, Tally>>;

/// The count of one value.
#[derive(Clone, Debug)]
pub(crate) struct Tally {
    /// The first spelling seen.
    value: String,
    count: u64,
    /// The lowest rank of a document with this value, for the fields of a scale.
    rank: Option<u64>,
}

/// The lower of two optional ranks.
fn min_rank(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Counts [`FACET_FIELDS`] over the documents it sees.
pub(crate) struct FacetCounter;

pub(crate) struct FacetSegmentCounter {
    columns: Vec<Option<StrColumn>>,
    ord_counts: Vec<Vec<u64>>,
    /// Per field: the rank column, for the fields of a scale.
    rank_columns: Vec<Option<Column<u64>>>,
    /// Per field and term ordinal: the lowest rank seen.
    ord_ranks: Vec<Vec<Option<u64>>>,
}

impl Collector for FacetCounter {
    type Fruit = Facets;
    type Child = FacetSegmentCounter;

    fn for_segment(
        &self,
        _segment_local_id: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCounter> {
        let mut columns = Vec::with_capacity(FACET_FIELDS.len());
        let mut ord_counts = Vec::with_capacity(FACET_FIELDS.len());
        let mut rank_columns = Vec::with_capacity(FACET_FIELDS.len());
        let mut ord_ranks = Vec::with_capacity(FACET_FIELDS.len());
        for name in FACET_FIELDS {
            let column = segment.fast_fields().str(name)?;
            let terms = column.as_ref().map_or(0, |c| c.num_terms());
            ord_counts.push(vec![0; terms]);
            columns.push(column);
            let rank_column = match RANK_FIELDS.iter().find(|(field, _)| *field == name) {
                Some((_, rank)) => Some(segment.fast_fields().u64(rank)?),
                None => None,
            };
            ord_ranks.push(vec![None; if rank_column.is_some() { terms } else { 0 }]);
            rank_columns.push(rank_column);
        }
        Ok(FacetSegmentCounter {
            columns,
            ord_counts,
            rank_columns,
            ord_ranks,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segment_fruits: Vec<Counts>) -> tantivy::Result<Facets> {
        let mut merged: Counts = vec![BTreeMap::new(); FACET_FIELDS.len()];
        for fruit in segment_fruits {
            for (into, from) in merged.iter_mut().zip(fruit) {
                for (key, tally) in from {
                    let entry = into.entry(key).or_insert(Tally {
                        count: 0,
                        ..tally.clone()
                    });
                    entry.count += tally.count;
                    entry.rank = min_rank(entry.rank, tally.rank);
                }
            }
        }
        let mut facets = Facets::default();
        for (name, counts) in FACET_FIELDS.iter().zip(merged) {
            let mut list: Vec<FacetCount> = counts
                .into_values()
                .map(|tally| FacetCount {
                    value: tally.value,
                    count: tally.count,
                    rank: tally.rank,
                    slug: None,
                })
                .collect();
            // why: a scale reads best in its own order (SEV-1, SEV-2, ...), whatever its
            // names; everything else by count.
            if list.iter().any(|f| f.rank.is_some()) {
                list.sort_by(|a, b| {
                    let rank = |f: &FacetCount| f.rank.unwrap_or(u64::MAX);
                    rank(a).cmp(&rank(b)).then_with(|| a.value.cmp(&b.value))
                });
            } else {
                list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            }
            list.truncate(MAX_VALUES_PER_FIELD);
            if let Some(slot) = facets.get_mut(name) {
                *slot = list;
            }
        }
        Ok(facets)
    }
}

impl SegmentCollector for FacetSegmentCounter {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let fields = self
            .columns
            .iter()
            .zip(self.ord_counts.iter_mut())
            .zip(self.rank_columns.iter().zip(self.ord_ranks.iter_mut()));
        for ((column, counts), (rank_column, ranks)) in fields {
            let Some(column) = column else { continue };
            let rank = rank_column.as_ref().and_then(|c| c.first(doc));
            for ord in column.term_ords(doc) {
                if let Some(slot) = counts.get_mut(ord as usize) {
                    *slot += 1;
                }
                if let Some(slot) = ranks.get_mut(ord as usize) {
                    *slot = min_rank(*slot, rank);
                }
            }
        }
    }

    fn harvest(self) -> Counts {
        let mut out: Counts = Vec::with_capacity(self.columns.len());
        let fields = self.columns.iter().zip(self.ord_counts).zip(self.ord_ranks);
        for ((column, counts), ranks) in fields {
            let mut by_key: BTreeMap<String, Tally> = BTreeMap::new();
            if let Some(column) = column {
                let mut value = String::new();
                for (ord, count) in counts.into_iter().enumerate() {
                    if count == 0 {
                        continue;
                    }
                    // why: an unreadable dictionary entry drops one value from the counts
                    // instead of failing the whole search.
                    if !matches!(column.ord_to_str(ord as u64, &mut value), Ok(true)) {
                        continue;
                    }
                    let rank = ranks.get(ord).copied().flatten();
                    let entry = by_key.entry(value.to_lowercase()).or_insert_with(|| Tally {
                        value: value.clone(),
                        count: 0,
                        rank,
                    });
                    entry.count += count;
                    entry.rank = min_rank(entry.rank, rank);
                }
            }
            out.push(by_key);
        }
        out
    }
}
