//! `Archive`: every post-mortem that passed parsing and the cross-file checks, newest first,
//! with the configuration and the build's notion of "now". Rendering and indexing read only this.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::postmortem::PostMortem;

/// The validated archive.
#[derive(Clone, Debug)]
pub struct Archive {
    /// The configuration.
    pub config: Config,
    /// The post-mortems, newest `started` first, ties broken by id. Change the set only
    /// through [`Archive::new`] or [`Archive::retain`], which keep the index by id.
    // why: shared, so that the archive a build publishes (without drafts, or with them) is a
    // list of the same post-mortems, not a copy of every text.
    pub postmortems: Vec<Arc<PostMortem>>,
    /// "Now", fixed by `--now` or `SOURCE_DATE_EPOCH` for reproducible output.
    pub now: DateTime<Utc>,
    /// Position of each id in `postmortems`.
    positions: HashMap<String, usize>,
}

impl Archive {
    /// Builds an archive, sorting the post-mortems newest first.
    pub fn new(config: Config, postmortems: Vec<PostMortem>, now: DateTime<Utc>) -> Archive {
        Archive::of_shared(config, postmortems.into_iter().map(Arc::new).collect(), now)
    }

    /// [`Archive::new`] of post-mortems that may be shared with others.
    pub fn of_shared(
        config: Config,
        mut postmortems: Vec<Arc<PostMortem>>,
        now: DateTime<Utc>,
    ) -> Archive {
        postmortems.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
        let positions = postmortems
            .iter()
            .enumerate()
            .map(|(i, pm)| (pm.id.clone(), i))
            .collect();
        Archive {
            config,
            postmortems,
            now,
            positions,
        }
    }

    /// Keeps only the post-mortems for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&PostMortem) -> bool) {
        let postmortems = std::mem::take(&mut self.postmortems);
        *self = Archive::of_shared(
            self.config.clone(),
            postmortems.into_iter().filter(|pm| keep(pm)).collect(),
            self.now,
        );
    }

    /// The position of a post-mortem in `postmortems`, by id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }

    /// Finds a post-mortem by id.
    pub fn get(&self, id: &str) -> Option<&PostMortem> {
        self.positions.get(id).map(|&i| &*self.postmortems[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_post_mortems_by_id_after_filtering() {
        let config = Config::default();
        let parse = |id: &str, started: &str, status: &str| {
            let text = format!(
                "+++\ntitle = \"{id}\"\nseverity = \"SEV-3\"\nstatus = \"{status}\"\nstarted = {started}\n+++\n"
            );
            crate::testing::parse(id, &text, &config)
        };
        let mut archive = Archive::new(
            config.clone(),
            vec![
                parse("old", "2023-01-01T00:00:00Z", "Closed"),
                parse("draft", "2024-06-01T00:00:00Z", "Draft"),
                parse("new", "2024-01-01T00:00:00Z", "Closed"),
            ],
            Utc::now(),
        );
        assert_eq!(archive.get("new").map(|pm| pm.title.as_str()), Some("new"));
        archive.retain(|pm| pm.status != crate::postmortem::Status::Draft);
        let ids: Vec<_> = archive
            .postmortems
            .iter()
            .map(|pm| pm.id.as_str())
            .collect();
        assert_eq!(ids, ["new", "old"]);
        assert!(archive.get("draft").is_none());
        assert_eq!(archive.get("old").map(|pm| pm.id.as_str()), Some("old"));
    }
}
