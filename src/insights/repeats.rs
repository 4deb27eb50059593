//! Repeat incidents: an incident that an earlier post-mortem's follow-up could have prevented.
//!
//! The later incident L repeats the earlier incident E when all of these hold:
//! - neither is a Draft, and E was resolved (or, unresolved, started) before L started;
//! - they share a cause, or their text is similar: the cosine of their TF-IDF vectors is at
//!   least `[insights] repeat_similarity`;
//! - an action of E of kind `prevent` or `detect` for the service L is about was still open on
//!   the day L started: its status is `open`, or it is done (or won't-fix) with a `done` date
//!   after that day. A closed action without `done` counts as closed since forever, so it never
//!   makes a repeat.
//!
//! Of the earlier incidents that qualify, only the newest counts: it is the one to learn from,
//! and it may repeat an older one in turn.
//!
//! A post-mortem is about its first service; the others felt the impact. An action is for its
//! own `service`, else for its post-mortem's first service. Most incidents list the front door
//! (`checkout-api`) among their services: matching any shared service made a Kubernetes
//! upgrade "repeat" a database incident.
//!
//! Limits: an action's creation is taken as E's resolution; a post-mortem that lists the
//! service it is about second, or an action without `service` that fixes another service, is
//! matched against the wrong one; and text similarity is only as good as the words the two
//! post-mortems share.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use rayon::prelude::*;
use serde::Serialize;

use super::day_of;
use crate::archive::Archive;
use crate::postmortem::{Action, ActionKind, ActionStatus, PostMortem, Status};

/// One action of the earlier incident that was open when the later one started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpenAction {
    /// Its position in the earlier post-mortem's `actions`.
    pub index: usize,
    /// Its ticket, else its title.
    pub name: String,
    /// prevent or detect.
    pub kind: ActionKind,
}

/// A later incident that repeats an earlier one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Repeat {
    /// The later incident's position in the archive.
    pub later: usize,
    /// The earlier incident's position in the archive.
    pub earlier: usize,
    /// The earlier incident's id.
    pub earlier_id: String,
    /// The later incident's id.
    pub later_id: String,
    /// The earlier incident's actions that were open when the later one started.
    pub actions: Vec<OpenAction>,
    /// Days from the earlier incident's resolution to the later one's start.
    pub open_days: i64,
    /// The service the later incident is about, that the open actions are for.
    pub service: String,
    /// The causes they share.
    pub causes: Vec<String>,
    /// Whether their text is similar.
    pub similar_text: bool,
}

impl Repeat {
    /// The open actions and for how long: "OPS-123, open for 94 days", "OPS-1 and OPS-2, open
    /// for 3 days".
    pub fn describe_actions(&self) -> String {
        let names: Vec<&str> = self.actions.iter().map(|a| a.name.as_str()).collect();
        let names = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.concat(),
        };
        format!("{names}, open for {}", crate::rules::days(self.open_days))
    }

    /// Why the two match: "same service `checkout`", "same cause `deploy`", "similar text".
    pub fn reasons(&self) -> Vec<String> {
        std::iter::once(format!("same service `{}`", self.service))
            .chain(self.causes.iter().map(|c| format!("same cause `{c}`")))
            .chain(self.similar_text.then(|| "similar text".to_string()))
            .collect()
    }
}

/// When an earlier incident's actions came to be: its resolution, else its start.
fn written(pm: &PostMortem) -> DateTime<FixedOffset> {
    pm.resolved.unwrap_or(pm.started)
}

/// The kind of an action that could make a repeat at some point: prevent or detect, and
/// open or closed on a known day.
fn repeat_kind(action: &Action) -> Option<ActionKind> {
    action
        .kind
        .filter(|k| matches!(k, ActionKind::Prevent | ActionKind::Detect))
        .filter(|_| action.status == ActionStatus::Open || action.done.is_some())
}

/// Every repeat in `archive`, at most one for each later incident (the newest earlier one that
/// qualifies), sorted by the later incident's position. `similarity` is the text similarity of
/// two positions, in `[0, 1]`.
pub fn find(archive: &Archive, similarity: impl Fn(usize, usize) -> f32 + Sync) -> Vec<Repeat> {
    let threshold = archive.config.insights.repeat_similarity;
    let pms = &archive.postmortems;
    // why: only the services that a possible repeat's action is for lead to candidates; each
    // list is in archive order (newest first), as the positions are pushed.
    let mut by_service: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, pm) in pms.iter().enumerate() {
        if pm.status == Status::Draft {
            continue;
        }
        for action in pm.actions.iter().filter(|a| repeat_kind(a).is_some()) {
            if let Some(service) = action.service(pm) {
                let members = by_service.entry(service).or_default();
                if members.last() != Some(&i) {
                    members.push(i);
                }
            }
        }
    }
    let found: Vec<Option<Repeat>> = (0..pms.len())
        .into_par_iter()
        .map(|later| {
            let pm = &pms[later];
            if pm.status == Status::Draft {
                return None;
            }
            let about = pm.services.first()?;
            let day = day_of(pm);
            // why: the newest earlier incident that qualifies is the one to learn from; it
            // may repeat an older one in turn. Taking every one would make the repeats of an
            // action left open for years grow with the square of the archive.
            by_service
                .get(about.as_str())?
                .iter()
                .copied()
                .filter(|&e| e != later && written(&pms[e]) < pm.started)
                .find_map(|earlier| {
                    let e = &pms[earlier];
                    let open = |a: &Action| {
                        a.open_on(day)
                            && a.service(e) == Some(about.as_str())
                            && repeat_kind(a).is_some()
                    };
                    if !e.actions.iter().any(open) {
                        return None;
                    }
                    let causes: Vec<String> = super::dedup(&pm.causes)
                        .into_iter()
                        .filter(|c| e.causes.iter().any(|x| x == c))
                        .map(str::to_string)
                        .collect();
                    let similar_text = similarity(later, earlier) >= threshold;
                    if causes.is_empty() && !similar_text {
                        return None;
                    }
                    let actions: Vec<OpenAction> = e
                        .actions
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| open(a))
                        .filter_map(|(index, a)| {
                            Some(OpenAction {
                                index,
                                name: a.ticket.clone().unwrap_or_else(|| a.title.clone()),
                                kind: repeat_kind(a)?,
                            })
                        })
                        .collect();
                    Some(Repeat {
                        later,
                        earlier,
                        earlier_id: e.id.clone(),
                        later_id: pm.id.clone(),
                        actions,
                        open_days: (day - crate::calendar::local_date(&written(e), e.timezone))
                            .num_days(),
                        service: about.clone(),
                        causes,
                        similar_text,
                    })
                })
        })
        .collect();
    found.into_iter().flatten().collect()
}
