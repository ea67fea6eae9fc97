//! The assembly report: what happened in a community over a period, from
//! the log alone — capital movements, members in and out, ballots and their
//! results, receipts, allocations and expenses per project, time-credit
//! activity — and the chain head hash at the period's end, for the minutes.
//!
//! One computation, three renderings: JSON, CSV (one row per figure or line,
//! for a spreadsheet) and a printable HTML page in French. Every figure of
//! the HTML carries `data-figure="<name>"` with the same name and value as
//! the JSON, so the two can be checked against each other.

use std::collections::{BTreeMap, BTreeSet};

use agora_events::{
    AccountId, AllocationId, AssemblyKind, BudgetScope, Decision, Euros, EurosTotal, Event,
    EventId, FundsRecord, Hash, Hours, HoursTotal, MeetingKind, Metadata, PioneerId, ProjectId,
    Quantity, Timestamp,
};
use agora_projections::CommunityState;
use chrono::Datelike;
use serde::Serialize;

use crate::ledger::Committed;

/// The CSV and HTML renderings.
mod render;

pub(crate) use render::csv_field;

#[derive(Debug, Clone, Serialize)]
pub struct CapitalSection {
    pub at_start: Euros,
    pub at_end: Euros,
    pub highest: Euros,
    pub subscriptions: usize,
    pub shares_subscribed: u64,
    pub amount_subscribed: EurosTotal,
    pub payments: usize,
    /// Net of the corrections of payments in the period.
    pub amount_paid: EurosTotal,
    pub payment_corrections: usize,
    pub redemptions: usize,
    pub shares_redeemed: u64,
    pub amount_redeemed: EurosTotal,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberLine {
    pub pioneer_id: String,
    pub college: String,
    pub at: Timestamp,
    /// For exclusions.
    pub reason: Option<String>,
    /// The organisation's name, when the member is one.
    pub organisation: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MembersSection {
    pub at_start: usize,
    pub at_end: usize,
    pub admitted_count: usize,
    pub left_count: usize,
    pub excluded_count: usize,
    pub admitted: Vec<MemberLine>,
    pub left: Vec<MemberLine>,
    pub excluded: Vec<MemberLine>,
    pub forgotten: usize,
    /// Members at the end that are organisations.
    pub organisations_at_end: usize,
}

/// A general assembly held in the period.
#[derive(Debug, Clone, Serialize)]
pub struct AssemblyLine {
    pub assembly_id: String,
    pub held_at: Timestamp,
    /// `ordinary` or `extraordinary`.
    pub kind: &'static str,
    pub place: String,
    /// 1, or 2 for a second convocation.
    pub convocation: u8,
    /// `null` while its attendance is not recorded.
    pub members: Option<u32>,
    pub present: Option<usize>,
    pub represented: Option<usize>,
    pub quorum_required: Option<u32>,
    pub quorum_met: bool,
    /// Ballots of its session.
    pub ballots: usize,
    /// SHA-256 of its signed minutes, once recorded.
    pub minutes_sha256: Option<Hash>,
}

/// Who holds the community's representative mandate.
#[derive(Debug, Clone, Serialize)]
pub struct RepresentativeLine {
    pub pioneer_id: String,
    pub from: Timestamp,
    pub until: Timestamp,
    /// The election it comes from.
    pub ballot_id: String,
    /// Still running at the period's end.
    pub in_force_at_end: bool,
}

/// One meeting or social event recorded in the period.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingLine {
    pub held_on: chrono::NaiveDate,
    /// `working` or `social`.
    pub kind: &'static str,
    pub purpose: String,
    /// The project a working meeting followed.
    pub project: Option<String>,
    pub attendees: usize,
}

/// Whether a year had the social event the statutes ask for.
#[derive(Debug, Clone, Serialize)]
pub struct SocialYear {
    pub year: i32,
    pub social_events: usize,
    /// At least one social event was held that year.
    pub met: bool,
}

/// Meetings and social events: those recorded in the period, and, for each
/// year the period touches, whether it had its social event.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingsSection {
    pub working_meetings: usize,
    pub social_events: usize,
    pub meetings: Vec<MeetingLine>,
    pub social_by_year: Vec<SocialYear>,
}

