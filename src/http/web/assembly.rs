//! What the assembly and its auditors look at: the chain check, the
//! capital, the funds' path from receipt to allocation to expense per
//! project (with a chart), the printable assembly report, and any
//! entity's history.

use agora_events::{Euros, PioneerId, ProjectId, Timestamp};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;

use super::pages::Visit;
use super::{Failure, Layout, PageQuery, fr, html};
use crate::http::AppState;
use crate::http::error::ApiError;

#[derive(Template)]
#[template(path = "web/assemblee.html")]
struct Assembly {
    layout: Layout,
    intact: bool,
    events: u64,
    head: String,
    problem: String,
    checks: Vec<String>,
    capital: String,
    held_shares: u32,
    highest: String,
    floor: String,
    received: String,
    allocated: String,
    spent: String,
    projects: Vec<ProjectFunds>,
    chart_height: usize,
    expenses: Vec<String>,
    capital_chart: Option<CapitalChart>,
    /// The general assemblies, the latest first, each in a sentence.
    assemblies: Vec<String>,
    /// Who holds the representative's mandate, in a sentence.
    representative: Option<String>,
    /// Who stands for representative.
    candidates: Vec<String>,
    /// The latest meetings and social events, in sentences.
    meetings: Vec<String>,
}

/// The capital over time, as a step line.
struct CapitalChart {
    /// SVG polyline points.
    points: String,
    first: String,
    last: String,
    highest: String,
    /// The same, in words, for those who do not see the chart.
    summary: String,
}

/// The chart's drawing area, in SVG units.
const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 160.0;

fn capital_chart(points: &[(Timestamp, Euros)], now: Timestamp) -> Option<CapitalChart> {
    let (first_at, first) = *points.first()?;
    let (_, last) = *points.last()?;
    let highest = points.iter().map(|(_, capital)| capital.value()).max()?;
    let start = first_at.instant().timestamp() as f64;
    let span = (now.instant().timestamp() as f64 - start).max(1.0);
    let top = highest.to_f64().unwrap_or(0.0).max(1.0);
    let x = |at: Timestamp| (at.instant().timestamp() as f64 - start) / span * CHART_WIDTH;
    let y = |capital: Euros| {
        CHART_HEIGHT - capital.value().to_f64().unwrap_or(0.0) / top * CHART_HEIGHT
    };
    let mut line = Vec::with_capacity(points.len() * 2 + 1);
    let mut level = y(first);
    for &(at, capital) in points {
        // A step: the capital holds until the event that changes it.
        line.push(format!("{:.1},{level:.1}", x(at)));
        level = y(capital);
        line.push(format!("{:.1},{level:.1}", x(at)));
    }
    line.push(format!("{CHART_WIDTH:.1},{level:.1}"));
    let highest = Euros::new(highest).unwrap_or_default();
    Some(CapitalChart {
        points: line.join(" "),
        first: fr::date(first_at),
        last: fr::date(now),
        highest: fr::euros(highest),
        summary: format!(
            "Le capital est passé de {} le {} à {} aujourd'hui ; son plus haut est {}.",
            fr::euros(first),
            fr::date(first_at),
            fr::euros(last),
            fr::euros(highest)
        ),
    })
}

struct ProjectFunds {
    title: String,
    allocated: String,
    spent: String,
    remaining: String,
    y: usize,
    allocated_width: u32,
    spent_width: u32,
    text_x: u32,
}

/// Width of the chart's bars, in SVG units, for the largest allocation.
const BAR_WIDTH: u32 = 440;
/// Height of one project's row in the chart.
const ROW_HEIGHT: usize = 48;

/// Meetings shown on the page, newest first.
const MEETINGS_SHOWN: usize = 10;

/// Each general assembly, the latest held first, as members read it.
fn assemblies(community: &agora_projections::CommunityState) -> Vec<String> {
    let mut held: Vec<_> = community.assemblies.by_id.values().collect();
    held.sort_by_key(|assembly| std::cmp::Reverse(assembly.convened.held_at));
    held.into_iter()
        .map(|assembly| {
            let convened = &assembly.convened;
            let kind = match convened.kind {
                agora_events::AssemblyKind::Ordinary => "ordinaire",
                agora_events::AssemblyKind::Extraordinary => "extraordinaire",
            };
            let second = if convened.second_convocation_of.is_some() {
                ", sur seconde convocation"
            } else {
                ""
            };
            let sheet = match &assembly.attendance {
                None => "feuille de présence à venir".to_owned(),
                Some((_, sheet)) => format!(
                    "{} présents, {} représentés sur {} membres, quorum {}",
                    sheet.present.len(),
                    sheet.represented.len(),
                    sheet.members,
                    if sheet.quorum_met {
                        "atteint"
                    } else {
                        "non atteint"
                    }
                ),
            };
            let minutes = if assembly.minutes.is_some() {
                "; procès-verbal enregistré"
            } else {
                ""
            };
            format!(
                "Assemblée générale {kind}{second}, le {} à {} : {sheet}{minutes}.",
                fr::date(convened.held_at),
                convened.place
            )
        })
        .collect()
}

