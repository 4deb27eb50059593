//! Related post-mortems, found automatically: for each post-mortem of the `Archive`, the few
//! others a reader should look at next, each with the reasons it is listed. A pure function of
//! the archive and its [`TextVectors`]; the pages show the lists.
//!
//! A list starts with the post-mortems linked by hand: the ones its `related` names, in the
//! order written, then the ones whose `related` names it (backlinks), newest first. The rest of
//! the list is found: candidates come from the text's inverted index (see [`super::text`]) and
//! from the post-mortems sharing a service, cause or tag with few others (a value shared by
//! hundreds adds only the members the text found). The best few dozen by estimated score, and
//! the best few dozen by text alone, get an exact cosine, and are ranked by a score
//!
//! ```text
//! score = Σ shared values: kind weight × rarity  +  TEXT_WEIGHT × cosine
//! rarity = ln(N / df) / ln(N)     df: post-mortems with that value, N: all of them
//! ```
//!
//! so that a service two post-mortems alone share counts almost fully, and one that half the
//! archive shares counts little. A found candidate is listed only with a shared value and some
//! text in common, or with much text in common: a short list is better than a padded one.
//!
//! The text similarity is TF-IDF computed here at build time rather than the search index's
//! MoreLikeThis query: the index is written in parallel with the rendering, so the pages cannot
//! wait for it, and one query per post-mortem through the index's searcher is slower at
//! 10,000 post-mortems than this whole module.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::text::{self, TextVectors};
use crate::archive::Archive;
use crate::postmortem::PostMortem;

/// Why a post-mortem is listed as related to another.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// One of the two names the other in its `related`.
    Linked,
    /// Both name this service.
    Service(String),
    /// Both name this cause.
    Cause(String),
    /// Both carry this tag.
    Tag(String),
    /// Their texts have enough rare words in common (cosine of at least [`SIMILAR_TEXT`]).
    SimilarText,
}

impl Reason {
    /// The reason in words, as the page shows it: "linked by hand", "same service
    /// `checkout-api`", "same cause `config-change`", "same tag `dns`", "similar text".
    pub fn describe(&self) -> String {
        match self {
            Reason::Linked => "linked by hand".to_string(),
            Reason::Service(service) => format!("same service `{service}`"),
            Reason::Cause(cause) => format!("same cause `{cause}`"),
            Reason::Tag(tag) => format!("same tag `{tag}`"),
            Reason::SimilarText => "similar text".to_string(),
        }
    }
}

/// One entry of a post-mortem's related list.
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    /// The related post-mortem, as an index into `archive.postmortems`.
    pub index: usize,
    /// Why it is listed: [`Reason::Linked`] first, then the shared services, causes and tags
    /// in the order the listing post-mortem names them, then [`Reason::SimilarText`].
    pub reasons: Vec<Reason>,
    /// How related the two are; higher is closer. Also given for linked post-mortems.
    pub score: f32,
}

/// The weight of a service two post-mortems alone share.
// why: a service is the strongest hint: the same system usually fails the same ways.
const SERVICE_WEIGHT: f32 = 1.0;
/// The weight of a cause two post-mortems alone share.
// why: causes come from a short fixed vocabulary, so even a rare one says less than a service.
const CAUSE_WEIGHT: f32 = 0.6;
/// The weight of a tag two post-mortems alone share.
// why: tags are free-form and broad ("latency", "deploy"), the noisiest of the three.
const TAG_WEIGHT: f32 = 0.5;
/// The weight of the text's cosine.
// why: a cosine of 0.5 is a lot of shared rare words, as telling as a service no one else has.
const TEXT_WEIGHT: f32 = 2.0;
/// The cosine a found candidate with a shared service, cause or tag needs at least.
// why: a shared value alone is common at 10,000 post-mortems (a busy service has hundreds);
// requiring some rare words in common keeps the list to incidents about the same thing.
const MIN_TEXT_WITH_FACET: f32 = 0.1;
/// The cosine at which a found candidate is listed without any shared value.
// why: unrelated post-mortems of one archive stay below about 0.15; above a third, the same
// failure is being described.
const STRONG_TEXT: f32 = 0.35;
/// The cosine from which [`Reason::SimilarText`] is given.
pub const SIMILAR_TEXT: f32 = 0.2;
/// A value shared by more post-mortems than this makes none of them a candidate: only its
/// members that the text finds are ranked, and their exact score counts the value.
// why: a service in thousands of post-mortems would otherwise make each of them a candidate
// of each other; its most text-similar members are the ones worth ranking.
const FACET_CAP: usize = 200;
/// How many found candidates, the best by estimated score and the best by partial text dot
/// product, get an exact cosine.
// why: a few dozen covers the top five with room for the estimates' errors, for microseconds.
const RESCORE: usize = 48;

