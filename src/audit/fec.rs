//! The accountant's export: the community's capital and fund movements as
//! double-entry accounting entries, written as a FEC (*Fichier des
//! Écritures Comptables*, article A47 A-1 of the Livre des procédures
//! fiscales: 18 tab-separated columns) or as CSV for a spreadsheet.
//!
//! Every entry comes from one recorded event and is balanced; each kind of
//! movement has its journal, numbered without gaps over the period. The
//! accounts follow the French chart of accounts (PCG); which event books
//! to which accounts is written in `docs/accounting-export.md`.

use std::collections::{BTreeMap, HashMap};

use agora_events::{Event, FundsRecord, PioneerId, ProjectId, Timestamp};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::ledger::Committed;

/// The FEC's columns, in their legal order.
pub const COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// One journal per kind of movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Journal {
    /// Balances carried from before the period.
    Opening,
    /// Shares subscribed, paid, corrected and redeemed.
    Capital,
    /// Funds received by the community.
    Receipts,
    /// Funds allocated to projects, and allocations released.
    Allocations,
    /// Expenses of projects.
    Expenses,
}

impl Journal {
    pub fn code(self) -> &'static str {
        match self {
            Self::Opening => "AN",
            Self::Capital => "CAP",
            Self::Receipts => "REC",
            Self::Allocations => "AFF",
            Self::Expenses => "DEP",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Opening => "A nouveaux",
            Self::Capital => "Capital social",
            Self::Receipts => "Fonds reçus",
            Self::Allocations => "Affectations aux projets",
            Self::Expenses => "Dépenses des projets",
        }
    }
}

/// The accounts movements are booked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// 101200: capital subscribed, called, not paid.
    CapitalUnpaid,
    /// 101300: capital subscribed, called, paid.
    CapitalPaid,
    /// 110000 / 119000: what earlier periods' income and charges left.
    CarriedForward,
    /// 194000: funds dedicated to a project (auxiliary: the project).
    DedicatedFunds,
    /// 456200: what a member owes on shares subscribed (auxiliary: the member).
    MemberOwes,
    /// 456700: capital to repay to a member (auxiliary: the member).
    MemberRepaid,
    /// 512000: the bank.
    Bank,
    /// 628000: the projects' external charges.
    ProjectCharges,
    /// 689400: funds carried into dedicated funds.
    ToDedicatedFunds,
    /// 740000: grants and contributions received.
    FundsReceived,
    /// 789400: dedicated funds used or released.
    FromDedicatedFunds,
}

impl Account {
    pub fn number(self) -> &'static str {
        match self {
            Self::CapitalUnpaid => "101200",
            Self::CapitalPaid => "101300",
            Self::CarriedForward => "110000",
            Self::DedicatedFunds => "194000",
            Self::MemberOwes => "456200",
            Self::MemberRepaid => "456700",
            Self::Bank => "512000",
            Self::ProjectCharges => "628000",
            Self::ToDedicatedFunds => "689400",
            Self::FundsReceived => "740000",
            Self::FromDedicatedFunds => "789400",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CapitalUnpaid => "Capital souscrit - appelé, non versé",
            Self::CapitalPaid => "Capital souscrit - appelé, versé",
            Self::CarriedForward => "Report à nouveau",
            Self::DedicatedFunds => "Fonds dédiés aux projets",
            Self::MemberOwes => "Associés - capital appelé non versé",
            Self::MemberRepaid => "Associés - capital à rembourser",
            Self::Bank => "Banque",
            Self::ProjectCharges => "Charges externes des projets",
            Self::ToDedicatedFunds => "Reports en fonds dédiés",
            Self::FundsReceived => "Subventions et contributions reçues",
            Self::FromDedicatedFunds => "Utilisations des fonds dédiés",
        }
    }

    /// Income and charges (classes 6 and 7) are not carried from one period
    /// to the next: their net is.
    fn is_income_or_charge(self) -> bool {
        matches!(self.number().as_bytes()[0], b'6' | b'7')
    }
}

/// The auxiliary account a line is booked to: a member or a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Party {
    Member(PioneerId),
    Project(ProjectId),
}

