//! The treasurer's page: share payments, receipts, allocations to
//! projects and expenses, with the share register and the capital.

use agora_events::{
    AllocationId, BallotId, BudgetScope, Decision, Euros, ExpenseId, PaymentId, PioneerId,
    ProjectId, ProjectStatus, ReceiptId, Role,
};
use agora_projections::{CommunityState, ShareRegister};
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::pages::{Done, FormFields, FormTarget, Visit, form_key, notice, run_form};
use super::{Alert, Failure, Layout, PageQuery, fr, html};
use crate::domain::{AllocateFunds, Command, RecordExpense, RecordReceipt, RecordSharePayment};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "web/tresorerie.html")]
struct Treasury {
    layout: Layout,
    received: String,
    unallocated: String,
    capital: String,
    floor: String,
    keys: Keys,
    owing: Vec<Choice>,
    projects: Vec<Choice>,
    ballots: Vec<Choice>,
    allocations: Vec<Choice>,
    /// The lines an expense may name, by budget.
    budget_lines: Vec<BudgetGroup>,
    budgets: Vec<BudgetTable>,
    register: Vec<RegisterRow>,
}

/// The lines of one budget, for the expense form.
struct BudgetGroup {
    label: String,
    lines: Vec<Choice>,
}

/// One budget against what was spent.
struct BudgetTable {
    title: String,
    rows: Vec<BudgetRow>,
    forecast: String,
    spent: String,
    unbudgeted: String,
}

struct BudgetRow {
    label: String,
    forecast: String,
    spent: String,
    remaining: String,
    over_forecast: bool,
}

struct Keys {
    payment: String,
    receipt: String,
    allocation: String,
    expense: String,
}

/// One option of a select: what is sent, what is read.
struct Choice {
    id: String,
    label: String,
}

struct RegisterRow {
    name: String,
    shares: u32,
    paid: String,
    outstanding: String,
}

/// `/c/{community}/tresorerie` (the treasurer).
pub async fn treasury(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PageQuery(done): PageQuery<Done>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visit = Visit::start(&state, &headers, &slug)?;
    visit.require(Role::Treasurer)?;
    Ok(draw(&state, &visit, StatusCode::OK, None, notice(&done)))
}

fn draw(
    state: &AppState,
    visit: &Visit,
    status: StatusCode,
    alert: Option<Alert>,
    notice: Option<String>,
) -> Response {
    let community = &visit.view.state;
    let register = &community.register;
    let funds = &community.funds;
    let holders = holders_by_name(state, visit);
    let page = Treasury {
        layout: visit.layout("tresorerie", alert, notice),
        received: fr::euros(funds.received),
        unallocated: fr::euros(
            funds
                .received
                .checked_sub(funds.allocated)
                .unwrap_or_default(),
        ),
        capital: fr::euros(register.capital),
        floor: fr::euros(register.capital_floor()),
        keys: Keys {
            payment: form_key(),
            receipt: form_key(),
            allocation: form_key(),
            expense: form_key(),
        },
        owing: owing(register, &holders),
        projects: allocatable_projects(community),
        ballots: deciding_ballots(community),
        allocations: open_allocations(community),
        budget_lines: budget_lines(community),
        budgets: budget_tables(community),
        register: register_rows(register, &holders),
    };
    html(status, &page)
}

/// Everyone who subscribed shares, by name as a French reader sorts them.
fn holders_by_name(state: &AppState, visit: &Visit) -> Vec<(String, PioneerId)> {
    let register = &visit.view.state.register;
    let mut holders: Vec<PioneerId> = register.subscriptions().map(|s| s.pioneer_id).collect();
    holders.sort();
    holders.dedup();
    let mut named: Vec<(String, PioneerId)> = holders
        .into_iter()
        .map(|holder| (visit.name_of(state, holder), holder))
        .collect();
    named.sort_by_cached_key(|(name, _)| fr::sort_key(name));
    named
}

/// Members who still owe on their shares: whom a payment can be from.
fn owing(register: &ShareRegister, holders: &[(String, PioneerId)]) -> Vec<Choice> {
    holders
        .iter()
        .filter_map(|(name, holder)| {
            let holding = register.holding(*holder);
            (!holding.outstanding.value().is_zero()).then(|| Choice {
                id: holder.to_string(),
                label: format!("{name} — doit {}", fr::euros(holding.outstanding)),
            })
        })
        .collect()
}

