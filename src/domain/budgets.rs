//! Forecast budgets: the community's own and each project's, by line
//! (human means, web development, workshops…). Expenses name the line they
//! are booked to, so the assembly sees forecast against actual.
//!
//! An expense is booked to a line of its project's budget when the project
//! has one, else to a line of the community's budget when there is one;
//! with no budget in force the line is optional. A project's lines count
//! its expenses; the community's count every expense by its line's code,
//! so a code shared by both follows the same money. A revision replaces
//! the lines, but never drops one that money was booked to.

use agora_events::{BudgetLine, BudgetScope, BudgetSet, Euros, Event, ProjectStatus};
use agora_projections::CommunityState;

use super::Rejection;
use super::projects::project;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, line, paragraph};

/// Most lines in one budget.
pub const BUDGET_LINES_MAX: usize = 50;
/// Longest line code.
pub const BUDGET_CODE_CHARS_MAX: usize = 40;

/// Sets (or revises) the forecast budget of the community or of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetBudget {
    pub scope: BudgetScope,
    pub lines: Vec<BudgetLine>,
    pub reason: String,
}

/// A line code: lowercase ASCII letters and digits, words joined by single
/// hyphens (`moyens-humains`), so that it reads the same in every tool.
fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= BUDGET_CODE_CHARS_MAX
        && code.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub fn set(state: &CommunityState, command: &SetBudget) -> Result<Vec<Event>, Rejection> {
    if let BudgetScope::Project { project_id } = command.scope {
        let status = project(state, project_id)?.status();
        if matches!(status, ProjectStatus::Done | ProjectStatus::Withdrawn) {
            return Err(Rejection::ProjectClosed {
                project: project_id,
                status,
            });
        }
    }
    let count = command.lines.len();
    if count == 0 || count > BUDGET_LINES_MAX {
        return Err(Rejection::BudgetLineCount {
            count,
            max: BUDGET_LINES_MAX,
        });
    }
    let mut total = Euros::default();
    for (index, budget_line) in command.lines.iter().enumerate() {
        if !valid_code(&budget_line.code) {
            return Err(Rejection::BudgetLineCode {
                code: budget_line.code.clone(),
            });
        }
        if command.lines[..index]
            .iter()
            .any(|earlier| earlier.code == budget_line.code)
        {
            return Err(Rejection::DuplicateBudgetLine {
                code: budget_line.code.clone(),
            });
        }
        line("lines.label", &budget_line.label, NAME_CHARS_MAX)?;
        if !budget_line.forecast.is_positive() {
            return Err(Rejection::AmountNotPositive {
                field: "lines.forecast",
                amount: budget_line.forecast,
            });
        }
        total = total
            .checked_add(budget_line.forecast)
            .ok_or(Rejection::TotalTooLarge {
                field: "lines.forecast",
                total: "the budget's total",
            })?;
    }
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    let current = state.funds.budgets.get(&command.scope);
    if current.is_some_and(|budget| budget.lines == command.lines) {
        return Err(Rejection::BudgetUnchanged);
    }
    if let Some(current) = current {
        let spent = state.funds.spent_by_line(command.scope);
        let dropped = current
            .lines
            .iter()
            .filter(|old| !command.lines.iter().any(|kept| kept.code == old.code))
            .find_map(|old| {
                let amount = spent.get(&Some(old.code.as_str()))?;
                amount.is_positive().then(|| (old.code.clone(), *amount))
            });
        if let Some((code, spent)) = dropped {
            return Err(Rejection::BudgetLineInUse { code, spent });
        }
    }
    Ok(vec![
        BudgetSet {
            scope: command.scope,
            lines: command.lines.clone(),
            total,
            reason: command.reason.clone(),
        }
        .into(),
    ])
}

