//! Choosing the common project: the ranking with how each score is made,
//! proposing a project, and ballots (single choice, approval, ranked).

use agora_events::{
    BallotId, Choice, DEFAULT_COST_REFERENCE_CENTS, Euros, ProjectId, VotingMethod,
};
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pages::{Done, FormFields, Visit, answered, checked, form_key, notice};
use super::{Alert, Failure, Layout, PageQuery, fr, html};
use crate::domain::{CastVote, Command, ProposeProject};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "web/projets.html")]
struct Projects {
    layout: Layout,
    weights: Weights,
    ranking: Vec<RankedProject>,
    unscored: Vec<String>,
    propose_key: String,
}

struct Weights {
    concerned: u8,
    cost: u8,
    self_financing: u8,
    reference: String,
}

struct RankedProject {
    rank: usize,
    title: String,
    summary: String,
    score: String,
    concerned_percent: u8,
    concerned: String,
    cost: String,
    cost_points: String,
    self_financing_percent: u8,
    self_financing: String,
    /// The impact indicators measured: label, value with its unit, compass.
    impact: Vec<MeasuredImpact>,
}

struct MeasuredImpact {
    label: String,
    value: String,
    compass: &'static str,
    measured_on: String,
}

/// The project's current value of each indicator of the statutes it measured.
fn measured_impact(
    statutes: &agora_events::Statutes,
    project: &agora_projections::Project,
) -> Vec<MeasuredImpact> {
    use agora_events::Compass;
    statutes
        .indicators
        .iter()
        .filter_map(|indicator| {
            let measure = project.measures.get(&indicator.code)?;
            Some(MeasuredImpact {
                label: indicator.label.clone(),
                value: format!(
                    "{}\u{a0}{}",
                    crate::french::quantity(measure.value),
                    indicator.unit
                ),
                compass: match indicator.compass {
                    Compass::IndividualEngagement => "engagement individuel",
                    Compass::Synergy => "synergie",
                    Compass::SocietalImpact => "impact sociétal",
                },
                measured_on: crate::french::day(measure.measured_on),
            })
        })
        .collect()
}

/// Points out of 100, rounded to a tenth, written the French way: "58,4".
fn points(value: Decimal) -> String {
    let rounded =
        value.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    format!("{rounded:.1}").replace('.', ",")
}

/// `/c/{community}/projets`: the ranking, and how each score is made.
pub async fn projects(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(done): PageQuery<Done>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    Ok(draw_projects(&visit, StatusCode::OK, None, notice(&done)))
}

fn draw_projects(
    visit: &Visit,
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Response {
    let community = &visit.view.state;
    let statutes = &community.statutes.ranking_weights;
    let reference = statutes
        .cost_reference
        .unwrap_or_else(|| Euros::new(Decimal::new(DEFAULT_COST_REFERENCE_CENTS, 2)).unwrap());
    let ranked = community.projects.ranking(None);
    let title_of = |id: ProjectId| community.projects.get(id);
    let ranking: Vec<RankedProject> = ranked
        .iter()
        .map(|ranked| {
            let project = title_of(ranked.project_id);
            RankedProject {
                rank: ranked.rank,
                title: project.map(|p| p.title.clone()).unwrap_or_default(),
                summary: project.map(|p| p.summary.clone()).unwrap_or_default(),
                score: points(ranked.score),
                concerned_percent: ranked.scores.concerned_percent,
                concerned: points(ranked.concerned),
                cost: fr::euros(ranked.scores.estimated_cost),
                cost_points: points(ranked.cost),
                self_financing_percent: ranked.scores.self_financing_percent,
                self_financing: points(ranked.self_financing),
                impact: project
                    .map(|p| measured_impact(&community.statutes, p))
                    .unwrap_or_default(),
            }
        })
        .collect();
    let unscored = community
        .projects
        .by_id
        .values()
        .filter(|project| project.is_open())
        .filter(|project| !ranked.iter().any(|r| r.project_id == project.id))
        .map(|project| project.title.clone())
        .collect();
    let page = Projects {
        layout: visit.layout("projets", alert, notice),
        weights: Weights {
            concerned: statutes.concerned,
            cost: statutes.cost,
            self_financing: statutes.self_financing,
            reference: fr::euros(reference),
        },
        ranking,
        unscored,
        propose_key: form_key(),
    };
    html(status, &page)
}

#[derive(Deserialize, Serialize)]
pub struct ProposeForm {
    csrf: String,
    cle: String,
    titre: String,
    resume: String,
}

impl FormFields for ProposeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.titre, &self.resume)
    }
}

