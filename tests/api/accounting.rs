//! The accountant's export: capital and fund movements as a FEC and as CSV.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::{TestApp, operator, problem, spawn_app};

/// One line of a FEC, split into its fields.
struct FecLine(Vec<String>);

impl FecLine {
    fn field(&self, name: &str) -> &str {
        let column = FEC_COLUMNS.iter().position(|c| *c == name).unwrap();
        &self.0[column]
    }

    fn amount(&self, name: &str) -> Decimal {
        self.field(name).replace(',', ".").parse().unwrap()
    }
}

const FEC_COLUMNS: [&str; 18] = [
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

/// Reads a FEC and checks the rules every file must follow: the header,
/// 18 tab-separated fields per line, dates as `AAAAMMJJ`, amounts with a
/// decimal comma and never negative, every entry balanced, each journal
/// numbered from 1 without gaps.
fn read_fec(text: &str) -> Vec<FecLine> {
    assert!(text.ends_with("\r\n"), "lines end with CR LF");
    let mut rows = text.split("\r\n").filter(|row| !row.is_empty());
    assert_eq!(rows.next().unwrap(), FEC_COLUMNS.join("\t"));
    let lines: Vec<FecLine> = rows
        .map(|row| {
            let fields: Vec<String> = row.split('\t').map(str::to_owned).collect();
            assert_eq!(fields.len(), 18, "{row:?}");
            FecLine(fields)
        })
        .collect();
    let mut entries: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    for line in &lines {
        for date in ["EcritureDate", "PieceDate", "ValidDate"] {
            chrono::NaiveDate::parse_from_str(line.field(date), "%Y%m%d")
                .unwrap_or_else(|_| panic!("{date} {:?}", line.field(date)));
        }
        for side in ["Debit", "Credit"] {
            let text = line.field(side);
            assert!(
                text.contains(',') && !text.contains('.') && !text.starts_with('-'),
                "{side} {text:?}"
            );
        }
        assert!(
            (line.amount("Debit").is_zero()) != (line.amount("Credit").is_zero()),
            "a line is a debit or a credit"
        );
        let key = (
            line.field("JournalCode").to_owned(),
            line.field("EcritureNum").to_owned(),
        );
        let sums = entries.entry(key).or_default();
        sums.0 += line.amount("Debit");
        sums.1 += line.amount("Credit");
    }
    for ((journal, number), (debit, credit)) in &entries {
        assert_eq!(debit, credit, "entry {journal} {number} is balanced");
    }
    let mut numbers: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (journal, number) in entries.keys() {
        let digits = number.strip_prefix(journal.as_str()).unwrap();
        numbers
            .entry(journal)
            .or_default()
            .push(digits.parse().unwrap());
    }
    for (journal, mut numbers) in numbers {
        numbers.sort_unstable();
        let expected: Vec<u32> = (1..=numbers.len() as u32).collect();
        assert_eq!(numbers, expected, "journal {journal} has no gaps");
    }
    lines
}

/// What an account holds at the end: debits less credits.
fn balance(lines: &[FecLine], account: &str) -> Decimal {
    lines
        .iter()
        .filter(|line| line.field("CompteNum") == account)
        .map(|line| line.amount("Debit") - line.amount("Credit"))
        .sum()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Alice pays her share, Bob part of his two; 1 000 € received, 600 €
/// allocated to a project, a 450 € expense corrected to 400 €.
async fn community_with_movements(app: &TestApp) -> (String, String) {
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 1).await;
    let bob = app.admit("Bob").await;
    let bob_token = app.pioneer_token(&bob);
    let calls = [
        (
            format!("/pioneers/{bob}/charter"),
            bob_token.clone(),
            json!({"charter_version": "2026-01"}),
        ),
        (
            format!("/pioneers/{bob}/shares/subscriptions"),
            bob_token,
            json!({"shares": 2}),
        ),
        (
            format!("/pioneers/{bob}/shares/payments"),
            operator(),
            json!({"amount": "30.00", "reference": "VIR-2"}),
        ),
        (
            "/funds/receipts".to_owned(),
            operator(),
            json!({"amount": "1000.00", "source": "Région", "reference": "REG-1"}),
        ),
    ];
    for (path, token, body) in calls {
        let response = app.post(&app.path(&path), &token, &body).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let project = app.propose_project(&alice, "Jardin partagé").await;
    let decision = json!({"kind": "assembly", "reference": "AG du 12 mars 2026"});
    let calls = [
        (
            format!("/projects/{project}/status"),
            json!({"status": "selected"}),
        ),
        (
            format!("/projects/{project}/allocations"),
            json!({"amount": "600.00", "decision": decision}),
        ),
        (
            format!("/projects/{project}/expenses"),
            json!({"amount": "450.00", "payee": "Pépinière", "reference": "FAC-7"}),
        ),
    ];
    for (path, body) in calls {
        let response = app.post(&app.path(&path), &operator(), &body).await;
        assert!(response.status().is_success(), "{path}");
    }
    let funds: serde_json::Value = app
        .get(&app.path("/funds"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let expense_id = funds["allocations"][0]["expenses"][0]["id"]
        .as_str()
        .unwrap();
    let corrected = app
        .post(
            &app.path("/funds/corrections"),
            &operator(),
            &json!({"record": {"kind": "expense", "expense_id": expense_id}, "amount": "400.00", "reason": "avoir"}),
        )
        .await;
    assert_eq!(
        corrected.status(),
        200,
        "{}",
        corrected.text().await.unwrap()
    );
    (alice, bob)
}

#[tokio::test]
async fn capital_and_funds_are_balanced_entries_in_one_journal_per_kind() {
    let app = spawn_app().await;
    let (alice, bob) = community_with_movements(&app).await;

    let response = app.get(&app.path("/exports/accounting"), &operator()).await;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    let today = chrono::Utc::now().format("%Y%m%d").to_string();
    assert!(
        disposition.contains(&format!("FEC{today}.txt")),
        "{disposition}"
    );
    let lines = read_fec(&response.text().await.unwrap());

    let journals: std::collections::BTreeSet<&str> =
        lines.iter().map(|line| line.field("JournalCode")).collect();
    assert_eq!(
        journals,
        ["AFF", "CAP", "DEP", "REC"].into_iter().collect(),
        "no opening balances over the whole history"
    );
    // Alice 50 €, Bob 30 €, 1 000 € received, 400 € spent in the end.
    assert_eq!(balance(&lines, "512000"), dec("680.00"));
    // 150 € subscribed, 80 € of it paid.
    assert_eq!(balance(&lines, "101200"), dec("-70.00"));
    assert_eq!(balance(&lines, "101300"), dec("-80.00"));
    assert_eq!(balance(&lines, "456200"), dec("70.00"));
    // 600 € dedicated to the project, 400 € of it used.
    assert_eq!(balance(&lines, "194000"), dec("-200.00"));
    assert_eq!(balance(&lines, "628000"), dec("400.00"));
    let total: Decimal = ["512000", "101200", "101300", "456200", "194000", "628000"]
        .into_iter()
        .chain(["689400", "740000", "789400"])
        .map(|account| balance(&lines, account))
        .sum();
    assert_eq!(total, Decimal::ZERO);

    // Members' auxiliary accounts carry their names; projects' their title.
    let owes = |id: &str| {
        lines
            .iter()
            .find(|line| line.field("CompAuxNum") == format!("A{}", id.replace('-', "")))
            .map(|line| line.field("CompAuxLib").to_owned())
    };
    assert_eq!(owes(&alice).as_deref(), Some("Alice"));
    assert_eq!(owes(&bob).as_deref(), Some("Bob"));
    assert!(
        lines
            .iter()
            .any(|line| line.field("CompAuxLib") == "Jardin partagé")
    );
    assert!(
        lines
            .iter()
            .any(|line| line.field("EcritureLib") == "Versement sur parts, VIR-2")
    );

    let csv = app
        .get(&app.path("/exports/accounting?format=csv"), &operator())
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let rows: Vec<&str> = csv.split("\r\n").filter(|row| !row.is_empty()).collect();
    assert_eq!(rows[0], FEC_COLUMNS.join(","));
    assert_eq!(rows.len(), lines.len() + 1, "the same lines as the FEC");
}

#[tokio::test]
async fn a_later_period_opens_with_the_balances_carried_from_before() {
    let app = spawn_app().await;
    community_with_movements(&app).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();

    let response = app
        .get(
            &app.path(&format!(
                "/exports/accounting?from={tomorrow}&to={tomorrow}"
            )),
            &operator(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let lines = read_fec(&response.text().await.unwrap());

    assert!(lines.iter().all(|line| line.field("JournalCode") == "AN"));
    assert!(
        lines
            .iter()
            .all(|line| line.field("EcritureDate") == tomorrow.format("%Y%m%d").to_string())
    );
    assert_eq!(balance(&lines, "512000"), dec("680.00"));
    assert_eq!(balance(&lines, "194000"), dec("-200.00"));
    assert_eq!(balance(&lines, "456200"), dec("70.00"));
    // Income and charges are not carried: their net is (1 000 received, less
    // 600 dedicated, plus 400 of them used, less 400 spent: 400 credit).
    for account in ["628000", "689400", "740000", "789400"] {
        assert_eq!(balance(&lines, account), Decimal::ZERO, "{account}");
    }
    assert_eq!(balance(&lines, "110000"), dec("-400.00"));
}

#[tokio::test]
async fn the_export_refuses_what_it_cannot_give() {
    let app = spawn_app().await;
    community_with_movements(&app).await;

    let wrong_format = app
        .get(&app.path("/exports/accounting?format=xlsx"), &operator())
        .await;
    let backwards = app
        .get(
            &app.path("/exports/accounting?from=2026-06-01&to=2026-01-01"),
            &operator(),
        )
        .await;
    let not_a_date = app
        .get(&app.path("/exports/accounting?from=hier"), &operator())
        .await;

    assert_eq!(wrong_format.status(), 400);
    problem(backwards, 422, "period-order").await;
    assert_eq!(not_a_date.status(), 400);
}