/// The related post-mortems of every post-mortem of `archive`, one list per index of
/// `archive.postmortems`, each at most `limit` long: see [`Finder::of`]. `text` must be built
/// from the same archive. The same archive always gives the same lists, whatever the number of
/// threads.
pub fn related(archive: &Archive, text: TextVectors, limit: usize) -> Vec<Vec<Related>> {
    let finder = Finder::new(archive, text, limit);
    (0..archive.postmortems.len())
        .into_par_iter()
        .map(|doc| finder.of(doc))
        .collect()
}

/// What finding the related post-mortems of any one post-mortem of an archive needs, made once
/// for the archive, so that a list can be found when it is first wanted.
pub struct Finder {
    text: TextVectors,
    facets: Facets,
    /// For each post-mortem, the ones it is linked with.
    linked: Vec<Vec<usize>>,
    limit: usize,
    /// The memory of finds that ended, for the next: at most one per thread that finds.
    // why: a scratch spans the whole archive, too much to make for each list.
    spare: Mutex<Vec<Scratch>>,
}

impl Finder {
    /// The finder of `archive`'s lists of at most `limit` entries; `text` must be built from
    /// the same archive.
    pub fn new(archive: &Archive, text: TextVectors, limit: usize) -> Finder {
        assert_eq!(
            text.len(),
            archive.postmortems.len(),
            "text vectors of another archive"
        );
        Finder {
            facets: Facets::new(&archive.postmortems),
            linked: linked(&archive.postmortems),
            text,
            limit,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// The text vectors the lists are found with.
    pub fn text(&self) -> &TextVectors {
        &self.text
    }

    /// The list of the post-mortem at `doc`: the linked ones first, then the best found by
    /// score (ties: the newer first, then by id). The same whichever lists were found before.
    pub fn of(&self, doc: usize) -> Vec<Related> {
        let spare = || self.spare.lock().unwrap_or_else(|e| e.into_inner());
        let popped = spare().pop();
        let mut scratch = popped.unwrap_or_else(|| Scratch::new(&self.text, self.linked.len()));
        let list = one(
            doc,
            &self.linked[doc],
            &self.facets,
            &self.text,
            self.limit,
            &mut scratch,
        );
        spare().push(scratch);
        list
    }
}

/// The list of `doc`, given the post-mortems it is linked with.
fn one(
    doc: usize,
    linked: &[usize],
    facets: &Facets,
    text: &TextVectors,
    limit: usize,
    scratch: &mut Scratch,
) -> Vec<Related> {
    let mut list: Vec<Related> = linked
        .iter()
        .take(limit)
        .map(|&other| facets.assess(doc, other, text.similarity(doc, other), true))
        .collect();
    if list.len() == limit {
        return list;
    }
    let mut found: Vec<Related> = found(doc, facets, text, scratch)
        .into_iter()
        .filter(|r| !linked.contains(&r.index))
        .collect();
    // why: indices follow the archive's order, newest `started` first then by id, so the index
    // is the tie-break the contract names.
    found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    list.extend(found.into_iter().take(limit - list.len()));
    list
}

/// The candidates of `doc` that pass the thresholds, in no particular order.
fn found(doc: usize, facets: &Facets, text: &TextVectors, scratch: &mut Scratch) -> Vec<Related> {
    let candidates = text.candidates(doc, &mut scratch.text);
    // Estimated facet scores of the values few share, accumulated in the dense scratch. The
    // members of a value many share compete through their text alone until rescored.
    for &value in &facets.of[doc].ordered {
        let weight = facets.weights[value as usize];
        let members = &facets.members[value as usize];
        if weight > 0.0 && members.len() <= FACET_CAP {
            for &member in members {
                scratch.add(member as usize, weight);
            }
        }
    }
    // (index, partial dot, estimated score) of every candidate, by text or by a shared value.
    let mut pool: Vec<(usize, f32, f32)> = Vec::with_capacity(candidates.len());
    for &(candidate, dot) in &candidates {
        let facet = std::mem::take(&mut scratch.facet[candidate]);
        pool.push((candidate, dot, facet + TEXT_WEIGHT * dot));
    }
    for &member in &scratch.touched {
        let facet = std::mem::take(&mut scratch.facet[member as usize]);
        if facet > 0.0 && member as usize != doc {
            pool.push((member as usize, 0.0, facet));
        }
    }
    scratch.touched.clear();
    let mut chosen = BTreeSet::new();
    for by_dot in [false, true] {
        let key = |c: &(usize, f32, f32)| if by_dot { c.1 } else { c.2 };
        if pool.len() > RESCORE {
            pool.select_nth_unstable_by(RESCORE - 1, |a, b| {
                key(b).total_cmp(&key(a)).then(a.0.cmp(&b.0))
            });
        }
        chosen.extend(pool.iter().take(RESCORE).map(|c| c.0));
    }
    let chosen: Vec<usize> = chosen.into_iter().collect();
    let cosines = text.similarities(doc, &chosen, &mut scratch.text);
    chosen
        .into_iter()
        .zip(cosines)
        .filter(|&(other, cosine)| {
            cosine >= STRONG_TEXT
                || (cosine >= MIN_TEXT_WITH_FACET && facets.shared_weight(doc, other) > 0.0)
        })
        .map(|(other, cosine)| facets.assess(doc, other, cosine, false))
        .collect()
}

/// For each post-mortem, the ones it is linked with: those its `related` names (in the archive,
/// not itself, in the order written, once each), then those naming it, in archive order.
fn linked(postmortems: &[Arc<PostMortem>]) -> Vec<Vec<usize>> {
    // why: only looked up, never listed, so its order cannot reach the output.
    let positions: HashMap<&str, usize> = postmortems
        .iter()
        .enumerate()
        .map(|(i, pm)| (pm.id.as_str(), i))
        .collect();
    let mut linked: Vec<Vec<usize>> = postmortems
        .iter()
        .enumerate()
        .map(|(i, pm)| {
            let mut named = Vec::new();
            for id in &pm.related {
                if let Some(&j) = positions.get(id.as_str()) {
                    if j != i && !named.contains(&j) {
                        named.push(j);
                    }
                }
            }
            named
        })
        .collect();
    let named: Vec<Vec<usize>> = linked.clone();
    for (i, names) in named.iter().enumerate() {
        for &j in names {
            if !linked[j].contains(&i) {
                linked[j].push(i);
            }
        }
    }
    linked
}

/// The kinds of shared values, in the order reasons list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Service,
    Cause,
    Tag,
}

/// The services, causes and tags of every post-mortem, as value ids.
struct Facets {
    /// Each value's kind and text, by id.
    values: Vec<(Kind, String)>,
    /// Each value's weight: its kind's weight times its rarity.
    weights: Vec<f32>,
    /// Each value's post-mortems, by index.
    members: Vec<Vec<u32>>,
    /// Each post-mortem's values.
    of: Vec<Values>,
}

/// One post-mortem's value ids.
struct Values {
    /// In reason order: services, causes, tags, each in the order written, once each.
    ordered: Vec<u32>,
    /// Sorted, for membership tests.
    sorted: Vec<u32>,
}

impl Facets {
    fn new(postmortems: &[Arc<PostMortem>]) -> Facets {
        // why: ids are given in archive order, so they are the same on every run; the map is
        // only looked up.
        let mut ids: HashMap<(Kind, &str), u32> = HashMap::new();
        let mut values: Vec<(Kind, String)> = Vec::new();
        let mut members: Vec<Vec<u32>> = Vec::new();
        let mut of = Vec::with_capacity(postmortems.len());
        for (doc, pm) in postmortems.iter().enumerate() {
            let mut ordered = Vec::new();
            let kinds = [
                (Kind::Service, &pm.services),
                (Kind::Cause, &pm.causes),
                (Kind::Tag, &pm.tags),
            ];
            for (kind, names) in kinds {
                for name in names {
                    let id = *ids.entry((kind, name.as_str())).or_insert_with(|| {
                        values.push((kind, name.clone()));
                        members.push(Vec::new());
                        (values.len() - 1) as u32
                    });
                    if !ordered.contains(&id) {
                        ordered.push(id);
                        members[id as usize].push(doc as u32);
                    }
                }
            }
            let mut sorted = ordered.clone();
            sorted.sort_unstable();
            of.push(Values { ordered, sorted });
        }
        let n = postmortems.len() as f32;
        let weights = values
            .iter()
            .zip(&members)
            .map(|((kind, _), members)| {
                let weight = match kind {
                    Kind::Service => SERVICE_WEIGHT,
                    Kind::Cause => CAUSE_WEIGHT,
                    Kind::Tag => TAG_WEIGHT,
                };
                // why: normalised by ln N so that a value only two share weighs close to its
                // kind's weight at any archive size, and one everyone shares weighs nothing.
                let rarity = if n > 1.0 {
                    (n / members.len() as f32).ln() / n.ln()
                } else {
                    0.0
                };
                weight * rarity
            })
            .collect();
        Facets {
            values,
            weights,
            members,
            of,
        }
    }