/// `POST /c/{community}/projets`: propose a project.
pub async fn propose(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ProposeForm>, FormRejection>,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let form = checked(&visit, form)?;
    let command = Command::ProposeProject(ProposeProject {
        project_id: ProjectId(Uuid::now_v7()),
        proposer: visit.me,
        title: form.titre.trim().to_owned(),
        summary: form.resume.trim().to_owned(),
        place: None,
    });
    let path = format!("{}/projets", visit.base());
    let outcome = visit.run(&state, &form, &path, command).await;
    let refused = |status, alert| draw_projects(&visit, status, Some(alert), None);
    Ok(answered(
        outcome,
        format!("{path}?fait=projet"),
        refused,
        Alert::new("projet", String::new()).keeping(form.typed()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_rounded_to_the_nearest_tenth() {
        let points = |text: &str| points(text.parse().unwrap());
        assert_eq!(points("21.1765"), "21,2");
        assert_eq!(points("58.96"), "59,0");
        assert_eq!(points("24"), "24,0");
        assert_eq!(points("0.04"), "0,0");
    }
}

#[derive(Template)]
#[template(path = "web/scrutin.html")]
struct Ballot {
    layout: Layout,
    id: BallotId,
    question: String,
    method: &'static str,
    method_key: &'static str,
    open: bool,
    sealed: bool,
    closes: String,
    votes: usize,
    in_electorate: bool,
    voted: bool,
    options: Vec<BallotChoice>,
    ranks: Vec<usize>,
    vote_key: String,
    winner: Option<String>,
    results: Vec<String>,
    /// Candidates left out of the count (they left before the close).
    withdrawn: Vec<String>,
}

struct BallotChoice {
    id: String,
    label: String,
}

/// `/c/{community}/scrutins/{ballot}`: a ballot, its voting form while it
/// is open, its result once closed. Nobody's choice is shown.
pub async fn ballot(
    State(state): State<AppState>,
    Path((slug, ballot)): Path<(String, String)>,
    PageQuery(done): PageQuery<Done>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let id = ballot_id(&ballot)?;
    draw_ballot(&visit, id, StatusCode::OK, None, notice(&done))
}

fn ballot_id(text: &str) -> Result<BallotId, Failure> {
    text.parse()
        .map(BallotId)
        .map_err(|_| Failure::missing("ballot-not-found"))
}

fn draw_ballot(
    visit: &Visit,
    id: BallotId,
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Result<Response, Failure> {
    let found = visit
        .view
        .state
        .ballots
        .get(id)
        .ok_or_else(|| Failure::missing("ballot-not-found"))?;
    let opened = &found.opened;
    let label_of = |option: &str| {
        opened
            .options
            .iter()
            .find(|candidate| candidate.option_id == option)
            .map_or_else(|| option.to_owned(), |option| option.label.clone())
    };
    let (method, method_key) = match opened.method {
        VotingMethod::Single => ("Un seul choix", "single"),
        VotingMethod::Approval => ("Vote par approbation", "approval"),
        VotingMethod::Ranked => ("Vote par classement", "ranked"),
    };
    let closed = found.closed.as_ref().map(|(_, closed)| closed);
    let page = Ballot {
        layout: visit.layout("accueil", alert, notice),
        id,
        question: opened.question.clone(),
        method,
        method_key,
        open: found.is_open(),
        sealed: opened.sealed,
        closes: fr::date(opened.closes_at),
        votes: usize::try_from(found.voters).unwrap_or(usize::MAX),
        in_electorate: opened
            .electorate
            .iter()
            .any(|elector| elector.pioneer_id == visit.me),
        // Shown only while the ballot is open, when its votes are at hand.
        voted: found.votes.contains_key(&visit.me),
        options: opened
            .options
            .iter()
            .map(|option| BallotChoice {
                id: option.option_id.clone(),
                label: option.label.clone(),
            })
            .collect(),
        ranks: (1..=opened.options.len()).collect(),
        vote_key: form_key(),
        winner: closed.and_then(|closed| closed.winner.as_deref().map(label_of)),
        results: closed
            .map(|closed| {
                closed
                    .results
                    .iter()
                    .map(|result| format!("{} — {}", label_of(&result.option_id), result.score))
                    .collect()
            })
            .unwrap_or_default(),
        withdrawn: closed
            .map(|closed| closed.withdrawn.iter().map(|id| label_of(id)).collect())
            .unwrap_or_default(),
    };
    Ok(html(status, &page))
}

/// The vote form: its fields by name, since an approval vote has one
/// field per option.
#[derive(Serialize)]
#[serde(transparent)]
pub struct VoteForm {
    fields: Vec<(String, String)>,
}

impl VoteForm {
    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The choice the form makes under `method`, among `options`.
    fn choice(&self, method: VotingMethod, options: &[String]) -> Option<Choice> {
        match method {
            VotingMethod::Single => Some(Choice::Single {
                option_id: self.get("choix").to_owned(),
            })
            .filter(|_| !self.get("choix").is_empty()),
            VotingMethod::Approval => Some(Choice::Approval {
                option_ids: options
                    .iter()
                    .filter(|option| self.get(&format!("choix_{option}")) == "oui")
                    .cloned()
                    .collect(),
            }),
            VotingMethod::Ranked => {
                let mut ranked: Vec<(usize, &String)> = Vec::new();
                for option in options {
                    let rank = self.get(&format!("rang_{option}"));
                    if rank.is_empty() {
                        continue;
                    }
                    ranked.push((rank.parse().ok()?, option));
                }
                ranked.sort();
                // Two options of the same rank say no order between them.
                if ranked.windows(2).any(|pair| pair[0].0 == pair[1].0) {
                    return None;
                }
                Some(Choice::Ranked {
                    ranking: ranked
                        .into_iter()
                        .map(|(_, option)| option.clone())
                        .collect(),
                })
            }
        }
    }
}

impl FormFields for VoteForm {
    fn csrf(&self) -> &str {
        self.get("csrf")
    }
    fn key(&self) -> &str {
        self.get("cle")
    }
    fn digested(&self) -> impl Serialize {
        self.fields
            .iter()
            .filter(|(key, _)| key != "csrf")
            .collect::<Vec<_>>()
    }
    fn typed(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "csrf" | "cle"))
            .cloned()
            .collect()
    }
}

/// `POST /c/{community}/scrutins/{ballot}/vote`: vote, or vote again.
pub async fn vote(
    State(state): State<AppState>,
    Path((slug, ballot)): Path<(String, String)>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let id = ballot_id(&ballot)?;
    let form = checked(&visit, form.map(|Form(fields)| Form(VoteForm { fields })))?;
    let found = visit
        .view
        .state
        .ballots
        .get(id)
        .ok_or_else(|| Failure::missing("ballot-not-found"))?;
    let options: Vec<String> = found
        .opened
        .options
        .iter()
        .map(|option| option.option_id.clone())
        .collect();
    let Some(choice) = form.choice(found.opened.method, &options) else {
        let alert = Alert::new("vote", fr::refusal("vote-form")).keeping(form.typed());
        return draw_ballot(
            &visit,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(alert),
            None,
        );
    };
    let command = Command::CastVote(CastVote {
        ballot_id: id,
        voter: visit.me,
        choice,
        sealed: None,
    });
    let path = format!("{}/scrutins/{id}", visit.base());
    let outcome = visit
        .run(&state, &form, &format!("{path}/vote"), command)
        .await;
    let refused = |status, alert| {
        draw_ballot(&visit, id, status, Some(alert), None)
            .unwrap_or_else(axum::response::IntoResponse::into_response)
    };
    Ok(answered(
        outcome,
        format!("{path}?fait=vote"),
        refused,
        Alert::new("vote", String::new()).keeping(form.typed()),
    ))
}
