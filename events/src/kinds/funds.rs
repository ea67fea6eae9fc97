//! Funds: receipts, allocations to projects, expenses.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{AllocationId, BallotId, Euros, ExpenseId, Hash, ProjectId, ReceiptId};

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
    /// A general assembly's decision, by its minutes' reference.
    Assembly { reference: String },
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
}