/// The line an expense of `scope`'s project is booked to: one of its
/// project's budget when that has one, else of the community's when that
/// has one, else any well-formed code or none.
pub(super) fn expense_line(
    state: &CommunityState,
    project: BudgetScope,
    named: Option<&str>,
) -> Result<(), Rejection> {
    let budgets = &state.funds.budgets;
    let budget = budgets
        .get(&project)
        .map(|budget| (project, budget))
        .or_else(|| {
            budgets
                .get(&BudgetScope::Community)
                .map(|budget| (BudgetScope::Community, budget))
        });
    match (budget, named) {
        (None, None) => Ok(()),
        (None, Some(code)) if valid_code(code) => Ok(()),
        (None, Some(code)) => Err(Rejection::BudgetLineCode {
            code: code.to_owned(),
        }),
        (Some((scope, _)), None) => Err(Rejection::BudgetLineRequired { scope }),
        (Some((scope, budget)), Some(code)) => match budget.line(code) {
            Some(_) => Ok(()),
            None => Err(Rejection::UnknownBudgetLine {
                code: code.to_owned(),
                scope,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::*;
    use agora_events::{
        AllocationId, Decision, ExpenseId, FundsRecord, ProjectId, ProjectStatus, ReceiptId,
    };
    use uuid::Uuid;

    const ALLOCATION: AllocationId = AllocationId::from_uuid(Uuid::from_u128(0xa11));
    const PROJECT: BudgetScope = BudgetScope::Project {
        project_id: PROJECT_A,
    };

    fn budget_line(code: &str, forecast: &str) -> BudgetLine {
        BudgetLine {
            code: code.into(),
            label: format!("Ligne {code}"),
            forecast: forecast.parse().unwrap(),
        }
    }

    fn set_budget(scope: BudgetScope, lines: &[(&str, &str)]) -> Command {
        Command::SetBudget(SetBudget {
            scope,
            lines: lines
                .iter()
                .map(|(code, forecast)| budget_line(code, forecast))
                .collect(),
            reason: "Budget prévisionnel adopté en AG".into(),
        })
    }

    fn spend(amount: &str, line: Option<&str>) -> Command {
        Command::RecordExpense(RecordExpense {
            expense_id: ExpenseId(Uuid::new_v4()),
            project_id: PROJECT_A,
            allocation_id: ALLOCATION,
            amount: amount.parse().unwrap(),
            payee: "Atelier bois".into(),
            reference: "FAC-7".into(),
            receipt_sha256: None,
            budget_line: line.map(str::to_owned),
        })
    }

    /// A selected project with 1 000 € allocated to it.
    fn funded_project() -> Vec<Event> {
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
        let receive = Command::RecordReceipt(RecordReceipt {
            receipt_id: ReceiptId(Uuid::new_v4()),
            amount: "5000.00".parse().unwrap(),
            source: "Subvention".into(),
            reference: "SUB-1".into(),
        });
        history.extend(given(&history).when(receive).events());
        let allocate = Command::AllocateFunds(AllocateFunds {
            allocation_id: ALLOCATION,
            project_id: PROJECT_A,
            amount: "1000.00".parse().unwrap(),
            decision: Decision::Assembly {
                reference: "AG 2026-03".into(),
            },
        });
        history.extend(given(&history).when(allocate).events());
        history
    }

    #[test]
    fn a_budget_carries_its_total_and_a_revision_replaces_its_lines() {
        let mut history = funded_project();
        let events = given(&history)
            .when(set_budget(
                PROJECT,
                &[("moyens-humains", "600.00"), ("web", "250.50")],
            ))
            .then_events(&["BudgetSet"]);
        let Event::BudgetSet(set) = &events[0] else {
            unreachable!()
        };
        assert_eq!(set.total, "850.50".parse().unwrap());
        history.extend(events);
        history.extend(
            given(&history)
                .when(set_budget(PROJECT, &[("moyens-humains", "700.00")]))
                .events(),
        );
        let state = given(&history).state();
        let budget = &state.funds.budgets[&PROJECT];
        assert_eq!(budget.versions, 2);
        assert_eq!(budget.total, "700.00".parse().unwrap());
        assert_eq!(budget.lines.len(), 1);
    }

    #[test]
    fn a_budget_needs_well_formed_distinct_lines_with_positive_forecasts() {
        let history = funded_project();
        given(&history)
            .when(set_budget(PROJECT, &[]))
            .then_rule("budget-line-count");
        let too_many: Vec<(String, &str)> = (0..=BUDGET_LINES_MAX)
            .map(|n| (format!("l{n}"), "1.00"))
            .collect();
        let too_many: Vec<(&str, &str)> = too_many.iter().map(|(c, f)| (c.as_str(), *f)).collect();
        given(&history)
            .when(set_budget(PROJECT, &too_many))
            .then_rule("budget-line-count");
        for code in ["", "Web", "moyens humains", "-web", "web-", "a--b", "été"] {
            given(&history)
                .when(set_budget(PROJECT, &[(code, "1.00")]))
                .then_rule("budget-line-code");
        }
        given(&history)
            .when(set_budget(PROJECT, &[("web", "1.00"), ("web", "2.00")]))
            .then_rule("budget-line-unique");
        given(&history)
            .when(set_budget(PROJECT, &[("web", "0.00")]))
            .then_rule("amount-positive");
        given(&history)
            .when(set_budget(PROJECT, &[("web", "-5.00")]))
            .then_rule("amount-positive");
        let Command::SetBudget(mut blank) = set_budget(PROJECT, &[("web", "1.00")]) else {
            unreachable!()
        };
        blank.reason = "  ".into();
        given(&history)
            .when(Command::SetBudget(blank))
            .then_rule("text-blank");
    }

    #[test]
    fn only_an_open_project_gets_a_budget() {
        let history = funded_project();
        let stranger = BudgetScope::Project {
            project_id: ProjectId(Uuid::from_u128(0xdead)),
        };
        given(&history)
            .when(set_budget(stranger, &[("web", "1.00")]))
            .then_rule("project-not-found");
        let mut withdrawn = history.clone();
        withdrawn.push(
            agora_events::ProjectStatusChanged {
                project_id: PROJECT_A,
                from: ProjectStatus::Selected,
                to: ProjectStatus::Withdrawn,
                reason: None,
            }
            .into(),
        );
        given(&withdrawn)
            .when(set_budget(PROJECT, &[("web", "1.00")]))
            .then_rule("project-closed");
        given(&withdrawn)
            .when(set_budget(BudgetScope::Community, &[("web", "1.00")]))
            .then_events(&["BudgetSet"]);
    }

    #[test]
    fn the_same_lines_again_change_nothing() {
        let mut history = funded_project();
        history.extend(
            given(&history)
                .when(set_budget(BudgetScope::Community, &[("web", "100.00")]))
                .events(),
        );
        given(&history)
            .when(set_budget(BudgetScope::Community, &[("web", "100.00")]))
            .then_err(Rejection::BudgetUnchanged);
    }

    #[test]
    fn expenses_name_a_line_of_the_budget_that_applies() {
        let mut history = funded_project();
        // No budget: the line is optional, but well formed when given.
        given(&history)
            .when(spend("10.00", None))
            .then_events(&["ExpenseRecorded"]);
        given(&history)
            .when(spend("10.00", Some("Web dev")))
            .then_rule("budget-line-code");

        // The community's budget applies to a project without one.
        history.extend(
            given(&history)
                .when(set_budget(
                    BudgetScope::Community,
                    &[("ateliers", "2000.00")],
                ))
                .events(),
        );
        given(&history)
            .when(spend("10.00", None))
            .then_err(Rejection::BudgetLineRequired {
                scope: BudgetScope::Community,
            });
        given(&history)
            .when(spend("10.00", Some("web")))
            .then_err(Rejection::UnknownBudgetLine {
                code: "web".into(),
                scope: BudgetScope::Community,
            });
        given(&history)
            .when(spend("10.00", Some("ateliers")))
            .then_events(&["ExpenseRecorded"]);

        // The project's own budget, once it has one.
        history.extend(
            given(&history)
                .when(set_budget(PROJECT, &[("web", "500.00")]))
                .events(),
        );
        given(&history)
            .when(spend("10.00", Some("ateliers")))
            .then_rule("budget-line-known");
        given(&history)
            .when(spend("10.00", None))
            .then_rule("budget-line-required");
        let events = given(&history)
            .when(spend("10.00", Some("web")))
            .then_events(&["ExpenseRecorded"]);
        let Event::ExpenseRecorded(expense) = &events[0] else {
            unreachable!()
        };
        assert_eq!(expense.budget_line.as_deref(), Some("web"));
    }

    #[test]
    fn a_revision_keeps_every_line_money_was_booked_to() {
        let mut history = funded_project();
        history.extend(
            given(&history)
                .when(set_budget(
                    PROJECT,
                    &[("web", "500.00"), ("films", "300.00")],
                ))
                .events(),
        );
        let spent = given(&history)
            .when(spend("120.00", Some("films")))
            .events();
        history.extend(spent.clone());

        given(&history)
            .when(set_budget(PROJECT, &[("web", "800.00")]))
            .then_err(Rejection::BudgetLineInUse {
                code: "films".into(),
                spent: "120.00".parse().unwrap(),
            });
        // Its forecast may change, or the unused line go.
        given(&history)
            .when(set_budget(PROJECT, &[("films", "100.00")]))
            .then_events(&["BudgetSet"]);

        // Once the expense is voided, nothing is booked to the line.
        let Event::ExpenseRecorded(expense) = &spent[0] else {
            unreachable!()
        };
        let void = Command::CorrectFunds(CorrectFunds {
            record: FundsRecord::Expense {
                expense_id: expense.expense_id,
            },
            amount: "0.00".parse().unwrap(),
            reason: "Facture annulée".into(),
        });
        history.extend(given(&history).when(void).events());
        given(&history)
            .when(set_budget(PROJECT, &[("web", "800.00")]))
            .then_events(&["BudgetSet"]);
    }

    #[test]
    fn actuals_follow_lines_per_project_and_for_the_community() {
        let mut history = funded_project();
        history.extend(
            given(&history)
                .when(set_budget(BudgetScope::Community, &[("web", "300.00")]))
                .events(),
        );
        history.extend(given(&history).when(spend("100.00", Some("web"))).events());
        history.extend(given(&history).when(spend("250.00", Some("web"))).events());
        let state = given(&history).state();
        let spent = state.funds.spent_by_line(BudgetScope::Community);
        assert_eq!(spent[&Some("web")], "350.00".parse().unwrap());
        let spent = state.funds.spent_by_line(PROJECT);
        assert_eq!(spent[&Some("web")], "350.00".parse().unwrap());
        let elsewhere = BudgetScope::Project {
            project_id: PROJECT_B,
        };
        assert!(state.funds.spent_by_line(elsewhere).is_empty());
    }
}