fn register_rows(register: &ShareRegister, holders: &[(String, PioneerId)]) -> Vec<RegisterRow> {
    holders
        .iter()
        .map(|(name, holder)| {
            let holding = register.holding(*holder);
            RegisterRow {
                name: name.clone(),
                shares: holding.held_paid_shares(),
                paid: fr::euros(holding.paid_amount),
                outstanding: fr::euros(holding.outstanding),
            }
        })
        .collect()
}

/// Projects funds can be allocated to: selected or in progress.
fn allocatable_projects(community: &CommunityState) -> Vec<Choice> {
    community
        .projects
        .by_id
        .values()
        .filter(|project| {
            matches!(
                project.status(),
                ProjectStatus::Selected | ProjectStatus::InProgress
            )
        })
        .map(|project| Choice {
            id: project.id.to_string(),
            label: project.title.clone(),
        })
        .collect()
}

/// Closed ballots: which one decided an allocation.
fn deciding_ballots(community: &CommunityState) -> Vec<Choice> {
    community
        .ballots
        .by_id
        .values()
        .filter(|ballot| !ballot.is_open())
        .map(|ballot| Choice {
            id: ballot.opened.ballot_id.to_string(),
            label: ballot.opened.question.clone(),
        })
        .collect()
}

/// Allocations with money left: what an expense can be against.
fn open_allocations(community: &CommunityState) -> Vec<Choice> {
    community
        .funds
        .allocations
        .values()
        .filter(|allocation| allocation.remaining().is_positive())
        .map(|allocation| Choice {
            id: allocation.allocated.allocation_id.to_string(),
            label: format!(
                "{} — reste {}",
                community
                    .projects
                    .get(allocation.allocated.project_id)
                    .map_or("un projet", |project| project.title.as_str()),
                fr::euros(allocation.remaining())
            ),
        })
        .collect()
}

/// Whose budget, for people.
fn budget_title(community: &CommunityState, scope: BudgetScope) -> String {
    match scope {
        BudgetScope::Community => "Budget de la communauté".to_owned(),
        BudgetScope::Project { project_id } => format!(
            "Budget du projet « {} »",
            community
                .projects
                .get(project_id)
                .map_or("?", |project| project.title.as_str())
        ),
    }
}

/// The lines of every budget in force, for the expense form's select.
fn budget_lines(community: &CommunityState) -> Vec<BudgetGroup> {
    community
        .funds
        .budgets
        .iter()
        .map(|(scope, budget)| BudgetGroup {
            label: budget_title(community, *scope),
            lines: budget
                .lines
                .iter()
                .map(|line| Choice {
                    id: line.code.clone(),
                    label: line.label.clone(),
                })
                .collect(),
        })
        .collect()
}

/// Every budget in force against what was spent, line by line.
fn budget_tables(community: &CommunityState) -> Vec<BudgetTable> {
    community
        .funds
        .budgets
        .keys()
        .filter_map(|scope| {
            let figures = community.funds.budget_figures(*scope)?;
            Some(BudgetTable {
                title: budget_title(community, *scope),
                rows: figures
                    .lines
                    .iter()
                    .map(|line| BudgetRow {
                        label: line.line.label.clone(),
                        forecast: fr::euros(line.line.forecast),
                        spent: fr::euros(line.spent),
                        remaining: fr::euros(line.remaining()),
                        over_forecast: line.over_forecast(),
                    })
                    .collect(),
                forecast: fr::euros(figures.budget.total),
                spent: fr::euros(figures.spent),
                unbudgeted: fr::euros(figures.unbudgeted),
            })
        })
        .collect()
}

/// The amount a form sends, or the page again saying it is not one.
fn amount(text: &str) -> Result<Euros, String> {
    fr::parse_euros(text).ok_or_else(|| fr::refusal("amount-form"))
}

/// Runs a treasurer's form.
async fn treasurer_form<F: FormFields>(
    state: &AppState,
    slug: &str,
    headers: &HeaderMap,
    form: Result<Form<F>, FormRejection>,
    which: &'static str,
    command: impl FnOnce(&Visit, &F) -> Result<Command, String>,
) -> Result<Response, Failure> {
    let target = FormTarget {
        role: Role::Treasurer,
        page: "tresorerie",
        which,
        action: which,
    };
    let redraw = |state: &AppState, visit: &Visit, status, alert| {
        draw(state, visit, status, Some(alert), None)
    };
    run_form(state, slug, headers, form, target, redraw, command).await
}

#[derive(Deserialize, Serialize)]
pub struct PaymentForm {
    csrf: String,
    cle: String,
    membre: String,
    montant: String,
    reference: String,
}