impl Party {
    /// The auxiliary account's number: `A` for an associate, `P` for a
    /// project, then the id.
    pub fn number(self) -> String {
        match self {
            Self::Member(id) => format!("A{}", id.0.simple()),
            Self::Project(id) => format!("P{}", id.0.simple()),
        }
    }
}

/// What members and projects are called, for the auxiliary accounts' labels.
pub trait Names {
    fn member(&self, id: PioneerId) -> Option<String>;
    fn project(&self, id: ProjectId) -> Option<String>;
}

/// Members by their display name, opened with their key (an organisation by
/// its name), projects by their title.
pub struct OpenedNames<'a> {
    pub ledger: &'a crate::ledger::Ledger,
    pub community: &'a agora_projections::CommunityState,
}

impl Names for OpenedNames<'_> {
    fn member(&self, id: PioneerId) -> Option<String> {
        let pioneer = self.community.pioneer(id)?;
        match &pioneer.organisation {
            Some(organisation) => Some(organisation.name.clone()),
            None => self
                .ledger
                .keys()
                .open(id, &pioneer.personal)
                .map(|data| data.display_name),
        }
    }

    fn project(&self, id: ProjectId) -> Option<String> {
        let project = self.community.projects.by_id.get(&id)?;
        Some(project.title.clone())
    }
}

/// One side of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub account: Account,
    pub party: Option<Party>,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// A balanced accounting entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub journal: Journal,
    /// Its number in its journal, from 1, without gaps.
    pub number: u32,
    pub date: NaiveDate,
    /// The event it comes from (or, for opening balances, the period's start).
    pub piece: String,
    pub label: String,
    pub lines: Vec<Line>,
    /// When it was recorded in the ledger.
    pub validated: NaiveDate,
}

impl Entry {
    pub fn debits(&self) -> Decimal {
        self.lines.iter().map(|line| line.debit).sum()
    }

    pub fn credits(&self) -> Decimal {
        self.lines.iter().map(|line| line.credit).sum()
    }
}

/// An entry being written: pairs of debit and credit for the same amount.
struct Draft {
    journal: Journal,
    label: String,
    lines: Vec<Line>,
}

impl Draft {
    fn new(journal: Journal, label: impl Into<String>) -> Self {
        Self {
            journal,
            label: label.into(),
            lines: Vec::new(),
        }
    }

    /// Debits `debit` and credits `credit` by `amount`; a negative amount
    /// (a correction downwards) swaps the sides so that no figure is negative.
    fn pair(
        mut self,
        debit: (Account, Option<Party>),
        credit: (Account, Option<Party>),
        amount: Decimal,
    ) -> Self {
        let (debit, credit, amount) = if amount.is_sign_negative() {
            (credit, debit, -amount)
        } else {
            (debit, credit, amount)
        };
        if !amount.is_zero() {
            self.lines.push(Line {
                account: debit.0,
                party: debit.1,
                debit: amount,
                credit: Decimal::ZERO,
            });
            self.lines.push(Line {
                account: credit.0,
                party: credit.1,
                debit: Decimal::ZERO,
                credit: amount,
            });
        }
        self
    }
}

/// What earlier events said that later ones do not repeat.
#[derive(Default)]
struct Memory {
    /// The member whose subscription it is.
    subscribers: HashMap<Uuid, PioneerId>,
    /// The project an allocation or an expense is for.
    projects: HashMap<Uuid, ProjectId>,
}