    /// The summed weights of the values `doc` and `other` share.
    fn shared_weight(&self, doc: usize, other: usize) -> f32 {
        self.shared(doc, other)
            .map(|value| self.weights[value as usize])
            .sum()
    }

    /// The values `doc` shares with `other`, in `doc`'s reason order.
    fn shared(&self, doc: usize, other: usize) -> impl Iterator<Item = u32> + '_ {
        let theirs = &self.of[other].sorted;
        self.of[doc]
            .ordered
            .iter()
            .copied()
            .filter(move |value| theirs.binary_search(value).is_ok())
    }

    /// `other` as an entry of `doc`'s list, given the cosine of their texts.
    fn assess(&self, doc: usize, other: usize, cosine: f32, linked: bool) -> Related {
        let mut reasons = Vec::new();
        if linked {
            reasons.push(Reason::Linked);
        }
        let mut score = 0.0;
        for value in self.shared(doc, other) {
            score += self.weights[value as usize];
            let (kind, name) = &self.values[value as usize];
            reasons.push(match kind {
                Kind::Service => Reason::Service(name.clone()),
                Kind::Cause => Reason::Cause(name.clone()),
                Kind::Tag => Reason::Tag(name.clone()),
            });
        }
        if cosine >= SIMILAR_TEXT {
            reasons.push(Reason::SimilarText);
        }
        Related {
            index: other,
            reasons,
            score: score + TEXT_WEIGHT * cosine,
        }
    }
}