/// Who holds the representative's mandate at `now`, in a sentence.
fn representative(
    state: &AppState,
    community: &agora_projections::CommunityState,
    now: Timestamp,
) -> Option<String> {
    let mandate = community.representation.holder_at(now)?;
    let name = crate::http::pioneers::display_name(state, community, mandate.pioneer_id)
        .unwrap_or_else(|| "un membre".to_owned());
    Some(format!(
        "{name}, élu(e) le {}, mandat jusqu'au {}.",
        fr::date(mandate.from),
        fr::date(mandate.until)
    ))
}

/// The latest meetings and social events, from the store's index.
async fn meetings(state: &AppState, visit: &Visit) -> Result<Vec<String>, Failure> {
    let (_, events) = state
        .ledger
        .newest_of_list(
            &visit.community,
            (crate::ledger::index::MEETINGS, visit.view.revision),
            0,
            MEETINGS_SHOWN,
        )
        .await
        .map_err(ApiError::from)?;
    Ok(events
        .into_iter()
        .filter_map(|(event, _)| match event {
            agora_events::Event::MeetingRecorded(meeting) => Some(format!(
                "{} — {} : {} ({})",
                crate::french::day(meeting.held_on),
                match meeting.kind {
                    agora_events::MeetingKind::Working => "réunion de travail",
                    agora_events::MeetingKind::Social => "événement de convivialité",
                },
                meeting.purpose,
                match meeting.attendees.len() {
                    0 => "aucun présent nommé".to_owned(),
                    1 => "1 présent".to_owned(),
                    many => format!("{many} présents"),
                }
            )),
            _ => None,
        })
        .collect())
}

/// The French words of each figure the verification checks.
fn check_words(rule: &str) -> &'static str {
    match rule {
        "time-credits-zero-sum" => "La somme de tous les soldes de temps est nulle",
        "recorded-balances-follow-movements" => "Chaque solde suit les mouvements enregistrés",
        "capital-equals-paid-shares" => {
            "Le capital égale les parts libérées détenues × leur valeur nominale"
        }
        "allocations-within-receipts" => "Les fonds attribués ne dépassent pas les fonds reçus",
        "expenses-within-allocations" => "Aucune dépense ne dépasse son attribution",
        "budget-totals-add-up" => {
            "Le total de chaque budget prévisionnel est la somme de ses lignes"
        }
        _ => "Une vérification des chiffres",
    }
}

fn width(part: Euros, whole: Decimal) -> u32 {
    if whole.is_zero() {
        return 0;
    }
    (part.value() / whole * Decimal::from(BAR_WIDTH))
        .round()
        .to_u32()
        .unwrap_or(0)
        .min(BAR_WIDTH)
}