/// The accounting entries of the movements recorded in `[from, to)`, with
/// the balances carried from before `from` as an opening entry.
pub fn entries(events: &[Committed], from: Timestamp, to: Timestamp) -> Result<Vec<Entry>, String> {
    let mut memory = Memory::default();
    let mut carried: BTreeMap<(Account, Option<Party>), Decimal> = BTreeMap::new();
    let mut entries = Vec::new();
    let mut numbers: BTreeMap<Journal, u32> = BTreeMap::new();
    for committed in events {
        let (event, metadata) = committed.record.decode().map_err(|e| e.to_string())?;
        let at = metadata.recorded_at;
        if at >= to {
            break;
        }
        let Some(draft) = draft(&event, &mut memory) else {
            continue;
        };
        if at < from {
            for line in draft.lines {
                *carried.entry((line.account, line.party)).or_default() += line.debit - line.credit;
            }
            continue;
        }
        let number = numbers.entry(draft.journal).or_default();
        *number += 1;
        let date = at.instant().date_naive();
        entries.push(Entry {
            journal: draft.journal,
            number: *number,
            date,
            piece: committed.record.event_id.0.to_string(),
            label: draft.label,
            lines: draft.lines,
            validated: date,
        });
    }
    if let Some(opening) = opening(carried, from) {
        entries.insert(0, opening);
    }
    Ok(entries)
}

/// The balances of the balance-sheet accounts at `from`; the net of
/// earlier income and charges goes to the carried-forward account.
fn opening(carried: BTreeMap<(Account, Option<Party>), Decimal>, from: Timestamp) -> Option<Entry> {
    let mut lines = Vec::new();
    let mut result = Decimal::ZERO;
    for ((account, party), balance) in carried {
        if account.is_income_or_charge() {
            result += balance;
        } else if !balance.is_zero() {
            lines.push(signed_line(account, party, balance));
        }
    }
    if !result.is_zero() {
        lines.push(signed_line(Account::CarriedForward, None, result));
    }
    if lines.is_empty() {
        return None;
    }
    let date = from.instant().date_naive();
    Some(Entry {
        journal: Journal::Opening,
        number: 1,
        date,
        piece: format!("AN{}", date.format("%Y%m%d")),
        label: "Soldes à l'ouverture de la période".to_owned(),
        lines,
        validated: date,
    })
}

fn signed_line(account: Account, party: Option<Party>, balance: Decimal) -> Line {
    Line {
        account,
        party,
        debit: balance.max(Decimal::ZERO),
        credit: (-balance).max(Decimal::ZERO),
    }
}

/// The entry an event books, if it moves capital or funds.
fn draft(event: &Event, memory: &mut Memory) -> Option<Draft> {
    use Account::*;
    let member = |id| Some(Party::Member(id));
    let project = |id| Some(Party::Project(id));
    Some(match event {
        Event::SharesSubscribed(subscribed) => {
            let id = subscribed.pioneer_id;
            memory.subscribers.insert(subscribed.subscription_id.0, id);
            Draft::new(
                Journal::Capital,
                format!("Souscription de {} part(s)", subscribed.shares),
            )
            .pair(
                (MemberOwes, member(id)),
                (CapitalUnpaid, None),
                subscribed.amount.value(),
            )
        }
        Event::SharePaymentRecorded(payment) => {
            let id = payment.pioneer_id;
            let amount = payment.amount.value();
            Draft::new(
                Journal::Capital,
                format!("Versement sur parts, {}", payment.reference),
            )
            .pair((Bank, None), (MemberOwes, member(id)), amount)
            .pair((CapitalUnpaid, None), (CapitalPaid, None), amount)
        }
        Event::SharePaymentCorrected(corrected) => {
            let id = *memory.subscribers.get(&corrected.subscription_id.0)?;
            let delta = corrected.amount.value() - corrected.amount_before.value();
            Draft::new(
                Journal::Capital,
                format!("Correction d'un versement, {}", corrected.reason),
            )
            .pair((Bank, None), (MemberOwes, member(id)), delta)
            .pair((CapitalUnpaid, None), (CapitalPaid, None), delta)
        }
        Event::SharesRedeemed(redeemed) => Draft::new(
            Journal::Capital,
            format!("Remboursement de {} part(s)", redeemed.shares),
        )
        .pair(
            (CapitalPaid, None),
            (MemberRepaid, member(redeemed.pioneer_id)),
            redeemed.amount.value(),
        ),
        Event::FundsReceived(received) => Draft::new(
            Journal::Receipts,
            format!("{}, {}", received.source, received.reference),
        )
        .pair((Bank, None), (FundsReceived, None), received.amount.value()),
        Event::FundsAllocated(allocated) => {
            let id = allocated.project_id;
            memory.projects.insert(allocated.allocation_id.0, id);
            Draft::new(Journal::Allocations, "Affectation au projet").pair(
                (ToDedicatedFunds, None),
                (DedicatedFunds, project(id)),
                allocated.amount.value(),
            )
        }
        Event::AllocationReleased(released) => Draft::new(
            Journal::Allocations,
            "Solde d'affectation rendu aux fonds communs",
        )
        .pair(
            (DedicatedFunds, project(released.project_id)),
            (FromDedicatedFunds, None),
            released.released.value(),
        ),
        Event::ExpenseRecorded(expense) => {
            let id = expense.project_id;
            memory.projects.insert(expense.expense_id.0, id);
            let label = match &expense.budget_line {
                Some(line) => format!("{}, {} (ligne {line})", expense.payee, expense.reference),
                None => format!("{}, {}", expense.payee, expense.reference),
            };
            expense_draft(
                Draft::new(Journal::Expenses, label),
                id,
                expense.amount.value(),
            )
        }
        Event::FundsCorrected(corrected) => {
            let delta = corrected.amount.value() - corrected.amount_before.value();
            let label = format!("Correction, {}", corrected.reason);
            match corrected.record {
                FundsRecord::Receipt { .. } => Draft::new(Journal::Receipts, label).pair(
                    (Bank, None),
                    (FundsReceived, None),
                    delta,
                ),
                FundsRecord::Allocation { allocation_id } => {
                    let id = *memory.projects.get(&allocation_id.0)?;
                    Draft::new(Journal::Allocations, label).pair(
                        (ToDedicatedFunds, None),
                        (DedicatedFunds, project(id)),
                        delta,
                    )
                }
                FundsRecord::Expense { expense_id } => {
                    let id = *memory.projects.get(&expense_id.0)?;
                    expense_draft(Draft::new(Journal::Expenses, label), id, delta)
                }
            }
        }
        _ => return None,
    })
}

