//! Hot spots: a service or a cause with many incidents in a short time, by default 3 or more
//! within 90 days (`[insights] hot_spot_incidents`, `hot_spot_days`).
//!
//! For each service and cause, the incidents are sorted by start; every window of
//! `hot_spot_days` that holds `hot_spot_incidents` or more marks its incidents, and marked
//! incidents whose windows overlap form one hot spot, from its first incident to its last.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{day_of, dedup};
use crate::archive::Archive;

/// What a hot spot is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpotKind {
    /// A service.
    Service,
    /// A cause.
    Cause,
}

impl SpotKind {
    /// `service` or `cause`.
    pub fn name(self) -> &'static str {
        match self {
            SpotKind::Service => "service",
            SpotKind::Cause => "cause",
        }
    }
}

/// A run of incidents of one service or cause, close together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HotSpot {
    /// Service or cause.
    pub kind: SpotKind,
    /// The service or the cause.
    pub name: String,
    /// The first incident's start date.
    pub from: NaiveDate,
    /// The last incident's start date.
    pub to: NaiveDate,
    /// The incidents' ids, oldest first.
    pub incidents: Vec<String>,
    /// Whether the last incident is within `hot_spot_days` of today: it may still be going on.
    pub active: bool,
}

/// Every hot spot among the post-mortems at `scope`: active ones first, then the most recent.
pub fn hot_spots(archive: &Archive, scope: &[usize]) -> Vec<HotSpot> {
    let settings = &archive.config.insights;
    let window = i64::from(settings.hot_spot_days);
    let least = settings.hot_spot_incidents.max(1);
    let today = crate::calendar::local_date(&archive.now, archive.config.timezone);
    let mut groups: BTreeMap<(SpotKind, &str), Vec<(NaiveDate, &str)>> = BTreeMap::new();
    for &i in scope {
        let pm = &archive.postmortems[i];
        let day = day_of(pm);
        for service in dedup(&pm.services) {
            groups
                .entry((SpotKind::Service, service))
                .or_default()
                .push((day, &pm.id));
        }
        for cause in dedup(&pm.causes) {
            groups
                .entry((SpotKind::Cause, cause))
                .or_default()
                .push((day, &pm.id));
        }
    }
    let mut spots = Vec::new();
    for ((kind, name), mut incidents) in groups {
        incidents.sort();
        // why: `marked[i]` is the last index of a qualifying window that holds `i`, so two
        // windows that overlap extend one hot spot instead of starting another.
        let mut end = 0;
        let mut current: Option<(usize, usize)> = None;
        let mut flush = |span: (usize, usize)| {
            let members = &incidents[span.0..=span.1];
            spots.push(HotSpot {
                kind,
                name: name.to_string(),
                from: members[0].0,
                to: members[members.len() - 1].0,
                incidents: members.iter().map(|(_, id)| id.to_string()).collect(),
                active: (today - members[members.len() - 1].0).num_days() <= window,
            });
        };
        for start in 0..incidents.len() {
            end = end.max(start);
            while end + 1 < incidents.len()
                && (incidents[end + 1].0 - incidents[start].0).num_days() <= window
            {
                end += 1;
            }
            if end + 1 - start < least {
                continue;
            }
            current = match current {
                Some((from, to)) if start <= to => Some((from, to.max(end))),
                Some(done) => {
                    flush(done);
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some(done) = current {
            flush(done);
        }
    }
    spots.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then_with(|| b.to.cmp(&a.to))
            .then_with(|| b.incidents.len().cmp(&a.incidents.len()))
            .then_with(|| (a.kind, &a.name).cmp(&(b.kind, &b.name)))
    });
    spots
}
