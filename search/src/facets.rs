//! A collector that counts the values of the keyword fields over the matching documents.
//!
//! It reads the FAST string columns (term ordinals per document) and turns ordinals into
//! values once per segment, so its cost is one column scan per field, not one stored
//! document per hit.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentReader};

use crate::response::{FacetCount, Facets};
use crate::schema::FACET_FIELDS;

/// The most values listed per field: tags and services can be many.
const MAX_VALUES_PER_FIELD: usize = 50;

/// Counts per field, keyed by the lowercase value, with the first spelling seen.
type Counts = Vec<BTreeMap<String, (String, u64)>>;

/// Counts [`FACET_FIELDS`] over the documents it sees.
pub(crate) struct FacetCounter;

pub(crate) struct FacetSegmentCounter {
    columns: Vec<Option<StrColumn>>,
    ord_counts: Vec<Vec<u64>>,
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
        for name in FACET_FIELDS {
            let column = segment.fast_fields().str(name)?;
            ord_counts.push(vec![0; column.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(column);
        }
        Ok(FacetSegmentCounter {
            columns,
            ord_counts,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segment_fruits: Vec<Counts>) -> tantivy::Result<Facets> {
        let mut merged: Counts = vec![BTreeMap::new(); FACET_FIELDS.len()];
        for fruit in segment_fruits {
            for (into, from) in merged.iter_mut().zip(fruit) {
                for (key, (value, count)) in from {
                    let entry = into.entry(key).or_insert((value, 0));
                    entry.1 += count;
                }
            }
        }
        let mut facets = Facets::default();
        for (name, counts) in FACET_FIELDS.iter().zip(merged) {
            let mut list: Vec<FacetCount> = counts
                .into_values()
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
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
        for (column, counts) in self.columns.iter().zip(self.ord_counts.iter_mut()) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    if let Some(slot) = counts.get_mut(ord as usize) {
                        *slot += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Counts {
        let mut out: Counts = Vec::with_capacity(self.columns.len());
        for (column, counts) in self.columns.iter().zip(self.ord_counts) {
            let mut by_key: BTreeMap<String, (String, u64)> = BTreeMap::new();
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
                    let entry = by_key
                        .entry(value.to_lowercase())
                        .or_insert_with(|| (value.clone(), 0));
                    entry.1 += count;
                }
            }
            out.push(by_key);
        }
        out
    }
}