/// Reusable memory of one rayon task.
struct Scratch {
    /// The text index's memory.
    text: text::Scratch,
    /// Estimated facet score per post-mortem, zero outside a query.
    facet: Vec<f32>,
    /// The post-mortems whose `facet` the current query made non-zero.
    touched: Vec<u32>,
}

impl Scratch {
    fn new(text: &TextVectors, n: usize) -> Scratch {
        Scratch {
            text: text.scratch(),
            facet: vec![0.0; n],
            touched: Vec::new(),
        }
    }

    /// Adds `weight` to the estimated facet score of `doc`.
    fn add(&mut self, doc: usize, weight: f32) {
        if self.facet[doc] == 0.0 {
            self.touched.push(doc as u32);
        }
        self.facet[doc] += weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use chrono::{TimeZone, Utc};

    /// A post-mortem fixture: its id, extra front-matter lines, and its summary.
    type Fixture<'a> = (&'a str, &'a str, &'a str);

    /// An archive of fixtures, started a day apart, the first newest.
    fn archive(fixtures: &[Fixture]) -> Archive {
        let config = Config::default();
        let postmortems = fixtures
            .iter()
            .enumerate()
            .map(|(i, (id, front, summary))| {
                let text = format!(
                    "+++\ntitle = \"{id}\"\nseverity = \"SEV-3\"\nstatus = \"Draft\"\nstarted = {}\n{front}\n+++\n\n## Summary\n\n<!-- One paragraph. -->\n{summary}\n",
                    (Utc.with_ymd_and_hms(2024, 12, 31, 9, 0, 0).unwrap()
                        - chrono::Duration::days(i as i64))
                    .to_rfc3339(),
                );
                crate::testing::parse(id, &text, &config)
            })
            .collect();
        let now = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        Archive::new(config, postmortems, now)
    }