/// `/c/{community}/assemblee`.
pub async fn assembly(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let folded = state
        .assembly_folds
        .of(&state.ledger, &visit.community)
        .await
        .map_err(ApiError::from)?;
    let verification = folded.verification;
    let community = &visit.view.state;
    let register = &community.register;
    let funds = &community.funds;
    let floor = register.capital_floor();
    let title_of = |project: ProjectId| {
        community
            .projects
            .get(project)
            .map_or_else(|| "un projet".to_owned(), |project| project.title.clone())
    };
    // Per project: what was allocated, what was spent.
    let mut per_project: Vec<(ProjectId, Euros, Euros)> = Vec::new();
    for allocation in funds.allocations.values() {
        let project = allocation.allocated.project_id;
        let add = |total: Euros, amount: Euros| total.checked_add(amount).unwrap_or(total);
        match per_project.iter_mut().find(|(id, _, _)| *id == project) {
            Some((_, allocated, spent)) => {
                *allocated = add(*allocated, allocation.allocated.amount);
                *spent = add(*spent, allocation.spent);
            }
            None => per_project.push((project, allocation.allocated.amount, allocation.spent)),
        }
    }
    let largest = per_project
        .iter()
        .map(|(_, allocated, _)| allocated.value())
        .max()
        .unwrap_or_default();
    let projects: Vec<ProjectFunds> = per_project
        .iter()
        .enumerate()
        .map(|(row, &(project, allocated, spent))| {
            let allocated_width = width(allocated, largest);
            ProjectFunds {
                title: title_of(project),
                allocated: fr::euros(allocated),
                spent: fr::euros(spent),
                remaining: fr::euros(allocated.checked_sub(spent).unwrap_or_default()),
                y: row * ROW_HEIGHT,
                allocated_width,
                spent_width: width(spent, largest),
                text_x: allocated_width + 8,
            }
        })
        .collect();
    let expenses = funds
        .allocations
        .values()
        .flat_map(|allocation| allocation.expenses.iter())
        .map(|(at, expense)| {
            format!(
                "{} — {} à {} pour « {} » (pièce {})",
                fr::date(*at),
                fr::euros(expense.amount),
                expense.payee,
                title_of(expense.project_id),
                expense.reference
            )
        })
        .collect();
    let problem = verification
        .first_break
        .as_ref()
        .map(|broken| format!("le maillon n° {} est rompu.", broken.revision))
        .unwrap_or_default();
    let capital_points = folded.capital;
    let now = Timestamp::new(chrono::Utc::now());
    let page = Assembly {
        capital_chart: capital_chart(&capital_points, now),
        layout: visit.layout("assemblee", None, None),
        intact: verification.ok(),
        events: verification.verified,
        head: verification.head.to_string(),
        problem,
        checks: verification
            .checks
            .iter()
            .map(|check| {
                let mark = if check.holds { "✓" } else { "✗" };
                format!("{mark} {}", check_words(check.rule))
            })
            .collect(),
        capital: fr::euros(register.capital),
        held_shares: register
            .subscriptions()
            .map(|subscription| subscription.held_paid_shares())
            .sum(),
        highest: fr::euros(register.highest_capital),
        floor: fr::euros(floor),
        received: fr::euros(funds.received),
        allocated: fr::euros(funds.allocated),
        spent: fr::euros(funds.spent),
        chart_height: projects.len().max(1) * ROW_HEIGHT,
        projects,
        expenses,
        assemblies: assemblies(community),
        representative: representative(&state, community, now),
        candidates: community
            .representation
            .candidates
            .keys()
            .map(|&id| visit.name_of(&state, id))
            .collect(),
        meetings: meetings(&state, &visit).await?,
    };
    Ok(html(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct Period {
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

/// `/c/{community}/assemblee/rapport?du=&au=`: the assembly report for a
/// period, printable, in French.
pub async fn report(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(period): PageQuery<Period>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    use crate::audit::report::{build, parse_bound};
    let visit = Visit::start(&state, &headers, &slug)?;
    let bound = |text: &str, end_of_day: bool| {
        parse_bound(text, end_of_day).map_err(|_| Failure::bad_form("invalid-form"))
    };
    let from = match period.du.trim() {
        "" => visit.view.state.created_at,
        text => bound(text, false)?,
    };
    let to = match period.au.trim() {
        "" => agora_events::Timestamp::new(chrono::Utc::now()),
        text => bound(text, true)?,
    };
    let mut events = Vec::new();
    loop {
        let page = state
            .ledger
            .read_log(&visit.community, events.len() as u64, 1_000)
            .await
            .map_err(ApiError::from)?;
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    let report = build(&events, from, to).map_err(|_| Failure::bad_form("period-order"))?;
    let mut response = report.to_html().into_response();
    super::page_headers(response.headers_mut());
    // The report carries its own style in the page.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "web/historique.html")]
struct History {
    layout: Layout,
    id: String,
    total: u64,
    events: Vec<HistoryRow>,
}

struct HistoryRow {
    revision: u64,
    date: String,
    kind: String,
    actor: String,
    hash: String,
}

#[derive(Deserialize)]
pub struct Entity {
    id: String,
}

/// Most events a history page shows.
const HISTORY_SHOWN: usize = 200;

/// `/c/{community}/historique?id=`: every event about one entity.
pub async fn history(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(entity): PageQuery<Entity>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    let text = entity.id.trim();
    let id = text
        .split_once(':')
        .map_or(text, |(_, id)| id)
        .parse::<uuid::Uuid>()
        .map_err(|_| Failure::missing("history-not-found"))?;
    let (total, events) = state
        .ledger
        .history(&visit.community, id, visit.view.revision, 0, HISTORY_SHOWN)
        .await
        .map_err(ApiError::from)?;
    if total == 0 {
        return Err(Failure::missing("history-not-found"));
    }
    let rows = events
        .iter()
        .map(|committed| {
            let metadata = committed.record.decode().ok().map(|(_, metadata)| metadata);
            let actor = metadata.as_ref().map_or_else(String::new, |metadata| {
                match metadata.actor.id.parse::<PioneerId>() {
                    Ok(pioneer) => visit.name_of(&state, pioneer),
                    Err(_) => metadata.actor.id.clone(),
                }
            });
            HistoryRow {
                revision: committed.revision,
                date: metadata.map_or_else(String::new, |metadata| fr::date(metadata.recorded_at)),
                kind: fr::event(&committed.record.event_type),
                actor,
                hash: committed.record.hash.to_string()[..16].to_owned(),
            }
        })
        .collect();
    let page = History {
        layout: visit.layout("assemblee", None, None),
        id: text.to_owned(),
        total,
        events: rows,
    };
    Ok(html(StatusCode::OK, &page).into_response())
}