/// Applications to join over the period.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicationsSection {
    pub received: usize,
    pub admitted: usize,
    pub declined: usize,
    pub withdrawn: usize,
    /// Waiting for a decision at the period's end.
    pub pending_at_end: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BallotLine {
    pub ballot_id: String,
    pub question: String,
    pub method: String,
    pub kind: String,
    pub closed_at: Timestamp,
    pub votes_counted: u32,
    pub winner: Option<String>,
    pub results: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MoneyLine {
    pub at: Timestamp,
    pub reference: String,
    pub label: String,
    pub amount: Euros,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProjectFunds {
    pub project_id: String,
    pub title: String,
    /// Allocations in the period, with their decision.
    pub allocations: Vec<MoneyLine>,
    /// Expenses in the period.
    pub expenses: Vec<MoneyLine>,
    pub allocated_in_period: EurosTotal,
    pub spent_in_period: EurosTotal,
    /// Since the beginning, at the period's end.
    pub allocated_total: EurosTotal,
    pub spent_total: EurosTotal,
}

#[derive(Debug, Clone, Serialize)]
pub struct FundsSection {
    pub receipts: Vec<MoneyLine>,
    pub received_in_period: EurosTotal,
    pub allocated_in_period: EurosTotal,
    pub spent_in_period: EurosTotal,
    /// Received and not allocated, at the period's end.
    pub available_at_end: Euros,
    pub projects: Vec<ProjectFunds>,
}

/// One line of a forecast budget against what was booked to it, at the
/// period's end.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetReportLine {
    pub code: String,
    pub label: String,
    pub forecast: Euros,
    pub spent: Euros,
    /// Negative once overspent.
    pub remaining: Euros,
    pub over_forecast: bool,
}

/// A forecast budget (the community's or a project's) against actual
/// spending since the beginning, at the period's end.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetReport {
    /// `community`, or the project's id.
    pub scope: String,
    /// The community's name, or the project's title.
    pub title: String,
    pub forecast: Euros,
    pub spent: Euros,
    /// Spent in the budget's scope on none of its lines.
    pub unbudgeted: Euros,
    pub lines: Vec<BudgetReportLine>,
    /// Codes of the lines spent beyond their forecast.
    pub over_forecast: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeCreditsSection {
    /// Hours moved by exchanges, transfers and reversals in the period
    /// (the settlements of departures are not activity; `GET …/accounts`
    /// counts the same).
    pub volume: HoursTotal,
    pub exchanges: usize,
    pub transfers: usize,
    pub reversals: usize,
    /// Accounts that paid or received in those movements.
    pub active_traders: usize,
    /// Always 0.00 in a mutual-credit system.
    pub sum_of_balances_at_end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainSection {
    /// Hash of the last event before the period's end: quote it in the minutes.
    pub head_hash_at_end: Hash,
    pub events_at_end: u64,
    pub events_in_period: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct AssemblyReport {
    pub community: String,
    pub name: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub capital: CapitalSection,
    pub members: MembersSection,
    pub applications: ApplicationsSection,
    pub meetings: MeetingsSection,
    /// General assemblies held in the period, in order.
    pub assemblies: Vec<AssemblyLine>,
    /// The latest representative's mandate granted before the period's end.
    pub representative: Option<RepresentativeLine>,
    pub ballots_closed: usize,
    pub ballots: Vec<BallotLine>,
    pub funds: FundsSection,
    /// The budgets in force at the period's end, the community's first.
    pub budgets: Vec<BudgetReport>,
    pub time_credits: TimeCreditsSection,
    /// Each project's impact indicators measured by the period's end.
    pub impact: Vec<ImpactLine>,
    pub chain: ChainSection,
}

/// One impact indicator of one project: its latest value at the period's
/// start and at its end, and how many measurements the period recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ImpactLine {
    pub project_id: String,
    pub project: String,
    pub indicator: String,
    pub label: String,
    /// `individual_engagement`, `synergy` or `societal_impact`.
    pub compass: &'static str,
    pub unit: String,
    /// `higher_is_better` or `lower_is_better`.
    pub direction: &'static str,
    pub at_start: Option<Quantity>,
    pub at_end: Quantity,
    pub measured_on: chrono::NaiveDate,
    pub measurements_in_period: usize,
}

/// The impact lines: every indicator measured for a project by the end,
/// in the order of the statutes (indicators they no longer define last).
fn impact(
    start: &CommunityState,
    end: &CommunityState,
    in_period: &[(EventId, Event, Metadata)],
) -> Vec<ImpactLine> {
    use agora_events::{Compass, Direction};
    let mut projects: Vec<_> = end.projects.by_id.values().collect();
    projects.sort_by_key(|project| project.sequence);
    let position = |code: &str| {
        end.statutes
            .indicators
            .iter()
            .position(|indicator| indicator.code == code)
            .unwrap_or(usize::MAX)
    };
    let mut lines = Vec::new();
    for project in projects {
        let mut codes: Vec<&String> = project.measures.keys().collect();
        codes.sort_by_key(|code| position(code));
        for code in codes {
            let measure = &project.measures[code];
            let indicator = end.statutes.indicator(code);
            let at_start = start
                .projects
                .get(project.id)
                .and_then(|project| project.measures.get(code))
                .map(|measure| measure.value);
            let measurements_in_period = in_period
                .iter()
                .filter(|(_, event, _)| {
                    matches!(event, Event::IndicatorMeasured(measured)
                        if measured.project_id == project.id && measured.indicator == *code)
                })
                .count();
            lines.push(ImpactLine {
                project_id: project.id.to_string(),
                project: project.title.clone(),
                indicator: code.clone(),
                label: indicator.map_or_else(|| code.clone(), |i| i.label.clone()),
                compass: match indicator.map(|i| i.compass) {
                    Some(Compass::IndividualEngagement) => "individual_engagement",
                    Some(Compass::Synergy) => "synergy",
                    Some(Compass::SocietalImpact) => "societal_impact",
                    None => "",
                },
                unit: indicator.map(|i| i.unit.clone()).unwrap_or_default(),
                direction: match indicator.map(|i| i.direction) {
                    Some(Direction::HigherIsBetter) => "higher_is_better",
                    Some(Direction::LowerIsBetter) => "lower_is_better",
                    None => "",
                },
                at_start,
                at_end: measure.value,
                measured_on: measure.measured_on,
                measurements_in_period,
            });
        }
    }
    lines
}

/// Reads a period bound: an RFC 3339 instant, or a date `YYYY-MM-DD`
/// meaning midnight UTC at its start (`end_of_day` moves an end date to the
/// next midnight, so that a period "to 2026-06-30" includes that day).
pub fn parse_bound(text: &str, end_of_day: bool) -> Result<Timestamp, String> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant);
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("{text:?} is neither a date (2026-06-30) nor an RFC 3339 instant"))?;
    let date = if end_of_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(Timestamp::new(
        date.and_time(chrono::NaiveTime::MIN).and_utc(),
    ))
}