    /// The lists of `archive` with at most `limit` entries, as ids.
    fn lists(archive: &Archive, limit: usize) -> Vec<(String, Vec<String>)> {
        let text = TextVectors::new(archive);
        related(archive, text, limit)
            .into_iter()
            .enumerate()
            .map(|(i, list)| {
                let ids = list
                    .iter()
                    .map(|r| archive.postmortems[r.index].id.clone())
                    .collect();
                (archive.postmortems[i].id.clone(), ids)
            })
            .collect()
    }

    fn list_of(archive: &Archive, id: &str, limit: usize) -> Vec<Related> {
        let text = TextVectors::new(archive);
        let i = archive.postmortems.iter().position(|pm| pm.id == id);
        related(archive, text, limit).swap_remove(i.unwrap())
    }

    fn ids(archive: &Archive, list: &[Related]) -> Vec<String> {
        list.iter()
            .map(|r| archive.postmortems[r.index].id.clone())
            .collect()
    }

    const UNRELATED: &[Fixture] = &[
        (
            "badge",
            "tags = [\"office\"]",
            "The lobby badge printer jammed on glossy cards.",
        ),
        (
            "coffee",
            "tags = [\"office\"]",
            "The kitchen espresso machine needed descaling.",
        ),
        (
            "parking",
            "",
            "The garage gate remote stopped opening barriers.",
        ),
    ];