impl FormFields for PaymentForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.membre, &self.montant, &self.reference)
    }
}

/// `POST /c/{community}/tresorerie/versement`.
pub async fn record_payment(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<PaymentForm>, FormRejection>,
) -> Result<Response, Failure> {
    treasurer_form(&state, &slug, &headers, form, "versement", |_, form| {
        Ok(Command::RecordSharePayment(RecordSharePayment {
            payment_id: PaymentId(Uuid::now_v7()),
            pioneer_id: form
                .membre
                .parse()
                .map_err(|_| fr::refusal("pioneer-not-found"))?,
            subscription_id: None,
            amount: amount(&form.montant)?,
            reference: form.reference.trim().to_owned(),
        }))
    })
    .await
}

#[derive(Deserialize, Serialize)]
pub struct ReceiptForm {
    csrf: String,
    cle: String,
    montant: String,
    source: String,
    reference: String,
}

impl FormFields for ReceiptForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.montant, &self.source, &self.reference)
    }
}

/// `POST /c/{community}/tresorerie/recette`.
pub async fn record_receipt(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ReceiptForm>, FormRejection>,
) -> Result<Response, Failure> {
    treasurer_form(&state, &slug, &headers, form, "recette", |_, form| {
        Ok(Command::RecordReceipt(RecordReceipt {
            receipt_id: ReceiptId(Uuid::now_v7()),
            amount: amount(&form.montant)?,
            source: form.source.trim().to_owned(),
            reference: form.reference.trim().to_owned(),
        }))
    })
    .await
}

#[derive(Deserialize, Serialize)]
pub struct AllocationForm {
    csrf: String,
    cle: String,
    projet: String,
    montant: String,
    decision: String,
    #[serde(default)]
    reference: String,
}

impl FormFields for AllocationForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (&self.projet, &self.montant, &self.decision, &self.reference)
    }
}

/// `POST /c/{community}/tresorerie/attribution`.
pub async fn allocate(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<AllocationForm>, FormRejection>,
) -> Result<Response, Failure> {
    treasurer_form(&state, &slug, &headers, form, "attribution", |_, form| {
        let decision = match form.decision.as_str() {
            "assemblee" => Decision::Assembly {
                reference: form.reference.trim().to_owned(),
            },
            ballot => Decision::Ballot {
                ballot_id: BallotId(
                    ballot
                        .parse()
                        .map_err(|_| fr::refusal("ballot-not-found"))?,
                ),
            },
        };
        Ok(Command::AllocateFunds(AllocateFunds {
            allocation_id: AllocationId(Uuid::now_v7()),
            project_id: ProjectId(
                form.projet
                    .parse()
                    .map_err(|_| fr::refusal("project-not-found"))?,
            ),
            amount: amount(&form.montant)?,
            decision,
        }))
    })
    .await
}

#[derive(Deserialize, Serialize)]
pub struct ExpenseForm {
    csrf: String,
    cle: String,
    attribution: String,
    montant: String,
    beneficiaire: String,
    reference: String,
    /// The budget line's code; empty when none applies.
    #[serde(default)]
    ligne: String,
}

impl FormFields for ExpenseForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
    fn key(&self) -> &str {
        &self.cle
    }
    fn digested(&self) -> impl Serialize {
        (
            &self.attribution,
            &self.montant,
            &self.beneficiaire,
            &self.reference,
            &self.ligne,
        )
    }
}

/// `POST /c/{community}/tresorerie/depense`.
pub async fn record_expense(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ExpenseForm>, FormRejection>,
) -> Result<Response, Failure> {
    treasurer_form(&state, &slug, &headers, form, "depense", |visit, form| {
        let allocation_id = AllocationId(
            form.attribution
                .parse()
                .map_err(|_| fr::refusal("allocation-not-found"))?,
        );
        let allocation = visit
            .view
            .state
            .funds
            .allocations
            .get(&allocation_id)
            .ok_or_else(|| fr::refusal("allocation-not-found"))?;
        Ok(Command::RecordExpense(RecordExpense {
            expense_id: ExpenseId(Uuid::now_v7()),
            project_id: allocation.allocated.project_id,
            allocation_id,
            amount: amount(&form.montant)?,
            payee: form.beneficiaire.trim().to_owned(),
            reference: form.reference.trim().to_owned(),
            receipt_sha256: None,
            budget_line: Some(form.ligne.trim())
                .filter(|line| !line.is_empty())
                .map(str::to_owned),
        }))
    })
    .await
}