/// How a report is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            "html" => Ok(Self::Html),
            other => Err(format!("format {other:?} is not json, csv or html")),
        }
    }
}

impl AssemblyReport {
    /// The report rendered, with its media type.
    pub fn render(&self, format: Format) -> (&'static str, String) {
        match format {
            Format::Json => (
                "application/json",
                serde_json::to_string_pretty(self).expect("reports serialize"),
            ),
            Format::Csv => ("text/csv; charset=utf-8", self.to_csv()),
            Format::Html => ("text/html; charset=utf-8", self.to_html()),
        }
    }
}

/// Why a report cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the period must end after it starts")]
    EmptyPeriod,
    #[error("the community did not exist before the period's end")]
    NoCommunity,
    #[error("the log cannot be read: {0}")]
    Unreadable(String),
}

fn sum(values: impl Iterator<Item = Euros>) -> EurosTotal {
    values.fold(EurosTotal::ZERO, EurosTotal::plus)
}

/// Builds the report for `[from, to)` from a community's whole log.
pub fn build(
    events: &[Committed],
    from: Timestamp,
    to: Timestamp,
) -> Result<AssemblyReport, ReportError> {
    if to <= from {
        return Err(ReportError::EmptyPeriod);
    }
    let mut state: Option<CommunityState> = None;
    let mut at_start: Option<CommunityState> = None;
    let mut in_period: Vec<(EventId, Event, Metadata)> = Vec::new();
    let mut head = Hash::GENESIS;
    let mut events_at_end = 0;
    // The day of every social event recorded before the period's end.
    let mut social_days = Vec::new();
    let mut last_recorded_at = from;
    for committed in events {
        let (event, metadata) = committed
            .record
            .decode()
            .map_err(|error| ReportError::Unreadable(error.to_string()))?;
        let at = metadata.recorded_at;
        if at >= to {
            break;
        }
        if at >= from && at_start.is_none() {
            at_start = Some(state.clone().unwrap_or_else(|| empty_like(&event, at)));
        }
        if let Event::MeetingRecorded(meeting) = &event
            && meeting.kind == MeetingKind::Social
        {
            social_days.push(meeting.held_on);
        }
        CommunityState::evolve(&mut state, &event, committed.record.event_id, at);
        head = committed.record.hash;
        events_at_end += 1;
        last_recorded_at = at;
        if at >= from {
            in_period.push((committed.record.event_id, event, metadata));
        }
    }
    let end = state.ok_or(ReportError::NoCommunity)?;
    let start = at_start.unwrap_or_else(|| end.clone());
    // The years the period touches that the community lived through.
    let years = (
        from.instant().year().max(end.created_at.instant().year()),
        (to.instant() - chrono::Duration::nanoseconds(1))
            .year()
            .min(last_recorded_at.instant().year()),
    );
    let meetings = meetings(&end, &in_period, &social_days, years);
    Ok(assemble(
        &start,
        &end,
        &in_period,
        (from, to),
        head,
        events_at_end,
        meetings,
    ))
}

