//! Funds over HTTP: receipts, allocations, expenses (treasurer), the
//! overview (members).

use agora_events::{
    AllocationId, AssemblyId, BallotId, Decision, Euros, ExpenseId, FundsRecord, Hash, PaymentId,
    ProjectId, ReceiptId, Role,
};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::caller::{Access, Caller};
use super::command::{CommandContext, CommandResponse, Submission, enter, submit};
use super::error::{ApiError, Problem};
use super::extract::{CommunityPath, ItemPath, JsonBody};
use crate::domain::{
    AllocateFunds, Command, CorrectFunds, CorrectSharePayment, RecordExpense, RecordReceipt,
    Rejection,
};

/// The record a correction is about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordDto {
    Receipt { receipt_id: Uuid },
    Allocation { allocation_id: Uuid },
    Expense { expense_id: Uuid },
    SharePayment { payment_id: Uuid },
}

/// A corrected amount, with the reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    pub record: RecordDto,
    /// The right amount; `0.00` voids the record.
    #[schema(value_type = crate::http::schema::Amount, example = "500.00")]
    pub amount: Euros,
    #[schema(example = "Montant saisi avec un zéro de trop")]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "5000.00")]
    pub amount: Euros,
    #[schema(example = "Subvention de la région")]
    pub source: String,
    pub reference: String,
}

/// The decision an allocation carries out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DecisionDto {
    /// A ballot of this ledger that selected the project.
    Ballot { ballot_id: Uuid },
    /// A general assembly's decision, by its minutes' reference: only while
    /// the community records no assembly in the ledger.
    Assembly { reference: String },
    /// A session of a general assembly recorded in the ledger, held with
    /// its quorum.
    Session { assembly_id: Uuid },
}

impl From<DecisionDto> for Decision {
    fn from(dto: DecisionDto) -> Self {
        match dto {
            DecisionDto::Ballot { ballot_id } => Self::Ballot {
                ballot_id: BallotId(ballot_id),
            },
            DecisionDto::Assembly { reference } => Self::Assembly { reference },
            DecisionDto::Session { assembly_id } => Self::Session {
                assembly_id: AssemblyId(assembly_id),
            },
        }
    }
}

