//! Funds (SPEC §3.7): receipts, allocations to a selected project citing
//! the decision, expenses against an allocation. Allocations never exceed
//! what is unallocated; expenses never exceed what remains of their
//! allocation.

use agora_events::{
    AllocationId, Decision, Euros, Event, ExpenseId, ExpenseRecorded, FundsAllocated,
    FundsReceived, Hash, ProjectId, ProjectStatus, ReceiptId,
};
use agora_projections::CommunityState;

use super::Rejection;
use super::projects::project;
use super::text::{NAME_CHARS_MAX, REFERENCE_CHARS_MAX, line};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordReceipt {
    pub receipt_id: ReceiptId,
    pub amount: Euros,
    pub source: String,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocateFunds {
    pub allocation_id: AllocationId,
    pub project_id: ProjectId,
    pub amount: Euros,
    pub decision: Decision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordExpense {
    pub expense_id: ExpenseId,
    pub allocation_id: AllocationId,
    pub amount: Euros,
    pub payee: String,
    pub reference: String,
    pub receipt_sha256: Option<Hash>,
}

fn positive(field: &'static str, amount: Euros) -> Result<(), Rejection> {
    if amount.is_positive() {
        Ok(())
    } else {
        Err(Rejection::AmountNotPositive { field, amount })
    }
}

pub fn receive(state: &CommunityState, command: &RecordReceipt) -> Result<Vec<Event>, Rejection> {
    positive("amount", command.amount)?;
    line("source", &command.source, NAME_CHARS_MAX)?;
    line("reference", &command.reference, REFERENCE_CHARS_MAX)?;
    state
        .funds
        .received
        .checked_add(command.amount)
        .ok_or(Rejection::AmountTooLarge { field: "amount" })?;
    Ok(vec![
        FundsReceived {
            receipt_id: command.receipt_id,
            amount: command.amount,
            source: command.source.clone(),
            reference: command.reference.clone(),
        }
        .into(),
    ])
}

pub fn allocate(state: &CommunityState, command: &AllocateFunds) -> Result<Vec<Event>, Rejection> {
    positive("amount", command.amount)?;
    let project = project(state, command.project_id)?;
    let status = project.status();
    if !matches!(status, ProjectStatus::Selected | ProjectStatus::InProgress) {
        return Err(Rejection::ProjectNotSelected {
            project: command.project_id,
            status,
        });
    }
    match &command.decision {
        Decision::Ballot { ballot_id } => {
            let ballot = state
                .ballots
                .get(*ballot_id)
                .ok_or(Rejection::BallotNotFound { ballot: *ballot_id })?;
            let selected = ballot.closed.as_ref().and_then(|(_, closed)| {
                let winner = closed.winner.as_ref()?;
                ballot
                    .opened
                    .options
                    .iter()
                    .find(|option| option.option_id == *winner)?
                    .project_id
            });
            if selected != Some(command.project_id) {
                return Err(Rejection::DecisionDoesNotSelectProject {
                    ballot: *ballot_id,
                    project: command.project_id,
                });
            }
        }
        Decision::Assembly { reference } => {
            line("decision.reference", reference, REFERENCE_CHARS_MAX)?
        }
    }
    let unallocated = state.funds.unallocated();
    if command.amount > unallocated {
        return Err(Rejection::AllocationExceedsFunds {
            amount: command.amount,
            unallocated,
        });
    }
    Ok(vec![
        FundsAllocated {
            allocation_id: command.allocation_id,
            project_id: command.project_id,
            amount: command.amount,
            decision: command.decision.clone(),
            unallocated_after: unallocated
                .checked_sub(command.amount)
                .expect("checked against the unallocated funds"),
        }
        .into(),
    ])
}

pub fn spend(state: &CommunityState, command: &RecordExpense) -> Result<Vec<Event>, Rejection> {
    positive("amount", command.amount)?;
    line("payee", &command.payee, NAME_CHARS_MAX)?;
    line("reference", &command.reference, REFERENCE_CHARS_MAX)?;
    let allocation = state.funds.allocations.get(&command.allocation_id).ok_or(
        Rejection::AllocationNotFound {
            allocation: command.allocation_id,
        },
    )?;
    let remaining = allocation.remaining();
    if command.amount > remaining {
        return Err(Rejection::ExpenseExceedsAllocation {
            allocation: command.allocation_id,
            amount: command.amount,
            remaining,
        });
    }
    Ok(vec![
        ExpenseRecorded {
            expense_id: command.expense_id,
            allocation_id: command.allocation_id,
            project_id: allocation.allocated.project_id,
            amount: command.amount,
            payee: command.payee.clone(),
            reference: command.reference.clone(),
            receipt_sha256: command.receipt_sha256,
            allocation_remaining_after: remaining
                .checked_sub(command.amount)
                .expect("checked against the remaining allocation"),
        }
        .into(),
    ])
}