/// A community as it stood before its creation, when the period starts
/// before it: no members, no capital.
fn empty_like(event: &Event, at: Timestamp) -> CommunityState {
    match event {
        Event::CommunityCreated(created) => {
            CommunityState::founded(created.slug.clone(), created.statutes.clone(), at)
        }
        _ => unreachable!("a community's log starts with its creation"),
    }
}

fn assemble(
    start: &CommunityState,
    end: &CommunityState,
    in_period: &[(EventId, Event, Metadata)],
    (from, to): (Timestamp, Timestamp),
    head: Hash,
    events_at_end: u64,
    meetings: MeetingsSection,
) -> AssemblyReport {
    let college_of = |id| {
        end.pioneer(id)
            .map(|p| p.college.clone())
            .unwrap_or_default()
    };
    let mut capital = CapitalSection {
        at_start: start.register.capital,
        at_end: end.register.capital,
        highest: end.register.highest_capital,
        subscriptions: 0,
        shares_subscribed: 0,
        amount_subscribed: EurosTotal::ZERO,
        payments: 0,
        amount_paid: EurosTotal::ZERO,
        payment_corrections: 0,
        redemptions: 0,
        shares_redeemed: 0,
        amount_redeemed: EurosTotal::ZERO,
    };
    let mut members = MembersSection {
        at_start: start.pioneers.values().filter(|p| p.is_active()).count(),
        at_end: end.pioneers.values().filter(|p| p.is_active()).count(),
        admitted_count: 0,
        left_count: 0,
        excluded_count: 0,
        admitted: Vec::new(),
        left: Vec::new(),
        excluded: Vec::new(),
        forgotten: 0,
        organisations_at_end: end
            .pioneers
            .values()
            .filter(|p| p.is_active() && p.organisation.is_some())
            .count(),
    };
    let organisation_of = |id| {
        end.pioneer(id)
            .and_then(|p| p.organisation.as_ref())
            .map(|organisation| organisation.name.clone())
    };
    let mut applications = ApplicationsSection {
        received: 0,
        admitted: 0,
        declined: 0,
        withdrawn: 0,
        pending_at_end: end
            .applications
            .by_applicant
            .values()
            .filter(|application| application.is_pending())
            .count(),
    };
    // Who had an application pending: an admission of one of them is an
    // application admitted.
    let mut applying: BTreeSet<PioneerId> = start
        .applications
        .by_applicant
        .values()
        .filter(|application| application.is_pending())
        .map(|application| application.applicant)
        .collect();
    let mut ballots = Vec::new();
    let mut receipts = Vec::new();
    let mut per_project: BTreeMap<ProjectId, (Vec<MoneyLine>, Vec<MoneyLine>)> = BTreeMap::new();
    let mut traders: BTreeSet<AccountId> = BTreeSet::new();
    let (mut volume, mut exchanges, mut transfers, mut reversals) = (HoursTotal::ZERO, 0, 0, 0);
    let mut moved = |payer, payee, hours: Hours, traders: &mut BTreeSet<AccountId>| {
        traders.insert(payer);
        traders.insert(payee);
        volume = volume.plus(hours);
    };
    for (_, event, metadata) in in_period {
        let at = metadata.recorded_at;
        match event {
            Event::SharesSubscribed(e) => {
                capital.subscriptions += 1;
                capital.shares_subscribed += u64::from(e.shares);
                capital.amount_subscribed = capital.amount_subscribed.plus(e.amount);
            }
            Event::SharePaymentRecorded(e) => {
                capital.payments += 1;
                capital.amount_paid = capital.amount_paid.plus(e.amount);
            }
            Event::SharePaymentCorrected(e) => {
                capital.payment_corrections += 1;
                capital.amount_paid = capital.amount_paid.minus(e.amount_before).plus(e.amount);
            }
            Event::SharesRedeemed(e) => {
                capital.redemptions += 1;
                capital.shares_redeemed += u64::from(e.shares);
                capital.amount_redeemed = capital.amount_redeemed.plus(e.amount);
            }
            Event::PioneerAdmitted(e) => {
                if applying.remove(&e.pioneer_id) {
                    applications.admitted += 1;
                }
                members.admitted.push(MemberLine {
                    pioneer_id: e.pioneer_id.to_string(),
                    college: e.college.clone(),
                    at,
                    reason: None,
                    organisation: e.organisation.as_ref().map(|o| o.name.clone()),
                })
            }
            Event::ApplicationSubmitted(e) => {
                applications.received += 1;
                applying.insert(e.applicant);
            }
            Event::ApplicationDeclined(e) => {
                applications.declined += 1;
                applying.remove(&e.applicant);
            }
            Event::ApplicationWithdrawn(e) => {
                applications.withdrawn += 1;
                applying.remove(&e.applicant);
            }
            Event::PioneerLeft(e) => members.left.push(MemberLine {
                pioneer_id: e.pioneer_id.to_string(),
                college: college_of(e.pioneer_id),
                at,
                reason: None,
                organisation: organisation_of(e.pioneer_id),
            }),
            Event::PioneerExcluded(e) => members.excluded.push(MemberLine {
                pioneer_id: e.pioneer_id.to_string(),
                college: college_of(e.pioneer_id),
                at,
                reason: Some(e.reason.clone()),
                organisation: organisation_of(e.pioneer_id),
            }),
            Event::PioneerForgotten(_) => members.forgotten += 1,
            Event::BallotClosed(e) => {
                let opened = end.ballots.get(e.ballot_id).map(|ballot| &ballot.opened);
                let label = |option: &str| {
                    opened
                        .and_then(|o| o.options.iter().find(|x| x.option_id == option))
                        .map_or_else(|| option.to_owned(), |x| x.label.clone())
                };
                ballots.push(BallotLine {
                    ballot_id: e.ballot_id.to_string(),
                    question: opened.map(|o| o.question.clone()).unwrap_or_default(),
                    method: opened
                        .map(|o| format!("{:?}", o.method).to_lowercase())
                        .unwrap_or_default(),
                    kind: opened
                        .map(|o| format!("{:?}", o.kind).to_lowercase())
                        .unwrap_or_default(),
                    closed_at: at,
                    votes_counted: e.votes_counted,
                    winner: e.winner.as_deref().map(label),
                    results: e
                        .results
                        .iter()
                        .map(|r| (label(&r.option_id), r.score.clone()))
                        .collect(),
                });
            }
            Event::FundsReceived(e) => receipts.push(MoneyLine {
                at,
                reference: e.reference.clone(),
                label: e.source.clone(),
                amount: e.amount,
            }),
            Event::FundsAllocated(e) => {
                per_project
                    .entry(e.project_id)
                    .or_default()
                    .0
                    .push(MoneyLine {
                        at,
                        reference: match &e.decision {
                            Decision::Ballot { ballot_id } => format!("scrutin {ballot_id}"),
                            Decision::Assembly { reference } => reference.clone(),
                            Decision::Session { assembly_id } => {
                                format!("assemblée générale {assembly_id}")
                            }
                        },
                        label: "allocation".into(),
                        amount: e.amount,
                    })
            }
            Event::ExpenseRecorded(e) => {
                per_project
                    .entry(e.project_id)
                    .or_default()
                    .1
                    .push(MoneyLine {
                        at,
                        reference: e.reference.clone(),
                        label: e.payee.clone(),
                        amount: e.amount,
                    })
            }
            // Corrections and releases are lines of their own, with the
            // change they make (negative when they lower a figure), so that
            // the period's sums are net of them.
            Event::FundsCorrected(e) => {
                let line = MoneyLine {
                    at,
                    reference: format!("correction de l'événement {}", e.corrects),
                    label: e.reason.clone(),
                    amount: e.amount.checked_sub(e.amount_before).unwrap_or_default(),
                };
                let project_of = |allocation: &AllocationId| {
                    end.funds
                        .allocations
                        .get(allocation)
                        .map(|allocation| allocation.allocated.project_id)
                };
                match e.record {
                    FundsRecord::Receipt { .. } => receipts.push(line),
                    FundsRecord::Allocation { allocation_id } => {
                        if let Some(project) = project_of(&allocation_id) {
                            per_project.entry(project).or_default().0.push(line);
                        }
                    }
                    FundsRecord::Expense { expense_id } => {
                        let project = end
                            .funds
                            .expense_allocations
                            .get(&expense_id)
                            .and_then(project_of);
                        if let Some(project) = project {
                            per_project.entry(project).or_default().1.push(line);
                        }
                    }
                }
            }
            Event::AllocationReleased(e) => {
                per_project
                    .entry(e.project_id)
                    .or_default()
                    .0
                    .push(MoneyLine {
                        at,
                        reference: format!("allocation {}", e.allocation_id),
                        label: "non dépensé, libéré à la fin du projet".into(),
                        amount: Euros::ZERO.checked_sub(e.released).unwrap_or_default(),
                    })
            }
            Event::ExchangeConfirmed(e) => {
                exchanges += 1;
                moved(e.receiver, e.provider, e.hours, &mut traders);
            }
            Event::ExchangeReversed(e) => {
                reversals += 1;
                moved(e.provider, e.receiver, e.hours, &mut traders);
            }
            Event::TimeCreditsTransferred(e) => {
                transfers += 1;
                moved(e.payer, e.payee, e.hours, &mut traders);
            }
            _ => {}
        }
    }
    let projects: Vec<ProjectFunds> = per_project
        .into_iter()
        .map(|(project_id, (allocations, expenses))| {
            let total = |pick: fn(&agora_projections::Allocation) -> Euros| {
                sum(end.funds.of_project(project_id).map(pick))
            };
            ProjectFunds {
                project_id: project_id.to_string(),
                title: end
                    .projects
                    .get(project_id)
                    .map(|p| p.title.clone())
                    .unwrap_or_default(),
                allocated_in_period: sum(allocations.iter().map(|line| line.amount)),
                spent_in_period: sum(expenses.iter().map(|line| line.amount)),
                allocated_total: total(|a| a.allocated.amount),
                spent_total: total(|a| a.spent),
                allocations,
                expenses,
            }
        })
        .collect();
    members.admitted_count = members.admitted.len();
    members.left_count = members.left.len();
    members.excluded_count = members.excluded.len();
    let funds = FundsSection {
        received_in_period: sum(receipts.iter().map(|line| line.amount)),
        allocated_in_period: sum(projects
            .iter()
            .flat_map(|p| &p.allocations)
            .map(|l| l.amount)),
        spent_in_period: sum(projects.iter().flat_map(|p| &p.expenses).map(|l| l.amount)),
        available_at_end: end.funds.unallocated(),
        receipts,
        projects,
    };
    AssemblyReport {
        community: end.slug.to_string(),
        budgets: budgets(end),
        impact: impact(start, end, in_period),
        name: end.statutes.name.clone(),
        from,
        to,
        capital,
        members,
        applications,
        meetings,
        assemblies: assemblies(end, (from, to)),
        representative: end
            .representation
            .mandate
            .as_ref()
            .map(|mandate| RepresentativeLine {
                pioneer_id: mandate.pioneer_id.to_string(),
                from: mandate.from,
                until: mandate.until,
                ballot_id: mandate.ballot_id.to_string(),
                in_force_at_end: mandate.until >= to,
            }),
        ballots_closed: ballots.len(),
        ballots,
        funds,
        time_credits: TimeCreditsSection {
            volume,
            exchanges,
            transfers,
            reversals,
            active_traders: traders.len(),
            sum_of_balances_at_end: format!("{:.2}", end.market.sum_of_balances()),
        },
        chain: ChainSection {
            head_hash_at_end: head,
            events_at_end,
            events_in_period: in_period.len() as u64,
        },
    }
}

