//! Funds: receipts, allocations to a selected project citing
//! the decision, expenses against an allocation. Allocations never exceed
//! what is unallocated; expenses never exceed what remains of their
//! allocation.

use agora_events::{
    AllocationId, AllocationReleased, BudgetScope, Decision, Euros, Event, ExpenseId,
    ExpenseRecorded, FundsAllocated, FundsCorrected, FundsReceived, FundsRecord, Hash, ProjectId,
    ProjectStatus, ReceiptId,
};
use agora_projections::CommunityState;

use super::Rejection;
use super::projects::project;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, REFERENCE_CHARS_MAX, line, paragraph};

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
    /// The budget line it is booked to (see [`super::budgets`]).
    pub budget_line: Option<String>,
}

/// The treasurer corrects the amount of a receipt, an allocation or an
/// expense recorded wrongly (zero voids it), with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectFunds {
    pub record: FundsRecord,
    pub amount: Euros,
    pub reason: String,
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
        .ok_or(Rejection::TotalTooLarge {
            field: "amount",
            total: "the funds received",
        })?;
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
        other => super::assemblies::cited(state, other)?,
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
    // A project that ended or was withdrawn gave back what it had not spent.
    open_project(state, command.project_id)?;
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
    super::budgets::expense_line(
        state,
        BudgetScope::Project {
            project_id: command.project_id,
        },
        command.budget_line.as_deref(),
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
            budget_line: command.budget_line.clone(),
            allocation_remaining_after: remaining
                .checked_sub(command.amount)
                .expect("checked against the remaining allocation"),
        }
        .into(),
    ])
}

/// Refuses a project that ended or was withdrawn (`project-closed`).
fn open_project(state: &CommunityState, project: ProjectId) -> Result<(), Rejection> {
    match state.projects.get(project) {
        Some(found) if !found.is_open() => Err(Rejection::ProjectClosed {
            project,
            status: found.status(),
        }),
        _ => Ok(()),
    }
}

/// What every correction must be: an amount of zero or more that differs
/// from the one recorded, and a reason.
pub(super) fn correction(before: Euros, after: Euros, reason: &str) -> Result<(), Rejection> {
    if after.value().is_sign_negative() {
        return Err(Rejection::AmountNegative {
            field: "amount",
            amount: after,
        });
    }
    if after == before {
        return Err(Rejection::CorrectionChangesNothing { amount: after });
    }
    paragraph("reason", reason, LONG_TEXT_CHARS_MAX)
}

/// What is unspent of `project`'s allocations, released back to the
/// unallocated funds: one event per allocation with money left.
pub(super) fn release_unspent(state: &CommunityState, project: ProjectId) -> Vec<Event> {
    state
        .funds
        .of_project(project)
        .filter(|allocation| allocation.remaining().is_positive())
        .map(|allocation| {
            AllocationReleased {
                allocation_id: allocation.allocated.allocation_id,
                project_id: project,
                released: allocation.remaining(),
            }
            .into()
        })
        .collect()
}

