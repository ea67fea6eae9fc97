//! Funds: what was received, allocated to each project, and spent.

use std::collections::BTreeMap;

use imbl::{OrdMap, Vector};

use agora_events::{
    AllocationId, BudgetLine, BudgetScope, Euros, Event, EventId, ExpenseId, ExpenseRecorded,
    FundsAllocated, FundsCorrected, FundsReceived, FundsRecord, ProjectId, ReceiptId, Timestamp,
};

/// An allocation as it stands: `allocated.amount` is its current amount,
/// after corrections and the release of what was unspent; each expense's
/// `amount` is its current amount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Allocation {
    pub allocated: FundsAllocated,
    pub at: Timestamp,
    pub spent: Euros,
    pub expenses: Vector<(Timestamp, ExpenseRecorded)>,
    /// Released when its project ended or was withdrawn.
    pub released: Euros,
}

impl Allocation {
    pub fn remaining(&self) -> Euros {
        self.allocated
            .amount
            .checked_sub(self.spent)
            .unwrap_or_default()
    }
}

/// Funds as they stand, corrections applied; `receipts` keeps each receipt
/// as recorded, `receipt_amounts` its current amount.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Funds {
    pub receipts: Vector<(Timestamp, FundsReceived)>,
    pub receipt_amounts: OrdMap<ReceiptId, Euros>,
    pub allocations: OrdMap<AllocationId, Allocation>,
    /// Which allocation each expense is against.
    pub expense_allocations: OrdMap<ExpenseId, AllocationId>,
    /// The event that last set each record's amount: what a correction
    /// names.
    pub last_recorded: OrdMap<uuid::Uuid, EventId>,
    pub corrections: Vector<(Timestamp, FundsCorrected)>,
    pub received: Euros,
    pub allocated: Euros,
    pub spent: Euros,
    /// The forecast budgets in force: the community's and projects'.
    /// Written as a list of pairs: a scope is no JSON object key.
    #[serde(with = "pairs")]
    pub budgets: OrdMap<BudgetScope, Budget>,
}

/// A map whose keys are not strings, written as a list of `[key, value]`.
mod pairs {
    use imbl::OrdMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<K, V, S>(map: &OrdMap<K, V>, serializer: S) -> Result<S::Ok, S::Error>
    where
        K: Serialize + Ord + Clone,
        V: Serialize + Clone,
        S: Serializer,
    {
        serializer.collect_seq(map.iter())
    }

    pub fn deserialize<'de, K, V, D>(deserializer: D) -> Result<OrdMap<K, V>, D::Error>
    where
        K: Deserialize<'de> + Ord + Clone,
        V: Deserialize<'de> + Clone,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// A forecast budget as it stands, after its latest revision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Budget {
    pub lines: Vec<BudgetLine>,
    pub total: Euros,
    /// When it was first set, and when last revised.
    pub first_set_at: Timestamp,
    pub set_at: Timestamp,
    /// How many times it was set, the first included.
    pub versions: u32,
}

/// A budget beside what was spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetFigures<'a> {
    pub budget: &'a Budget,
    pub lines: Vec<LineFigures<'a>>,
    /// Spent on the budget's lines.
    pub spent: Euros,
    /// Spent in the budget's scope on no line of it.
    pub unbudgeted: Euros,
}

impl BudgetFigures<'_> {
    /// The lines spent beyond their forecast.
    pub fn over_forecast(&self) -> impl Iterator<Item = &LineFigures<'_>> {
        self.lines.iter().filter(|line| line.over_forecast())
    }
}

/// One line of a budget beside what was booked to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFigures<'a> {
    pub line: &'a BudgetLine,
    pub spent: Euros,
}

impl LineFigures<'_> {
    /// Forecast less spent: negative once the line is overspent.
    pub fn remaining(&self) -> Euros {
        sub(self.line.forecast, self.spent)
    }

    pub fn over_forecast(&self) -> bool {
        self.spent > self.line.forecast
    }
}

impl Budget {
    pub fn line(&self, code: &str) -> Option<&BudgetLine> {
        self.lines.iter().find(|line| line.code == code)
    }
}