    fn with_unrelated(fixtures: &[Fixture<'static>]) -> Archive {
        let all: Vec<Fixture> = fixtures.iter().chain(UNRELATED).copied().collect();
        archive(&all)
    }

    #[test]
    fn links_by_hand_come_first_in_the_order_written_then_backlinks() {
        let archive = with_unrelated(&[
            (
                "hub",
                "related = [\"coffee\", \"missing\", \"hub\", \"badge\", \"coffee\"]",
                "Postgres replica lag stalled checkout writes.",
            ),
            (
                "newer-echo",
                "services = [\"payments-db\"]",
                "Postgres replica lag stalled checkout writes again.",
            ),
            ("fan", "related = [\"hub\"]", "Nothing alike."),
            ("older-fan", "related = [\"hub\", \"hub\"]", "Unalike too."),
        ]);
        let list = list_of(&archive, "hub", 5);
        assert_eq!(
            ids(&archive, &list),
            ["coffee", "badge", "fan", "older-fan", "newer-echo"]
        );
        assert!(list[..4].iter().all(|r| r.reasons[0] == Reason::Linked));
        assert_eq!(list[4].reasons, [Reason::SimilarText]);
        // A backlink is a link from both sides.
        let fan = list_of(&archive, "fan", 5);
        assert_eq!(ids(&archive, &fan), ["hub"]);
        assert_eq!(fan[0].reasons, [Reason::Linked]);
    }

    #[test]
    fn shared_service_and_similar_text_beat_a_shared_tag_and_some_text() {
        let archive = with_unrelated(&[
            (
                "replica-lag",
                "services = [\"payments-db\"]\ntags = [\"postgres\"]",
                "Postgres replica lag grew until the failover promoted a stale replica.",
            ),
            (
                "tagged",
                "tags = [\"postgres\"]",
                "The postgres replica stalled while a vacuum blocked the ledger table.",
            ),
            (
                "same-service",
                "services = [\"payments-db\"]",
                "Replica lag after a failover of the payments cluster.",
            ),
            (
                "tag-alone",
                "tags = [\"postgres\"]",
                "Upgrading the office wifi controller firmware.",
            ),
        ]);
        let list = list_of(&archive, "replica-lag", 5);
        assert_eq!(ids(&archive, &list), ["same-service", "tagged"]);
        assert!(list[0].score > list[1].score);
        assert_eq!(
            list[0].reasons,
            [Reason::Service("payments-db".into()), Reason::SimilarText]
        );
        assert_eq!(list[1].reasons, [Reason::Tag("postgres".into())]);
    }

    #[test]
    fn unrelated_post_mortems_are_not_listed_to_fill_the_list() {
        let archive = with_unrelated(&[
            (
                "dns-1",
                "services = [\"dns\"]",
                "The resolver cache served stale records after the zone transfer.",
            ),
            (
                "dns-2",
                "services = [\"dns\"]",
                "Stale resolver records after a zone transfer failed.",
            ),
        ]);
        for (id, list) in lists(&archive, 5) {
            match id.as_str() {
                "dns-1" => assert_eq!(list, ["dns-2"]),
                "dns-2" => assert_eq!(list, ["dns-1"]),
                // The two office incidents share a tag but no words: not related either.
                _ => assert!(list.is_empty(), "{id}: {list:?}"),
            }
        }
    }

    #[test]
    fn strong_text_similarity_alone_is_enough_and_itself_is_never_listed() {
        let summary = "The certificate of the edge proxy expired and every handshake failed.";
        let archive = with_unrelated(&[
            ("cert-1", "related = [\"cert-1\"]", summary),
            ("cert-2", "", summary),
        ]);
        let list = list_of(&archive, "cert-1", 5);
        assert_eq!(ids(&archive, &list), ["cert-2"]);
        assert_eq!(list[0].reasons, [Reason::SimilarText]);
        assert!((list[0].score - TEXT_WEIGHT).abs() < 1e-4);
    }

    #[test]
    fn lists_are_at_most_limit_long() {
        let archive = with_unrelated(&[
            (
                "hub",
                "related = [\"badge\", \"coffee\", \"parking\"]\nservices = [\"kafka\"]",
                "Kafka consumer lag delayed order emails.",
            ),
            (
                "lag",
                "services = [\"kafka\"]",
                "Kafka consumer lag delayed order emails again.",
            ),
        ]);
        assert_eq!(
            ids(&archive, &list_of(&archive, "hub", 2)),
            ["badge", "coffee"]
        );
        assert_eq!(
            ids(&archive, &list_of(&archive, "hub", 4)),
            ["badge", "coffee", "parking", "lag"]
        );
        assert!(list_of(&archive, "hub", 0).is_empty());
        assert!(list_of(&archive, "lag", 0).is_empty());
    }

    #[test]
    fn reasons_read_as_the_page_shows_them() {
        let reasons = [
            Reason::Linked,
            Reason::Service("checkout-api".into()),
            Reason::Cause("config-change".into()),
            Reason::Tag("dns".into()),
            Reason::SimilarText,
        ];
        let text: Vec<String> = reasons.iter().map(Reason::describe).collect();
        assert_eq!(
            text.join(", "),
            "linked by hand, same service `checkout-api`, same cause `config-change`, \
             same tag `dns`, similar text"
        );
    }

    #[test]
    fn every_shared_value_is_a_reason_in_the_order_written() {
        let archive = with_unrelated(&[
            (
                "a",
                "services = [\"search\", \"cdn\"]\ncauses = [\"deploy\"]\ntags = [\"cache\", \"tls\"]",
                "The cdn cache purge after the search deploy dropped tls sessions.",
            ),
            (
                "b",
                "services = [\"cdn\", \"search\"]\ncauses = [\"deploy\"]\ntags = [\"tls\"]",
                "A search deploy purged the cdn cache.",
            ),
        ]);
        let list = list_of(&archive, "a", 5);
        assert_eq!(
            list[0].reasons,
            [
                Reason::Service("search".into()),
                Reason::Service("cdn".into()),
                Reason::Cause("deploy".into()),
                Reason::Tag("tls".into()),
                Reason::SimilarText,
            ]
        );
    }

    #[test]
    fn a_value_everyone_shares_does_not_count() {
        let archive = archive(&[
            (
                "a",
                "services = [\"monolith\"]",
                "Queue workers stalled on a lock.",
            ),
            (
                "b",
                "services = [\"monolith\"]",
                "Billing export missed a day.",
            ),
            (
                "c",
                "services = [\"monolith\"]",
                "Queue workers restarted in a loop.",
            ),
        ]);
        let facets = Facets::new(&archive.postmortems);
        assert_eq!(facets.weights, [0.0]);
        for (_, list) in lists(&archive, 5) {
            assert!(list.len() <= 1);
        }
    }

    /// A larger archive of generated post-mortems: a few topics, services shared by more than
    /// [`FACET_CAP`], links between neighbours.
    fn generated(n: usize) -> Archive {
        const TOPICS: &[&str] = &[
            "replica lag failover promoted stale primary",
            "certificate expired handshake failed edge",
            "consumer lag broker partition rebalance",
            "cache eviction memory pressure node",
            "resolver stale records zone transfer",
        ];
        const COMMON: &[&str] = &["customers", "noticed", "dashboard", "alert", "rollback"];
        let mut seed: u64 = 7;
        let mut next = move |bound: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % bound
        };
        let fixtures: Vec<(String, String, String)> = (0..n)
            .map(|i| {
                let topic = next(TOPICS.len());
                let words: Vec<&str> = TOPICS[topic].split(' ').collect();
                let summary: Vec<&str> = (0..12)
                    .map(|_| {
                        if next(3) == 0 {
                            COMMON[next(COMMON.len())]
                        } else {
                            words[next(words.len())]
                        }
                    })
                    .collect();
                let front = format!(
                    "services = [\"{}\"]\ntags = [\"t{}\"]\nrelated = [\"p{}\"]",
                    ["big", "other"][next(2)],
                    next(40),
                    next(n),
                );
                (format!("p{i}"), front, summary.join(" "))
            })
            .collect();
        let fixtures: Vec<Fixture> = fixtures
            .iter()
            .map(|(id, front, summary)| (id.as_str(), front.as_str(), summary.as_str()))
            .collect();
        archive(&fixtures)
    }

    #[test]
    fn lists_are_the_same_on_every_run_and_with_any_number_of_threads() {
        let archive = generated(450);
        assert!(
            archive
                .postmortems
                .iter()
                .filter(|pm| pm.services == ["big"])
                .count()
                > FACET_CAP
        );
        let build = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let text = TextVectors::new(&archive);
                    related(&archive, text, 5)
                })
        };
        let one = build(1);
        assert_eq!(one, build(4));
        assert_eq!(one, build(4));
        assert!(one.iter().all(|list| list.len() <= 5));
        let found = one
            .iter()
            .flatten()
            .filter(|r| r.reasons[0] != Reason::Linked);
        assert!(
            found.count() > 450,
            "the generated archive should relate by text"
        );
        for (i, list) in one.iter().enumerate() {
            assert!(list.iter().all(|r| r.index != i));
            let mut seen: Vec<usize> = list.iter().map(|r| r.index).collect();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), list.len());
        }
    }
}
