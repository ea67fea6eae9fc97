//! Funds: what was received, allocated to each project, and spent.

use imbl::{OrdMap, Vector};

use agora_events::{
    AllocationId, Euros, Event, ExpenseRecorded, FundsAllocated, FundsReceived, ProjectId,
    Timestamp,
};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Allocation {
    pub allocated: FundsAllocated,
    pub at: Timestamp,
    pub spent: Euros,
    pub expenses: Vector<(Timestamp, ExpenseRecorded)>,
}

impl Allocation {
    pub fn remaining(&self) -> Euros {
        self.allocated
            .amount
            .checked_sub(self.spent)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Funds {
    pub receipts: Vector<(Timestamp, FundsReceived)>,
    pub allocations: OrdMap<AllocationId, Allocation>,
    pub received: Euros,
    pub allocated: Euros,
    pub spent: Euros,
}

impl Funds {
    /// Folds one event about funds; other events are ignored.
    pub(crate) fn evolve(&mut self, event: &Event, at: Timestamp) {
        match event {
            Event::FundsReceived(received) => {
                self.received = add(self.received, received.amount);
                self.receipts.push_back((at, received.clone()));
            }
            Event::FundsAllocated(allocated) => {
                self.allocated = add(self.allocated, allocated.amount);
                self.allocations.insert(
                    allocated.allocation_id,
                    Allocation {
                        allocated: allocated.clone(),
                        at,
                        spent: Default::default(),
                        expenses: Default::default(),
                    },
                );
            }
            Event::ExpenseRecorded(expense) => {
                self.spent = add(self.spent, expense.amount);
                if let Some(allocation) = self.allocations.get_mut(&expense.allocation_id) {
                    allocation.spent = add(allocation.spent, expense.amount);
                    allocation.expenses.push_back((at, expense.clone()));
                }
            }
            _ => {}
        }
    }

    /// Received and not yet allocated.
    pub fn unallocated(&self) -> Euros {
        self.received
            .checked_sub(self.allocated)
            .unwrap_or_default()
    }

    /// A project's allocations.
    pub fn of_project(&self, project: ProjectId) -> impl Iterator<Item = &Allocation> {
        self.allocations
            .values()
            .filter(move |allocation| allocation.allocated.project_id == project)
    }
}

/// Sums of recorded amounts. The rules keep every sum far below the limits;
/// only an altered log could overflow, and verification then reports the
/// figures that do not add up, so this never panics.
pub(crate) fn add(a: Euros, b: Euros) -> Euros {
    a.checked_add(b).unwrap_or(a)
}
