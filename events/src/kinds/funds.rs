//! Funds: receipts, allocations to projects, expenses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    AllocationId, AssemblyId, BallotId, Euros, EventId, ExpenseId, Hash, ProjectId, ReceiptId,
};

/// The treasurer recorded money received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundsReceived {
    pub receipt_id: ReceiptId,
    pub amount: Euros,
    /// Who or what the money came from (a grant, a donation, an event).
    pub source: String,
    pub reference: String,
}

/// The decision an allocation carries out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    /// A ballot recorded in this ledger.
    Ballot { ballot_id: BallotId },
    /// A general assembly's decision, by its minutes' reference: free text,
    /// from before assemblies were recorded in the ledger.
    Assembly { reference: String },
    /// A session of a general assembly recorded in this ledger, held with
    /// its quorum.
    Session { assembly_id: AssemblyId },
}

/// The treasurer set funds aside for a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundsAllocated {
    pub allocation_id: AllocationId,
    pub project_id: ProjectId,
    pub amount: Euros,
    pub decision: Decision,
    /// Funds left unallocated after this one.
    pub unallocated_after: Euros,
}

/// The treasurer recorded money spent against an allocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseRecorded {
    pub expense_id: ExpenseId,
    pub allocation_id: AllocationId,
    pub project_id: ProjectId,
    pub amount: Euros,
    pub payee: String,
    /// The receipt's or invoice's reference.
    pub reference: String,
    /// SHA-256 of the receipt file, when one was provided.
    pub receipt_sha256: Option<Hash>,
    /// What remains of the allocation after this expense.
    pub allocation_remaining_after: Euros,
    /// The line of the forecast budget the expense is booked to, by its
    /// code; absent when no budget applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_line: Option<String>,
}

/// The record a correction is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FundsRecord {
    Receipt { receipt_id: ReceiptId },
    Allocation { allocation_id: AllocationId },
    Expense { expense_id: ExpenseId },
}

impl FundsRecord {
    /// The record's id (receipts, allocations and expenses have distinct
    /// UUIDs).
    pub fn id(self) -> uuid::Uuid {
        match self {
            Self::Receipt { receipt_id } => receipt_id.0,
            Self::Allocation { allocation_id } => allocation_id.0,
            Self::Expense { expense_id } => expense_id.0,
        }
    }
}

/// The treasurer corrected the amount of a receipt, an allocation or an
/// expense recorded wrongly: `amount` replaces `amount_before` from now on
/// (zero voids it). The corrected event stays in the log, named here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FundsCorrected {
    pub record: FundsRecord,
    /// The event that recorded the amount corrected: the original record,
    /// or the previous correction of it.
    pub corrects: EventId,
    pub amount_before: Euros,
    pub amount: Euros,
    pub reason: String,
}

/// A project ended or was withdrawn: what was unspent of one of its
/// allocations went back to the unallocated funds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationReleased {
    pub allocation_id: AllocationId,
    pub project_id: ProjectId,
    pub released: Euros,
}

/// Whose forecast budget: the community's own, or a project's.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BudgetScope {
    Community,
    Project { project_id: ProjectId },
}

/// One line of a forecast budget: human means, web development, events…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetLine {
    /// The line's code, which expenses name (`moyens-humains`): lowercase
    /// letters, digits and hyphens.
    pub code: String,
    /// What people read (`Moyens humains (interne et externe)`).
    pub label: String,
    pub forecast: Euros,
}

/// The treasurer or the gardener set a forecast budget, or revised it: the
/// lines replace the previous ones from this event on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetSet {
    pub scope: BudgetScope,
    pub lines: Vec<BudgetLine>,
    /// The sum of the lines' forecasts.
    pub total: Euros,
    /// Why it was set or revised, e.g. the decision that adopted it.
    pub reason: String,
}