/// An expense is paid from the bank, and uses as much of its project's
/// dedicated funds.
fn expense_draft(draft: Draft, project: ProjectId, amount: Decimal) -> Draft {
    use Account::*;
    draft
        .pair((ProjectCharges, None), (Bank, None), amount)
        .pair(
            (DedicatedFunds, Some(Party::Project(project))),
            (FromDedicatedFunds, None),
            amount,
        )
}

/// One row of the file per entry line, its 18 columns as text.
fn rows<'a>(
    entries: &'a [Entry],
    names: &'a dyn Names,
    amount: fn(Decimal) -> String,
) -> impl Iterator<Item = [String; 18]> + 'a {
    entries.iter().flat_map(move |entry| {
        entry.lines.iter().map(move |line| {
            let (aux_number, aux_label) = match line.party {
                None => (String::new(), String::new()),
                Some(party) => (party.number(), party_label(party, names)),
            };
            [
                entry.journal.code().to_owned(),
                entry.journal.label().to_owned(),
                format!("{}{:06}", entry.journal.code(), entry.number),
                fec_date(entry.date),
                line.account.number().to_owned(),
                line.account.label().to_owned(),
                aux_number,
                aux_label,
                entry.piece.clone(),
                fec_date(entry.date),
                entry.label.clone(),
                amount(line.debit),
                amount(line.credit),
                String::new(),
                String::new(),
                fec_date(entry.validated),
                String::new(),
                String::new(),
            ]
        })
    })
}

fn party_label(party: Party, names: &dyn Names) -> String {
    let short = |id: Uuid| id.simple().to_string()[..8].to_owned();
    match party {
        Party::Member(id) => names
            .member(id)
            .unwrap_or_else(|| format!("Associé {}", short(id.0))),
        Party::Project(id) => names
            .project(id)
            .unwrap_or_else(|| format!("Projet {}", short(id.0))),
    }
}