/// A correction keeps every figure whole: receipts cover allocations,
/// allocations cover their expenses.
pub fn correct(state: &CommunityState, command: &CorrectFunds) -> Result<Vec<Event>, Rejection> {
    let funds = &state.funds;
    let record = command.record;
    let not_found = || match record {
        FundsRecord::Receipt { receipt_id } => Rejection::ReceiptNotFound {
            receipt: receipt_id,
        },
        FundsRecord::Allocation { allocation_id } => Rejection::AllocationNotFound {
            allocation: allocation_id,
        },
        FundsRecord::Expense { expense_id } => Rejection::ExpenseNotFound {
            expense: expense_id,
        },
    };
    let before = funds.amount_of(record).ok_or_else(not_found)?;
    let corrects = *funds
        .last_recorded
        .get(&record.id())
        .ok_or_else(not_found)?;
    let after = command.amount;
    correction(before, after, &command.reason)?;
    let too_large = || Rejection::TotalTooLarge {
        field: "amount",
        total: "the total of what it corrects",
    };
    let replaced = |total: Euros| {
        total
            .checked_sub(before)
            .and_then(|total| total.checked_add(after))
            .ok_or_else(too_large)
    };
    match record {
        FundsRecord::Receipt { .. } => {
            let received = replaced(funds.received)?;
            if received < funds.allocated {
                return Err(Rejection::CorrectionUncovers {
                    what: "receipts would no longer cover the allocations",
                    covering: received,
                    covered: funds.allocated,
                });
            }
        }
        FundsRecord::Allocation { allocation_id } => {
            let allocation = &funds.allocations[&allocation_id];
            // More for a project that is over would be money nobody may
            // spend, or release again.
            if after > before {
                open_project(state, allocation.allocated.project_id)?;
            }
            if after < allocation.spent {
                return Err(Rejection::CorrectionUncovers {
                    what: "the allocation would no longer cover its expenses",
                    covering: after,
                    covered: allocation.spent,
                });
            }
            let allocated = replaced(funds.allocated)?;
            if allocated > funds.received {
                return Err(Rejection::CorrectionUncovers {
                    what: "receipts would no longer cover the allocations",
                    covering: funds.received,
                    covered: allocated,
                });
            }
        }
        FundsRecord::Expense { expense_id } => {
            let allocation = &funds.allocations[&funds.expense_allocations[&expense_id]];
            let spent = replaced(allocation.spent)?;
            if spent > allocation.allocated.amount {
                return Err(Rejection::CorrectionUncovers {
                    what: "the allocation would no longer cover its expenses",
                    covering: allocation.allocated.amount,
                    covered: spent,
                });
            }
        }
    }
    let mut events = vec![
        FundsCorrected {
            record,
            corrects,
            amount_before: before,
            amount: after,
            reason: command.reason.clone(),
        }
        .into(),
    ];
    // A lower expense of a project that is over gives back money nobody may
    // spend any more: released at once, as the project's end released the
    // rest.
    if let FundsRecord::Expense { expense_id } = record
        && after < before
    {
        let allocation = &funds.allocations[&funds.expense_allocations[&expense_id]];
        let project_id = allocation.allocated.project_id;
        if state
            .projects
            .get(project_id)
            .is_some_and(|project| !project.is_open())
        {
            events.push(
                AllocationReleased {
                    allocation_id: allocation.allocated.allocation_id,
                    project_id,
                    released: before.checked_sub(after).ok_or_else(too_large)?,
                }
                .into(),
            );
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::{AllocationId, Decision, ExpenseId, FundsRecord, ProjectStatus, ReceiptId};
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
            budget_line: None,
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

    fn correct(record: FundsRecord, amount: &str) -> Command {
        Command::CorrectFunds(CorrectFunds {
            record,
            amount: amount.parse().unwrap(),
            reason: "Montant mal saisi".into(),
        })
    }

    fn receipt_of(history: &[Event]) -> FundsRecord {
        let receipt_id = history
            .iter()
            .find_map(|event| match event {
                Event::FundsReceived(received) => Some(received.receipt_id),
                _ => None,
            })
            .unwrap();
        FundsRecord::Receipt { receipt_id }
    }

    fn expense_of(history: &[Event]) -> FundsRecord {
        let expense_id = history
            .iter()
            .find_map(|event| match event {
                Event::ExpenseRecorded(expense) => Some(expense.expense_id),
                _ => None,
            })
            .unwrap();
        FundsRecord::Expense { expense_id }
    }

    const ALLOCATED: FundsRecord = FundsRecord::Allocation {
        allocation_id: ALLOCATION,
    };

    #[test]
    fn a_mistyped_receipt_is_corrected_and_the_figures_follow() {
        // 5 000 € typed for 500 €, and 400 € allocated since.
        let mut history = with_selected_project_and_funds("5000.00");
        history.extend(given(&history).when(allocate("400.00")).events());
        let receipt = receipt_of(&history);

        given(&history)
            .when(correct(receipt, "-5.00"))
            .then_err(Rejection::AmountNegative {
                field: "amount",
                amount: "-5.00".parse().unwrap(),
            });
        given(&history)
            .when(correct(receipt, "300.00"))
            .then_err(Rejection::CorrectionUncovers {
                what: "receipts would no longer cover the allocations",
                covering: "300.00".parse().unwrap(),
                covered: "400.00".parse().unwrap(),
            });
        let events = given(&history)
            .when(correct(receipt, "500.00"))
            .then_events(&["FundsCorrected"]);
        history.extend(events.clone());

        let Event::FundsCorrected(corrected) = &events[0] else {
            unreachable!()
        };
        assert_eq!(corrected.amount_before, "5000.00".parse().unwrap());
        let state = given(&history).state();
        assert_eq!(state.funds.received, "500.00".parse().unwrap());
        assert_eq!(state.funds.unallocated(), "100.00".parse().unwrap());
        given(&history).when(correct(receipt, "500.00")).then_err(
            Rejection::CorrectionChangesNothing {
                amount: "500.00".parse().unwrap(),
            },
        );
        let stranger = ReceiptId(Uuid::from_u128(0xbad));
        given(&history)
            .when(correct(
                FundsRecord::Receipt {
                    receipt_id: stranger,
                },
                "1.00",
            ))
            .then_err(Rejection::ReceiptNotFound { receipt: stranger });
    }

    #[test]
    fn corrections_keep_allocations_covering_their_expenses() {
        let mut history = with_selected_project_and_funds("1000.00");
        history.extend(given(&history).when(allocate("600.00")).events());
        history.extend(given(&history).when(spend("400.00")).events());
        let expense = expense_of(&history);

        given(&history)
            .when(correct(ALLOCATED, "399.99"))
            .then_rule("correction-uncovers");
        given(&history)
            .when(correct(ALLOCATED, "1000.01"))
            .then_rule("correction-uncovers");
        given(&history)
            .when(correct(expense, "600.01"))
            .then_rule("correction-uncovers");
        history.extend(given(&history).when(correct(expense, "0.00")).events());

        let state = given(&history).state();
        assert_eq!(state.funds.spent, "0.00".parse().unwrap());
        assert_eq!(
            state.funds.allocations[&ALLOCATION].remaining(),
            "600.00".parse().unwrap()
        );
    }

    #[test]
    fn a_project_that_ends_releases_what_is_unspent_and_a_withdrawn_one_spends_nothing() {
        let mut history = with_selected_project_and_funds("1000.00");
        history.extend(given(&history).when(allocate("600.00")).events());
        history.extend(given(&history).when(spend("400.00")).events());
        let change = |to| {
            Command::ChangeProjectStatus(super::super::ChangeProjectStatus {
                project_id: PROJECT_A,
                to,
                reason: None,
            })
        };

        let events = given(&history)
            .when(change(ProjectStatus::Withdrawn))
            .then_events(&["ProjectStatusChanged", "AllocationReleased"]);
        history.extend(events);

        let state = given(&history).state();
        assert_eq!(state.funds.allocated, "400.00".parse().unwrap());
        assert_eq!(state.funds.unallocated(), "600.00".parse().unwrap());
        given(&history)
            .when(spend("1.00"))
            .then_err(Rejection::ProjectClosed {
                project: PROJECT_A,
                status: ProjectStatus::Withdrawn,
            });
    }

    /// Once a project is done, its allocations take no more money: not by
    /// a correction that raises one, not by an expense.
    #[test]
    fn a_finished_project_takes_no_more_money() {
        let mut history = with_selected_project_and_funds("1000.00");
        history.extend(given(&history).when(allocate("600.00")).events());
        history.extend(given(&history).when(spend("400.00")).events());
        for to in [ProjectStatus::InProgress, ProjectStatus::Done] {
            let change = Command::ChangeProjectStatus(super::super::ChangeProjectStatus {
                project_id: PROJECT_A,
                to,
                reason: None,
            });
            history.extend(given(&history).when(change).events());
        }
        let closed = Rejection::ProjectClosed {
            project: PROJECT_A,
            status: ProjectStatus::Done,
        };
        let allocation = FundsRecord::Allocation {
            allocation_id: ALLOCATION,
        };
        given(&history)
            .when(correct(allocation, "1000.00"))
            .then_err(closed.clone());
        given(&history).when(spend("1.00")).then_err(closed);
        // Lowering it is still a correction like any other.
        given(&history)
            .when(correct(allocation, "300.00"))
            .then_rule("correction-uncovers");
        // A lower expense gives the difference back to the funds at once.
        let expense = history
            .iter()
            .find_map(|event| match event {
                Event::ExpenseRecorded(expense) => Some(expense.expense_id),
                _ => None,
            })
            .unwrap();
        let events = given(&history)
            .when(correct(
                FundsRecord::Expense {
                    expense_id: expense,
                },
                "300.00",
            ))
            .then_events(&["FundsCorrected", "AllocationReleased"]);
        history.extend(events);
        let state = given(&history).state();
        assert_eq!(
            state.funds.allocations[&ALLOCATION].remaining(),
            agora_events::Euros::ZERO
        );
        assert_eq!(state.funds.unallocated(), "700.00".parse().unwrap());
    }

    /// A receipt that would take the funds received past what an amount
    /// holds is refused, and the refusal says it is the total.
    #[test]
    fn receipts_past_the_largest_total_are_refused_as_such() {
        let history = with_selected_project_and_funds("999999999999.99");
        given(&history)
            .when(receive("0.01"))
            .then_err(Rejection::TotalTooLarge {
                field: "amount",
                total: "the funds received",
            });
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
