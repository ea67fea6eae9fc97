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
use std::fmt::Write as _;

use agora_events::{
    AccountId, Decision, Euros, Event, EventId, Hash, Hours, Metadata, ProjectId, Timestamp,
};
use agora_projections::CommunityState;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::ledger::Committed;

#[derive(Debug, Clone, Serialize)]
pub struct CapitalSection {
    pub at_start: Euros,
    pub at_end: Euros,
    pub highest: Euros,
    pub subscriptions: usize,
    pub shares_subscribed: u64,
    pub amount_subscribed: Euros,
    pub payments: usize,
    pub amount_paid: Euros,
    pub redemptions: usize,
    pub shares_redeemed: u64,
    pub amount_redeemed: Euros,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberLine {
    pub pioneer_id: String,
    pub college: String,
    pub at: Timestamp,
    /// For exclusions.
    pub reason: Option<String>,
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
    pub allocated_in_period: Euros,
    pub spent_in_period: Euros,
    /// Since the beginning, at the period's end.
    pub allocated_total: Euros,
    pub spent_total: Euros,
}

#[derive(Debug, Clone, Serialize)]
pub struct FundsSection {
    pub receipts: Vec<MoneyLine>,
    pub received_in_period: Euros,
    pub allocated_in_period: Euros,
    pub spent_in_period: Euros,
    /// Received and not allocated, at the period's end.
    pub available_at_end: Euros,
    pub projects: Vec<ProjectFunds>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeCreditsSection {
    pub volume: Hours,
    pub exchanges: usize,
    pub transfers: usize,
    pub reversals: usize,
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
    pub ballots_closed: usize,
    pub ballots: Vec<BallotLine>,
    pub funds: FundsSection,
    pub time_credits: TimeCreditsSection,
    pub chain: ChainSection,
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

fn sum(values: impl Iterator<Item = Euros>) -> Euros {
    values.fold(Euros::ZERO, |total, value| {
        total.checked_add(value).unwrap_or(total)
    })
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
        CommunityState::evolve(&mut state, &event, committed.record.event_id, at);
        head = committed.record.hash;
        events_at_end += 1;
        if at >= from {
            in_period.push((committed.record.event_id, event, metadata));
        }
    }
    let end = state.ok_or(ReportError::NoCommunity)?;
    let start = at_start.unwrap_or_else(|| end.clone());
    Ok(assemble(
        &start,
        &end,
        &in_period,
        from,
        to,
        head,
        events_at_end,
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
    from: Timestamp,
    to: Timestamp,
    head: Hash,
    events_at_end: u64,
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
        amount_subscribed: Euros::ZERO,
        payments: 0,
        amount_paid: Euros::ZERO,
        redemptions: 0,
        shares_redeemed: 0,
        amount_redeemed: Euros::ZERO,
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
    };
    let mut ballots = Vec::new();
    let mut receipts = Vec::new();
    let mut per_project: BTreeMap<ProjectId, (Vec<MoneyLine>, Vec<MoneyLine>)> = BTreeMap::new();
    let mut traders: BTreeSet<AccountId> = BTreeSet::new();
    let (mut volume, mut exchanges, mut transfers, mut reversals) = (Decimal::ZERO, 0, 0, 0);
    let mut moved = |payer, payee, hours: Hours, traders: &mut BTreeSet<AccountId>| {
        traders.insert(payer);
        traders.insert(payee);
        volume += hours.value();
    };
    for (_, event, metadata) in in_period {
        let at = metadata.recorded_at;
        match event {
            Event::SharesSubscribed(e) => {
                capital.subscriptions += 1;
                capital.shares_subscribed += u64::from(e.shares);
                capital.amount_subscribed = sum([capital.amount_subscribed, e.amount].into_iter());
            }
            Event::SharePaymentRecorded(e) => {
                capital.payments += 1;
                capital.amount_paid = sum([capital.amount_paid, e.amount].into_iter());
            }
            Event::SharesRedeemed(e) => {
                capital.redemptions += 1;
                capital.shares_redeemed += u64::from(e.shares);
                capital.amount_redeemed = sum([capital.amount_redeemed, e.amount].into_iter());
            }
            Event::PioneerAdmitted(e) => members.admitted.push(MemberLine {
                pioneer_id: e.pioneer_id.to_string(),
                college: e.college.clone(),
                at,
                reason: None,
            }),
            Event::PioneerLeft(e) => members.left.push(MemberLine {
                pioneer_id: e.pioneer_id.to_string(),
                college: college_of(e.pioneer_id),
                at,
                reason: None,
            }),
            Event::PioneerExcluded(e) => members.excluded.push(MemberLine {
                pioneer_id: e.pioneer_id.to_string(),
                college: college_of(e.pioneer_id),
                at,
                reason: Some(e.reason.clone()),
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
        allocated_in_period: sum(projects.iter().map(|p| p.allocated_in_period)),
        spent_in_period: sum(projects.iter().map(|p| p.spent_in_period)),
        available_at_end: end.funds.unallocated(),
        receipts,
        projects,
    };
    AssemblyReport {
        community: end.slug.to_string(),
        name: end.statutes.name.clone(),
        from,
        to,
        capital,
        members,
        ballots_closed: ballots.len(),
        ballots,
        funds,
        time_credits: TimeCreditsSection {
            volume: Hours::new(volume).unwrap_or_default(),
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

impl AssemblyReport {
    /// The named figures, as `(name, value)`: the CSV's figure rows and
    /// the HTML's `data-figure` cells.
    pub fn figures(&self) -> Vec<(&'static str, String)> {
        let c = &self.capital;
        let m = &self.members;
        let f = &self.funds;
        let t = &self.time_credits;
        vec![
            ("capital.at_start", c.at_start.to_string()),
            ("capital.at_end", c.at_end.to_string()),
            ("capital.highest", c.highest.to_string()),
            ("capital.subscriptions", c.subscriptions.to_string()),
            ("capital.amount_subscribed", c.amount_subscribed.to_string()),
            ("capital.payments", c.payments.to_string()),
            ("capital.amount_paid", c.amount_paid.to_string()),
            ("capital.redemptions", c.redemptions.to_string()),
            ("capital.amount_redeemed", c.amount_redeemed.to_string()),
            ("members.at_start", m.at_start.to_string()),
            ("members.at_end", m.at_end.to_string()),
            ("members.admitted_count", m.admitted_count.to_string()),
            ("members.left_count", m.left_count.to_string()),
            ("members.excluded_count", m.excluded_count.to_string()),
            ("members.forgotten", m.forgotten.to_string()),
            ("ballots_closed", self.ballots_closed.to_string()),
            ("funds.received_in_period", f.received_in_period.to_string()),
            (
                "funds.allocated_in_period",
                f.allocated_in_period.to_string(),
            ),
            ("funds.spent_in_period", f.spent_in_period.to_string()),
            ("funds.available_at_end", f.available_at_end.to_string()),
            ("time_credits.volume", t.volume.to_string()),
            ("time_credits.exchanges", t.exchanges.to_string()),
            ("time_credits.transfers", t.transfers.to_string()),
            ("time_credits.reversals", t.reversals.to_string()),
            ("time_credits.active_traders", t.active_traders.to_string()),
            (
                "time_credits.sum_of_balances_at_end",
                t.sum_of_balances_at_end.clone(),
            ),
            (
                "chain.head_hash_at_end",
                self.chain.head_hash_at_end.to_string(),
            ),
            ("chain.events_at_end", self.chain.events_at_end.to_string()),
            (
                "chain.events_in_period",
                self.chain.events_in_period.to_string(),
            ),
        ]
    }

    /// CSV: `section,name,date,reference,label,value`, one figure or line per
    /// row, RFC 4180 quoting.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("section,name,date,reference,label,value\r\n");
        let mut row = |fields: [&str; 6]| {
            // Text columns are neutralized against spreadsheet formulas;
            // the value column holds the figures as they are.
            let quoted: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(column, field)| csv_field(field, column < 5))
                .collect();
            out.push_str(&quoted.join(","));
            out.push_str("\r\n");
        };
        for (name, value) in self.figures() {
            let section = name.split(['.', '_']).next().unwrap_or_default();
            row([section, name, "", "", "", &value]);
        }
        for line in &self.funds.receipts {
            row([
                "funds",
                "receipt",
                &line.at.to_string(),
                &line.reference,
                &line.label,
                &line.amount.to_string(),
            ]);
        }
        for project in &self.funds.projects {
            for line in &project.allocations {
                row([
                    "funds",
                    "allocation",
                    &line.at.to_string(),
                    &line.reference,
                    &project.title,
                    &line.amount.to_string(),
                ]);
            }
            for line in &project.expenses {
                let label = format!("{} — {}", project.title, line.label);
                row([
                    "funds",
                    "expense",
                    &line.at.to_string(),
                    &line.reference,
                    &label,
                    &line.amount.to_string(),
                ]);
            }
        }
        for ballot in &self.ballots {
            let winner = ballot.winner.clone().unwrap_or_else(|| "aucun".into());
            row([
                "ballots",
                "ballot",
                &ballot.closed_at.to_string(),
                &ballot.ballot_id,
                &ballot.question,
                &winner,
            ]);
        }
        out
    }

    /// A printable HTML page, in French.
    pub fn to_html(&self) -> String {
        let figures: BTreeMap<&str, String> = self.figures().into_iter().collect();
        let figure = |name: &str| {
            format!(
                "<td class=\"n\" data-figure=\"{name}\">{}</td>",
                escape(&figures[name])
            )
        };
        let mut html = String::new();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>Rapport à l'assemblée — {name}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
             <h1>Rapport à l'assemblée générale</h1>\n<p class=\"sub\">{name} ({community})<br>\
             Période du {from} au {to} (UTC)</p>\n",
            name = escape(&self.name),
            community = escape(&self.community),
            from = french_date(self.from),
            to = french_date(self.to),
        );
        let table = |html: &mut String, title: &str, rows: &[(&str, &str)]| {
            let _ = write!(html, "<h2>{title}</h2>\n<table>\n");
            for (label, name) in rows {
                let _ = writeln!(html, "<tr><th>{label}</th>{}</tr>", figure(name));
            }
            html.push_str("</table>\n");
        };
        table(
            &mut html,
            "Capital social",
            &[
                ("Capital en début de période (€)", "capital.at_start"),
                ("Capital en fin de période (€)", "capital.at_end"),
                ("Capital le plus élevé atteint (€)", "capital.highest"),
                ("Souscriptions", "capital.subscriptions"),
                ("Montant souscrit (€)", "capital.amount_subscribed"),
                ("Versements", "capital.payments"),
                ("Montant versé (€)", "capital.amount_paid"),
                ("Remboursements de parts", "capital.redemptions"),
                ("Montant remboursé (€)", "capital.amount_redeemed"),
            ],
        );
        table(
            &mut html,
            "Sociétaires",
            &[
                ("Membres en début de période", "members.at_start"),
                ("Membres en fin de période", "members.at_end"),
                ("Admissions", "members.admitted_count"),
                ("Départs", "members.left_count"),
                ("Exclusions", "members.excluded_count"),
                ("Effacements de données personnelles", "members.forgotten"),
            ],
        );
        let _ = write!(
            html,
            "<h2>Scrutins clos</h2>\n<table>\n<tr><th>Date</th><th>Question</th><th>Méthode</th><th>Votes</th><th>Résultat</th></tr>\n"
        );
        for ballot in &self.ballots {
            let results: Vec<String> = ballot
                .results
                .iter()
                .map(|(label, score)| format!("{} : {}", escape(label), escape(score)))
                .collect();
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{} ({})</td><td class=\"n\">{}</td><td><strong>{}</strong><br><small>{}</small></td></tr>",
                french_date(ballot.closed_at),
                escape(&ballot.question),
                french_method(&ballot.method),
                french_kind(&ballot.kind),
                ballot.votes_counted,
                escape(ballot.winner.as_deref().unwrap_or("aucun vainqueur")),
                results.join(" ; ")
            );
        }
        let _ = writeln!(
            html,
            "<tr><th colspan=\"4\">Scrutins clos</th>{}</tr>\n</table>",
            figure("ballots_closed")
        );
        table(
            &mut html,
            "Fonds",
            &[
                ("Reçus sur la période (€)", "funds.received_in_period"),
                ("Affectés sur la période (€)", "funds.allocated_in_period"),
                ("Dépensés sur la période (€)", "funds.spent_in_period"),
                (
                    "Disponibles en fin de période (€)",
                    "funds.available_at_end",
                ),
            ],
        );
        let money_rows = |html: &mut String, caption: &str, lines: &[MoneyLine]| {
            if lines.is_empty() {
                return;
            }
            let _ = write!(
                html,
                "<table>\n<caption>{caption}</caption>\n<tr><th>Date</th><th>Référence</th><th>Libellé</th><th>Montant (€)</th></tr>\n"
            );
            for line in lines {
                let _ = writeln!(
                    html,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    french_date(line.at),
                    escape(&line.reference),
                    escape(&line.label),
                    line.amount
                );
            }
            html.push_str("</table>\n");
        };
        money_rows(&mut html, "Recettes", &self.funds.receipts);
        for project in &self.funds.projects {
            let _ = write!(
                html,
                "<h3>Projet : {}</h3>\n<p>Affecté au total : {} € — dépensé au total : {} €</p>\n",
                escape(&project.title),
                project.allocated_total,
                project.spent_total
            );
            money_rows(&mut html, "Affectations (décision)", &project.allocations);
            money_rows(&mut html, "Dépenses (fournisseur)", &project.expenses);
        }
        table(
            &mut html,
            "Crédits temps (heures)",
            &[
                ("Volume échangé (h)", "time_credits.volume"),
                ("Échanges confirmés", "time_credits.exchanges"),
                ("Virements directs", "time_credits.transfers"),
                ("Annulations par le jardinier", "time_credits.reversals"),
                ("Comptes actifs", "time_credits.active_traders"),
                (
                    "Somme des soldes en fin de période (h)",
                    "time_credits.sum_of_balances_at_end",
                ),
            ],
        );
        table(
            &mut html,
            "Intégrité du registre",
            &[
                (
                    "Empreinte de tête de chaîne en fin de période (SHA-256)",
                    "chain.head_hash_at_end",
                ),
                (
                    "Événements enregistrés en fin de période",
                    "chain.events_at_end",
                ),
                ("Événements de la période", "chain.events_in_period"),
            ],
        );
        html.push_str(
            "<p class=\"foot\">L'empreinte de tête de chaîne permet à chacun de vérifier, à partir d'un export \
             du registre, que rien n'a été modifié depuis (voir docs/canonical-form.md).</p>\n</body>\n</html>\n",
        );
        html
    }
}

const STYLE: &str = "body{font-family:Georgia,serif;max-width:52em;margin:2em auto;color:#222}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.6em}\
.sub{color:#555}table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums;word-break:break-all}\
caption{text-align:left;font-style:italic}.foot{color:#555;font-size:.9em}\
@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:avoid}}\n";

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn french_method(method: &str) -> &str {
    match method {
        "single" => "uninominal",
        "approval" => "par approbation",
        "ranked" => "par classement (Schulze)",
        other => other,
    }
}

fn french_kind(kind: &str) -> &str {
    match kind {
        "community" => "une voix par membre",
        "assembly" => "pondéré par collège",
        other => other,
    }
}

fn french_date(at: Timestamp) -> String {
    use chrono::Datelike;
    let date = at.instant().date_naive();
    format!(
        "{} {} {}",
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One CSV field (RFC 4180). A text that a spreadsheet would take for a
/// formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe.
fn csv_field(text: &str, is_text: bool) -> String {
    let text = if is_text && text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}