fn fec_date(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

/// The FEC: a header line, then one line per entry line, tab-separated, amounts
/// with a decimal comma, lines ended by CR LF. Free text never carries a tab
/// or a line break into the file.
pub fn render_fec(entries: &[Entry], names: &dyn Names) -> String {
    render(
        entries,
        names,
        '\t',
        |amount| format!("{amount:.2}").replace('.', ","),
        |_, field| field.replace(['\t', '\r', '\n'], " "),
    )
}

/// The same rows as CSV (RFC 4180, amounts with a decimal point).
pub fn render_csv(entries: &[Entry], names: &dyn Names) -> String {
    render(
        entries,
        names,
        ',',
        |amount| format!("{amount:.2}"),
        |column, field| super::report::csv_field(field, !(11..=12).contains(&column)),
    )
}

fn render(
    entries: &[Entry],
    names: &dyn Names,
    separator: char,
    amount: fn(Decimal) -> String,
    field: fn(usize, &str) -> String,
) -> String {
    let separator = separator.to_string();
    let mut out = COLUMNS.join(&separator);
    out.push_str("\r\n");
    for row in rows(entries, names, amount) {
        let fields: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(column, text)| field(column, text))
            .collect();
        out.push_str(&fields.join(&separator));
        out.push_str("\r\n");
    }
    out
}

/// The file name the law gives a FEC (`<SIREN>FEC<closing date>.txt`), with
/// the community's slug where its SIREN would be.
pub fn file_name(community: &str, to: Timestamp) -> String {
    let closing = (to.instant() - chrono::Duration::nanoseconds(1)).date_naive();
    format!("{community}FEC{}", fec_date(closing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_events::{EventId, FundsCorrected, ReceiptId};

    struct NoNames;

    impl Names for NoNames {
        fn member(&self, _: PioneerId) -> Option<String> {
            None
        }
        fn project(&self, _: ProjectId) -> Option<String> {
            None
        }
    }

    fn sides(draft: &Draft) -> Vec<(&'static str, String, String)> {
        draft
            .lines
            .iter()
            .map(|line| {
                let number = line.account.number();
                (number, line.debit.to_string(), line.credit.to_string())
            })
            .collect()
    }

    #[test]
    fn a_correction_downwards_books_the_difference_on_the_other_sides() {
        let corrected = Event::FundsCorrected(FundsCorrected {
            record: FundsRecord::Receipt {
                receipt_id: ReceiptId(Uuid::from_u128(1)),
            },
            corrects: EventId(Uuid::from_u128(2)),
            amount_before: "100.00".parse().unwrap(),
            amount: "80.00".parse().unwrap(),
            reason: "montant mal saisi".into(),
        });

        let draft = draft(&corrected, &mut Memory::default()).unwrap();

        assert_eq!(
            sides(&draft),
            [
                ("740000", "20.00".into(), "0".into()),
                ("512000", "0".into(), "20.00".into()),
            ]
        );
    }

    #[test]
    fn free_text_never_breaks_a_line_or_a_column() {
        let entry = Entry {
            journal: Journal::Receipts,
            number: 1,
            date: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
            piece: "p".into(),
            label: "Région\tOccitanie\r\nREG-1".into(),
            lines: Draft::new(Journal::Receipts, "")
                .pair(
                    (Account::Bank, None),
                    (Account::FundsReceived, None),
                    Decimal::new(123_456, 2),
                )
                .lines,
            validated: NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
        };

        let text = render_fec(&[entry], &NoNames);

        let rows: Vec<&str> = text.split("\r\n").filter(|row| !row.is_empty()).collect();
        assert_eq!(rows.len(), 3);
        for row in &rows[1..] {
            let fields: Vec<&str> = row.split('\t').collect();
            assert_eq!(fields.len(), 18);
            assert_eq!(fields[10], "Région Occitanie  REG-1");
            assert_eq!(fields[3], "20260312");
        }
        assert!(rows[1].contains("\t1234,56\t0,00\t"));
    }

    #[test]
    fn the_file_is_named_after_the_period_s_last_day() {
        let to = Timestamp::new("2027-01-01T00:00:00Z".parse().unwrap());

        assert_eq!(file_name("lanceurs", to), "lanceursFEC20261231");
    }
}