impl Funds {
    /// Folds one event about funds; other events are ignored.
    pub(crate) fn evolve(&mut self, event: &Event, event_id: EventId, at: Timestamp) {
        match event {
            Event::FundsReceived(received) => {
                self.received = add(self.received, received.amount);
                self.receipts.push_back((at, received.clone()));
                self.receipt_amounts
                    .insert(received.receipt_id, received.amount);
                let record = FundsRecord::Receipt {
                    receipt_id: received.receipt_id,
                };
                self.last_recorded.insert(record.id(), event_id);
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
                        released: Default::default(),
                    },
                );
                let record = FundsRecord::Allocation {
                    allocation_id: allocated.allocation_id,
                };
                self.last_recorded.insert(record.id(), event_id);
            }
            Event::ExpenseRecorded(expense) => {
                self.spent = add(self.spent, expense.amount);
                if let Some(allocation) = self.allocations.get_mut(&expense.allocation_id) {
                    allocation.spent = add(allocation.spent, expense.amount);
                    allocation.expenses.push_back((at, expense.clone()));
                }
                self.expense_allocations
                    .insert(expense.expense_id, expense.allocation_id);
                let record = FundsRecord::Expense {
                    expense_id: expense.expense_id,
                };
                self.last_recorded.insert(record.id(), event_id);
            }
            Event::FundsCorrected(corrected) => {
                self.correct(corrected);
                self.last_recorded.insert(corrected.record.id(), event_id);
                self.corrections.push_back((at, corrected.clone()));
            }
            Event::BudgetSet(set) => {
                let previous = self.budgets.get(&set.scope);
                let budget = Budget {
                    lines: set.lines.clone(),
                    total: set.total,
                    first_set_at: previous.map_or(at, |budget| budget.first_set_at),
                    set_at: at,
                    versions: previous.map_or(1, |budget| budget.versions + 1),
                };
                self.budgets.insert(set.scope, budget);
            }
            Event::AllocationReleased(released) => {
                self.allocated = sub(self.allocated, released.released);
                if let Some(allocation) = self.allocations.get_mut(&released.allocation_id) {
                    allocation.allocated.amount =
                        sub(allocation.allocated.amount, released.released);
                    allocation.released = add(allocation.released, released.released);
                }
            }
            _ => {}
        }
    }

    /// Replaces a record's amount, and the totals it is part of.
    fn correct(&mut self, corrected: &FundsCorrected) {
        let (before, after) = (corrected.amount_before, corrected.amount);
        let replace = |total: Euros| add(sub(total, before), after);
        match corrected.record {
            FundsRecord::Receipt { receipt_id } => {
                self.received = replace(self.received);
                self.receipt_amounts.insert(receipt_id, after);
            }
            FundsRecord::Allocation { allocation_id } => {
                self.allocated = replace(self.allocated);
                if let Some(allocation) = self.allocations.get_mut(&allocation_id) {
                    allocation.allocated.amount = after;
                }
            }
            FundsRecord::Expense { expense_id } => {
                self.spent = replace(self.spent);
                let allocation = self
                    .expense_allocations
                    .get(&expense_id)
                    .and_then(|id| self.allocations.get_mut(id));
                if let Some(allocation) = allocation {
                    allocation.spent = add(sub(allocation.spent, before), after);
                    for (_, expense) in allocation.expenses.iter_mut() {
                        if expense.expense_id == expense_id {
                            expense.amount = after;
                        }
                    }
                }
            }
        }
    }

    /// The current amount of `record`, if it exists.
    pub fn amount_of(&self, record: FundsRecord) -> Option<Euros> {
        match record {
            FundsRecord::Receipt { receipt_id } => self.receipt_amounts.get(&receipt_id).copied(),
            FundsRecord::Allocation { allocation_id } => self
                .allocations
                .get(&allocation_id)
                .map(|allocation| allocation.allocated.amount),
            FundsRecord::Expense { expense_id } => {
                let allocation = self
                    .allocations
                    .get(self.expense_allocations.get(&expense_id)?)?;
                allocation
                    .expenses
                    .iter()
                    .find(|(_, expense)| expense.expense_id == expense_id)
                    .map(|(_, expense)| expense.amount)
            }
        }
    }

    /// Received and not yet allocated.
    pub fn unallocated(&self) -> Euros {
        self.received
            .checked_sub(self.allocated)
            .unwrap_or_default()
    }

    /// What was spent in `scope`, by the budget line each expense names
    /// (`None`: expenses that name none), corrections applied: a project's
    /// expenses for its budget, every expense for the community's.
    pub fn spent_by_line(&self, scope: BudgetScope) -> BTreeMap<Option<&str>, Euros> {
        let mut spent: BTreeMap<Option<&str>, Euros> = BTreeMap::new();
        let expenses = self
            .allocations
            .values()
            .filter(|allocation| match scope {
                BudgetScope::Community => true,
                BudgetScope::Project { project_id } => {
                    allocation.allocated.project_id == project_id
                }
            })
            .flat_map(|allocation| allocation.expenses.iter());
        for (_, expense) in expenses {
            let line = spent.entry(expense.budget_line.as_deref()).or_default();
            *line = add(*line, expense.amount);
        }
        spent
    }

    /// `scope`'s budget beside what was spent, line by line, if it has one.
    pub fn budget_figures(&self, scope: BudgetScope) -> Option<BudgetFigures<'_>> {
        let budget = self.budgets.get(&scope)?;
        let mut spent = self.spent_by_line(scope);
        let lines: Vec<LineFigures<'_>> = budget
            .lines
            .iter()
            .map(|line| LineFigures {
                line,
                spent: spent.remove(&Some(line.code.as_str())).unwrap_or_default(),
            })
            .collect();
        Some(BudgetFigures {
            budget,
            spent: lines
                .iter()
                .fold(Euros::ZERO, |sum, line| add(sum, line.spent)),
            lines,
            unbudgeted: spent
                .values()
                .fold(Euros::ZERO, |sum, amount| add(sum, *amount)),
        })
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

pub(crate) fn sub(a: Euros, b: Euros) -> Euros {
    a.checked_sub(b).unwrap_or(a)
}