/// Every budget in force at the end, the community's first (its key sorts
/// first), with its figures.
fn budgets(end: &CommunityState) -> Vec<BudgetReport> {
    end.funds
        .budgets
        .keys()
        .filter_map(|scope| {
            let figures = end.funds.budget_figures(*scope)?;
            let (scope, title) = match scope {
                BudgetScope::Community => ("community".to_owned(), end.statutes.name.clone()),
                BudgetScope::Project { project_id } => (
                    project_id.to_string(),
                    end.projects
                        .get(*project_id)
                        .map(|project| project.title.clone())
                        .unwrap_or_default(),
                ),
            };
            Some(BudgetReport {
                scope,
                title,
                forecast: figures.budget.total,
                spent: figures.spent,
                unbudgeted: figures.unbudgeted,
                over_forecast: figures
                    .over_forecast()
                    .map(|line| line.line.code.clone())
                    .collect(),
                lines: figures
                    .lines
                    .iter()
                    .map(|line| BudgetReportLine {
                        code: line.line.code.clone(),
                        label: line.line.label.clone(),
                        forecast: line.line.forecast,
                        spent: line.spent,
                        remaining: line.remaining(),
                        over_forecast: line.over_forecast(),
                    })
                    .collect(),
            })
        })
        .collect()
}

