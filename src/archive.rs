//! `Archive`: every post-mortem that passed parsing and the cross-file checks, newest first,
//! with the configuration and the build's notion of "now". Rendering and indexing read only this.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::postmortem::PostMortem;

/// The validated archive.
#[derive(Clone, Debug)]
pub struct Archive {
    /// The configuration.
    pub config: Config,
    /// The post-mortems, newest `started` first, ties broken by id.
    pub postmortems: Vec<PostMortem>,
    /// "Now", fixed by `--now` or `SOURCE_DATE_EPOCH` for reproducible output.
    pub now: DateTime<Utc>,
}

impl Archive {
    /// Builds an archive, sorting the post-mortems newest first.
    pub fn new(config: Config, mut postmortems: Vec<PostMortem>, now: DateTime<Utc>) -> Archive {
        postmortems.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
        Archive {
            config,
            postmortems,
            now,
        }
    }

    /// Finds a post-mortem by id.
    pub fn get(&self, id: &str) -> Option<&PostMortem> {
        self.postmortems.iter().find(|pm| pm.id == id)
    }
}
