//! The team pages (`/teams/`, `/teams/<team>/`), for an archive with a directory: each team's
//! services, the incidents that involved them, the team's open actions and its figures.
//!
//! People appear by name only, linked to a search for the post-mortems that name them: a team
//! page counts incidents per service, never per person.

use serde::Serialize;

use super::{person_view, PersonView, Term};
use crate::archive::Archive;
use crate::slug::slugify;

/// One team, as its page and the teams index show it.
#[derive(Serialize)]
pub struct TeamView {
    /// The team's name.
    pub name: String,
    /// Its part of the path: `/teams/<slug>/`.
    pub slug: String,
    mailing_list: Option<String>,
    engineering_manager: Option<PersonView>,
    product_manager: Option<PersonView>,
    members: Vec<PersonView>,
    services: Vec<TeamService>,
    /// How many post-mortems involve its services.
    count: usize,
    /// Indexes of the post-mortems that involve its services, newest first.
    #[serde(skip)]
    pub incidents: Vec<usize>,
}

/// A service on its team's page.
#[derive(Serialize)]
struct TeamService {
    service: Term,
    tier: Option<u8>,
    customer_liaison: Option<PersonView>,
    /// How many post-mortems name it.
    count: usize,
}

/// Every team of the directory, in its order; none without a directory.
pub fn teams(archive: &Archive) -> Vec<TeamView> {
    let config = &archive.config;
    let Some(directory) = config.directory.as_deref() else {
        return Vec::new();
    };
    directory
        .teams
        .iter()
        .map(|team| {
            let incidents: Vec<usize> = archive
                .postmortems
                .iter()
                .enumerate()
                .filter(|(_, pm)| {
                    directory
                        .owning_teams(&pm.services)
                        .iter()
                        .any(|t| t.name == team.name)
                })
                .map(|(i, _)| i)
                .collect();
            let services = directory
                .services_of(team)
                .map(|s| TeamService {
                    service: Term {
                        name: s.name.clone(),
                        slug: slugify(&s.name),
                    },
                    tier: s.tier,
                    customer_liaison: s
                        .customer_liaison
                        .as_deref()
                        .map(|p| person_view(p, config)),
                    count: incidents
                        .iter()
                        .filter(|&&i| archive.postmortems[i].services.contains(&s.name))
                        .count(),
                })
                .collect();
            let person = |name: &Option<String>| name.as_deref().map(|p| person_view(p, config));
            TeamView {
                name: team.name.clone(),
                slug: team.slug(),
                mailing_list: team.mailing_list.clone(),
                engineering_manager: person(&team.engineering_manager),
                product_manager: person(&team.product_manager),
                members: directory
                    .people
                    .iter()
                    .filter(|p| p.team.as_deref() == Some(team.name.as_str()))
                    .map(|p| person_view(&p.name, config))
                    .collect(),
                services,
                count: incidents.len(),
                incidents,
            }
        })
        .collect()
}
