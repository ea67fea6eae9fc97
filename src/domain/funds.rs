//! Funds: receipts, allocations to a selected project citing
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
    /// The project the expense is for; its allocation must be this project's.
    pub project_id: ProjectId,
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
    // An allocation is spent only on its own project.
    let allocation = state
        .funds
        .allocations
        .get(&command.allocation_id)
        .filter(|allocation| allocation.allocated.project_id == command.project_id)
        .ok_or(Rejection::AllocationNotFound {
            allocation: command.allocation_id,
        })?;
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

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::{AllocationId, Decision, ExpenseId, ProjectStatus, ReceiptId};
    use uuid::Uuid;

    const ALLOCATION: AllocationId = AllocationId::from_uuid(Uuid::from_u128(0xa11));

    fn receive(amount: &str) -> Command {
        Command::RecordReceipt(RecordReceipt {
            receipt_id: ReceiptId(Uuid::new_v4()),
            amount: amount.parse().unwrap(),
            source: "Subvention région".into(),
            reference: "REG-2026-7".into(),
        })
    }

    fn allocate(amount: &str) -> Command {
        Command::AllocateFunds(AllocateFunds {
            allocation_id: ALLOCATION,
            project_id: PROJECT_A,
            amount: amount.parse().unwrap(),
            decision: Decision::Assembly {
                reference: "AG 2026-03".into(),
            },
        })
    }

    fn spend(amount: &str) -> Command {
        Command::RecordExpense(RecordExpense {
            expense_id: ExpenseId(Uuid::new_v4()),
            project_id: PROJECT_A,
            allocation_id: ALLOCATION,
            amount: amount.parse().unwrap(),
            payee: "Scierie du Vercors".into(),
            reference: "FAC-118".into(),
            receipt_sha256: None,
        })
    }

    fn with_selected_project_and_funds(received: &str) -> Vec<Event> {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        history.push(
            agora_events::ProjectStatusChanged {
                project_id: PROJECT_A,
                from: ProjectStatus::Proposed,
                to: ProjectStatus::Selected,
                reason: None,
            }
            .into(),
        );
        history.extend(given(&history).when(receive(received)).events());
        history
    }

    #[test]
    fn allocations_never_exceed_the_unallocated_funds() {
        let history = with_selected_project_and_funds("1000.00");
        given(&history)
            .when(allocate("1000.01"))
            .then_err(Rejection::AllocationExceedsFunds {
                amount: "1000.01".parse().unwrap(),
                unallocated: "1000.00".parse().unwrap(),
            });
        given(&history)
            .when(allocate("1000.00"))
            .then_events(&["FundsAllocated"]);
    }

    #[test]
    fn expenses_never_exceed_what_remains_of_their_allocation() {
        let mut history = with_selected_project_and_funds("1000.00");
        history.extend(given(&history).when(allocate("600.00")).events());
        history.extend(given(&history).when(spend("400.00")).events());
        given(&history)
            .when(spend("200.01"))
            .then_err(Rejection::ExpenseExceedsAllocation {
                allocation: ALLOCATION,
                amount: "200.01".parse().unwrap(),
                remaining: "200.00".parse().unwrap(),
            });
        given(&history)
            .when(spend("200.00"))
            .then_events(&["ExpenseRecorded"]);
    }

    #[test]
    fn only_a_selected_project_receives_an_allocation() {
        let mut history = community_of_three();
        history.push(proposed(PROJECT_A, ALICE));
        history.extend(given(&history).when(receive("10.00")).events());
        given(&history)
            .when(allocate("5.00"))
            .then_rule("project-not-selected");
    }

    #[test]
    fn an_allocation_citing_a_ballot_needs_that_ballot_to_have_selected_the_project() {
        let history = with_selected_project_and_funds("100.00");
        let ballot_id = agora_events::BallotId(Uuid::new_v4());
        let Command::AllocateFunds(mut command) = allocate("5.00") else {
            unreachable!()
        };
        command.decision = Decision::Ballot { ballot_id };
        given(&history)
            .when(Command::AllocateFunds(command))
            .then_err(Rejection::BallotNotFound { ballot: ballot_id });
    }

    #[test]
    fn an_allocation_is_spent_only_on_its_own_project() {
        let mut history = with_selected_project_and_funds("1000.00");
        history.extend(given(&history).when(allocate("600.00")).events());
        let Command::RecordExpense(mut expense) = spend("10.00") else {
            unreachable!()
        };
        expense.project_id = PROJECT_B;
        given(&history)
            .when(Command::RecordExpense(expense))
            .then_err(Rejection::AllocationNotFound {
                allocation: ALLOCATION,
            });
    }

    #[test]
    fn amounts_must_be_positive() {
        given(&community_of_three())
            .when(receive("0.00"))
            .then_rule("amount-positive");
    }
}