/// The meetings recorded in the period, and each year from `first` to
/// `last` with the social events held in it (`social_days`: every one
/// recorded before the period's end, wherever it was recorded).
fn meetings(
    end: &CommunityState,
    in_period: &[(EventId, Event, Metadata)],
    social_days: &[chrono::NaiveDate],
    (first, last): (i32, i32),
) -> MeetingsSection {
    let meetings: Vec<MeetingLine> = in_period
        .iter()
        .filter_map(|(_, event, _)| match event {
            Event::MeetingRecorded(meeting) => Some(MeetingLine {
                held_on: meeting.held_on,
                kind: match meeting.kind {
                    MeetingKind::Working => "working",
                    MeetingKind::Social => "social",
                },
                purpose: meeting.purpose.clone(),
                project: meeting
                    .project_id
                    .and_then(|id| end.projects.get(id))
                    .map(|project| project.title.clone()),
                attendees: meeting.attendees.len(),
            }),
            _ => None,
        })
        .collect();
    let social_by_year = (first..=last)
        .map(|year| {
            let social_events = social_days.iter().filter(|day| day.year() == year).count();
            SocialYear {
                year,
                social_events,
                met: social_events > 0,
            }
        })
        .collect();
    MeetingsSection {
        working_meetings: meetings.iter().filter(|m| m.kind == "working").count(),
        social_events: meetings.iter().filter(|m| m.kind == "social").count(),
        meetings,
        social_by_year,
    }
}