impl From<&Decision> for DecisionDto {
    fn from(decision: &Decision) -> Self {
        match decision {
            Decision::Ballot { ballot_id } => Self::Ballot {
                ballot_id: ballot_id.0,
            },
            Decision::Assembly { reference } => Self::Assembly {
                reference: reference.clone(),
            },
            Decision::Session { assembly_id } => Self::Session {
                assembly_id: assembly_id.0,
            },
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationBody {
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "3000.00")]
    pub amount: Euros,
    pub decision: DecisionDto,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseBody {
    /// The allocation spent from; may be left out when the project has
    /// exactly one allocation with money left.
    pub allocation_id: Option<Uuid>,
    #[schema(value_type = crate::http::schema::PositiveAmount, example = "420.50")]
    pub amount: Euros,
    pub payee: String,
    /// The invoice's or receipt's reference.
    pub reference: String,
    /// SHA-256 of the receipt file, 64 lowercase hex digits.
    #[schema(value_type = Option<crate::http::schema::Sha256>)]
    pub receipt_sha256: Option<Hash>,
    /// The code of the budget line the expense is booked to: required when
    /// the project has a budget (one of its lines), or else the community
    /// has one (one of its lines).
    #[schema(example = "materiaux")]
    pub budget_line: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpenseView {
    pub id: Uuid,
    pub at: String,
    pub amount: String,
    pub payee: String,
    pub reference: String,
    pub receipt_sha256: Option<String>,
    pub budget_line: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationView {
    pub id: Uuid,
    pub project_id: Uuid,
    pub at: String,
    pub amount: String,
    pub spent: String,
    pub remaining: String,
    pub decision: DecisionDto,
    pub expenses: Vec<ExpenseView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    pub id: Uuid,
    pub at: String,
    /// The amount as it stands, corrections applied: the receipts' amounts
    /// add up to `received`.
    pub amount: String,
    pub source: String,
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FundsView {
    pub received: String,
    pub allocated: String,
    pub spent: String,
    /// Received and not yet allocated: what can still be allocated.
    pub available: String,
    pub receipts: Vec<ReceiptView>,
    pub allocations: Vec<AllocationView>,
}

const PROBLEMS: &str = "Refused; `rule` names the rule";

/// Record money received (treasurer).
#[utoipa::path(
    post, path = "/v1/communities/{community}/funds/receipts", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ReceiptBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = PROBLEMS, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_receipt(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<ReceiptBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Treasurer]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::RecordReceipt(RecordReceipt {
        receipt_id: ReceiptId(Uuid::now_v7()),
        amount: value.amount,
        source: value.source,
        reference: value.reference,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Correct the amount of a receipt, an allocation, an expense or a share
/// payment recorded wrongly, with the reason (treasurer). The correction names the event it
/// corrects; every figure stays covered.
#[utoipa::path(
    post, path = "/v1/communities/{community}/funds/corrections", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = CorrectionBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `correction-uncovers`, `receipt-not-found`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn correct_funds(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    CommunityPath(community): CommunityPath,
    body: JsonBody<CorrectionBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Treasurer]),
    )?;
    let JsonBody { value, digest } = body;
    let funds = |record| {
        Command::CorrectFunds(CorrectFunds {
            record,
            amount: value.amount,
            reason: value.reason.clone(),
        })
    };
    let command = match value.record {
        RecordDto::Receipt { receipt_id } => funds(FundsRecord::Receipt {
            receipt_id: ReceiptId(receipt_id),
        }),
        RecordDto::Allocation { allocation_id } => funds(FundsRecord::Allocation {
            allocation_id: AllocationId(allocation_id),
        }),
        RecordDto::Expense { expense_id } => funds(FundsRecord::Expense {
            expense_id: ExpenseId(expense_id),
        }),
        RecordDto::SharePayment { payment_id } => {
            Command::CorrectSharePayment(CorrectSharePayment {
                payment_id: PaymentId(payment_id),
                amount: value.amount,
                reason: value.reason.clone(),
            })
        }
    };
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Allocate funds to a selected project, citing the decision (treasurer).
#[utoipa::path(
    post, path = "/v1/communities/{community}/projects/{project}/allocations", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = AllocationBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `allocation-within-funds`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn allocate_funds(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    body: JsonBody<AllocationBody>,
) -> Result<Response, ApiError> {
    let (_, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Treasurer]),
    )?;
    let JsonBody { value, digest } = body;
    let command = Command::AllocateFunds(AllocateFunds {
        allocation_id: AllocationId(Uuid::now_v7()),
        project_id,
        amount: value.amount,
        decision: value.decision.into(),
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Record an expense against a project's allocation (treasurer).
#[utoipa::path(
    post, path = "/v1/communities/{community}/projects/{project}/expenses", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path), ("project" = Uuid, Path), ("Idempotency-Key" = Option<crate::http::schema::IdempotencyKey>, Header)),
    request_body = ExpenseBody,
    responses(
        (status = 200, body = CommandResponse),
        (status = "4XX", description = "E.g. `expense-within-allocation`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn record_expense(
    State(state): State<AppState>,
    caller: Caller,
    context: CommandContext,
    ItemPath(community, project_id): ItemPath<ProjectId>,
    body: JsonBody<ExpenseBody>,
) -> Result<Response, ApiError> {
    let (view, actor) = enter(
        &state,
        &caller,
        &community,
        Access::AnyOf(&[Role::Treasurer]),
    )?;
    let JsonBody { value, digest } = body;
    let allocation_id = match value.allocation_id {
        Some(id) => AllocationId(id),
        None => {
            // A closed project has no allocation with money left: say why.
            if let Some(project) = view.state.projects.get(project_id)
                && !project.is_open()
            {
                return Err(Rejection::ProjectClosed {
                    project: project_id,
                    status: project.status(),
                }
                .into());
            }
            let open: Vec<_> = view
                .state
                .funds
                .of_project(project_id)
                .filter(|allocation| allocation.remaining().is_positive())
                .collect();
            match open[..] {
                [only] => only.allocated.allocation_id,
                _ => {
                    return Err(ApiError::Unprocessable {
                        rule: "allocation-required",
                        detail: format!(
                            "project {project_id} has {} allocations with money left: name one with allocation_id",
                            open.len()
                        ),
                    });
                }
            }
        }
    };
    let command = Command::RecordExpense(RecordExpense {
        expense_id: ExpenseId(Uuid::now_v7()),
        project_id,
        allocation_id,
        amount: value.amount,
        payee: value.payee,
        reference: value.reference,
        receipt_sha256: value.receipt_sha256,
        budget_line: value.budget_line,
    });
    submit(
        &state,
        &caller,
        context,
        Submission::new(community, actor, command, digest),
    )
    .await
}

/// Funds: received, allocated, spent, available, per allocation.
#[utoipa::path(
    get, path = "/v1/communities/{community}/funds", tag = "funds",
    params(("community" = crate::http::schema::Slug, Path)),
    responses(
        (status = 200, body = FundsView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_funds(
    State(state): State<AppState>,
    caller: Caller,
    CommunityPath(community): CommunityPath,
) -> Result<Json<FundsView>, ApiError> {
    let (view, _) = enter(&state, &caller, &community, Access::Member)?;
    let funds = &view.state.funds;
    Ok(Json(FundsView {
        received: funds.received.to_string(),
        allocated: funds.allocated.to_string(),
        spent: funds.spent.to_string(),
        available: funds.unallocated().to_string(),
        receipts: funds
            .receipts
            .iter()
            .map(|(at, receipt)| ReceiptView {
                id: receipt.receipt_id.0,
                at: at.to_string(),
                amount: funds
                    .receipt_amounts
                    .get(&receipt.receipt_id)
                    .copied()
                    .unwrap_or(receipt.amount)
                    .to_string(),
                source: receipt.source.clone(),
                reference: receipt.reference.clone(),
            })
            .collect(),
        allocations: funds
            .allocations
            .values()
            .map(|allocation| AllocationView {
                id: allocation.allocated.allocation_id.0,
                project_id: allocation.allocated.project_id.0,
                at: allocation.at.to_string(),
                amount: allocation.allocated.amount.to_string(),
                spent: allocation.spent.to_string(),
                remaining: allocation.remaining().to_string(),
                decision: (&allocation.allocated.decision).into(),
                expenses: allocation
                    .expenses
                    .iter()
                    .map(|(at, expense)| ExpenseView {
                        id: expense.expense_id.0,
                        at: at.to_string(),
                        amount: expense.amount.to_string(),
                        payee: expense.payee.clone(),
                        reference: expense.reference.clone(),
                        receipt_sha256: expense.receipt_sha256.map(|hash| hash.to_string()),
                        budget_line: expense.budget_line.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }))
}