/// The assemblies held in `[from, to)`, in the order they were held.
fn assemblies(end: &CommunityState, (from, to): (Timestamp, Timestamp)) -> Vec<AssemblyLine> {
    let mut held: Vec<_> = end
        .assemblies
        .by_id
        .values()
        .filter(|assembly| (from..to).contains(&assembly.convened.held_at))
        .collect();
    held.sort_by_key(|assembly| assembly.convened.held_at);
    held.into_iter()
        .map(|assembly| {
            let convened = &assembly.convened;
            let sheet = assembly.attendance.as_ref().map(|(_, sheet)| sheet);
            AssemblyLine {
                assembly_id: convened.assembly_id.to_string(),
                held_at: convened.held_at,
                kind: match convened.kind {
                    AssemblyKind::Ordinary => "ordinary",
                    AssemblyKind::Extraordinary => "extraordinary",
                },
                place: convened.place.clone(),
                convocation: if convened.second_convocation_of.is_some() {
                    2
                } else {
                    1
                },
                members: sheet.map(|sheet| sheet.members),
                present: sheet.map(|sheet| sheet.present.len()),
                represented: sheet.map(|sheet| sheet.represented.len()),
                quorum_required: sheet.map(|sheet| sheet.quorum_required),
                quorum_met: assembly.quorum_met(),
                ballots: end
                    .ballots
                    .by_id
                    .values()
                    .filter(|ballot| ballot.opened.assembly_id == Some(convened.assembly_id))
                    .count(),
                minutes_sha256: assembly.minutes.as_ref().map(|(_, minutes)| minutes.sha256),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use agora_events::{Actor, CommunityCreated, Role, SharesSubscribed, SubscriptionId};
    use uuid::Uuid;

    use super::*;
    use crate::audit::tests::numbered_record;

    /// `events`, recorded one a second from 2026-03-01 and chained.
    fn committed(events: Vec<Event>) -> Vec<Committed> {
        let mut head = Hash::GENESIS;
        let start: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        events
            .into_iter()
            .enumerate()
            .map(|(n, event)| {
                let treasurer = Actor {
                    id: "tresorier".into(),
                    role: Role::Treasurer,
                };
                let at = Timestamp::new(start.instant() + chrono::Duration::seconds(n as i64));
                let record = numbered_record(n, event, treasurer, at, head);
                head = record.hash;
                Committed {
                    position: n as u64,
                    revision: n as u64,
                    record: Arc::new(record),
                }
            })
            .collect()
    }

    /// Subscriptions that add up past what one amount holds are all
    /// counted: the sum is a total, not an amount that stops at its bound.
    #[test]
    fn the_amount_subscribed_passes_what_one_amount_holds() {
        let most: Euros = "999999999999.99".parse().unwrap();
        let mut events: Vec<Event> = vec![
            CommunityCreated {
                slug: "demo".parse().unwrap(),
                statutes: crate::demo::statutes(),
            }
            .into(),
        ];
        for n in 0..3 {
            events.push(
                SharesSubscribed {
                    subscription_id: SubscriptionId(Uuid::from_u128(100 + n)),
                    pioneer_id: PioneerId(Uuid::from_u128(200 + n)),
                    shares: 1,
                    nominal: most,
                    amount: most,
                }
                .into(),
            );
        }
        let report = build(
            &committed(events),
            "2026-01-01T00:00:00Z".parse().unwrap(),
            "2027-01-01T00:00:00Z".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(report.capital.subscriptions, 3);
        assert_eq!(
            report.capital.amount_subscribed.to_string(),
            "2999999999999.97"
        );
        let html = report.to_html();
        let shown =
            "data-value=\"2999999999999.97\">2\u{202f}999\u{202f}999\u{202f}999\u{202f}999,97";
        assert!(html.contains(shown), "{html}");
    }
}
