use serde_json::{Value, json};

use crate::helpers::{operator, problem, spawn_app};

/// Every `data-figure="name" data-value="value"` of the page.
fn figures(html: &str) -> Vec<(String, String)> {
    html.split("data-figure=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest
                .split_once("data-value=\"")
                .unwrap()
                .1
                .split_once('"')
                .unwrap()
                .0;
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// What the page shows people for a figure: the cell's text.
fn shown_text(html: &str, name: &str) -> String {
    let cell = html
        .split(&format!("data-figure=\"{name}\""))
        .nth(1)
        .unwrap();
    cell.split_once('>')
        .unwrap()
        .1
        .split_once('<')
        .unwrap()
        .0
        .to_owned()
}

fn pointer(name: &str) -> String {
    format!("/{}", name.replace('.', "/"))
}

#[tokio::test]
async fn the_assembly_report_gives_the_same_figures_in_json_html_and_csv() {
    let app = spawn_app().await;
    app.create_community().await;
    let alice = app.member_in_good_standing("Alice", 2).await;
    let bruno = app.member_in_good_standing("Bruno", 3).await;
    app.post(
        &app.path("/transfers"),
        &app.pioneer_token(&alice),
        &json!({"payee": format!("pioneer:{bruno}"), "hours": "2.50"}),
    )
    .await;
    let project = app
        .post(
            &app.path("/projects"),
            &app.pioneer_token(&alice),
            &json!({"title": "Jardin", "summary": "…"}),
        )
        .await
        .headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    app.post(
        &app.path(&format!("/projects/{project}/status")),
        &operator(),
        &json!({"status": "selected"}),
    )
    .await;
    app.post(
        &app.path("/funds/receipts"),
        &operator(),
        &json!({"amount": "900.00", "source": "Région", "reference": "R-1"}),
    )
    .await;
    app.post(
        &app.path(&format!("/projects/{project}/allocations")),
        &operator(),
        &json!({"amount": "500.00", "decision": {"kind": "assembly", "reference": "AG 2026"}}),
    )
    .await;
    app.post(
        &app.path(&format!("/projects/{project}/expenses")),
        &operator(),
        &json!({"amount": "120.00", "payee": "Pépinière <Les Tilleuls>", "reference": "F-1"}),
    )
    .await;

    let json: Value = app
        .get(&app.path("/reports/assembly"), &operator())
        .await
        .json()
        .await
        .unwrap();
    let html_response = app
        .get(&app.path("/reports/assembly?format=html"), &operator())
        .await;
    assert!(
        html_response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = html_response.text().await.unwrap();
    let csv = app
        .get(&app.path("/reports/assembly?format=csv"), &operator())
        .await
        .text()
        .await
        .unwrap();

    assert_eq!(json["capital"]["at_end"], "250.00");
    assert_eq!(json["members"]["admitted"].as_array().unwrap().len(), 2);
    assert_eq!(json["funds"]["spent_in_period"], "120.00");
    assert_eq!(json["funds"]["available_at_end"], "400.00");
    assert_eq!(json["time_credits"]["volume"], "2.50");
    assert_eq!(json["time_credits"]["sum_of_balances_at_end"], "0.00");
    let community: Value = app
        .get(&app.path(""), &operator())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["chain"]["head_hash_at_end"], community["head_hash"]);
    let shown = figures(&html);
    assert!(shown.len() >= 25, "{} figures", shown.len());
    for (name, value) in &shown {
        let expected = json
            .pointer(&pointer(name))
            .unwrap_or_else(|| panic!("{name} is not in the JSON"));
        let expected = expected
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| expected.to_string());
        assert_eq!(&expected, value, "{name}");
    }
    assert!(html.contains("lang=\"fr\""));
    // People read the figures the French way.
    assert_eq!(shown_text(&html, "capital.at_end"), "250,00\u{a0}€");
    assert_eq!(shown_text(&html, "funds.available_at_end"), "400,00\u{a0}€");
    assert_eq!(shown_text(&html, "time_credits.volume"), "2\u{a0}h\u{a0}30");
    assert_eq!(shown_text(&html, "members.admitted_count"), "2");
    assert!(html.contains("Pépinière &lt;Les Tilleuls&gt;"), "escaped");
    assert!(csv.starts_with("section,name,date,reference,label,value\r\n"));
    assert!(csv.contains("funds,expense,"));
    for (name, value) in &shown {
        assert!(
            csv.contains(&format!(",{name},,,,{value}\r\n")),
            "{name} missing from the CSV"
        );
    }
}

#[tokio::test]
async fn a_period_before_the_activity_shows_it_at_its_start_and_bad_periods_are_refused() {
    let app = spawn_app().await;
    app.create_community().await;
    app.member_in_good_standing("Alice", 2).await;

    let later: Value = app
        .get(
            &app.path("/reports/assembly?from=2099-01-01T00:00:00Z&to=2099-12-31"),
            &operator(),
        )
        .await
        .json()
        .await
        .unwrap();
    let reversed = app
        .get(
            &app.path("/reports/assembly?from=2026-06-01&to=2026-01-01"),
            &operator(),
        )
        .await;
    let bad_format = app
        .get(&app.path("/reports/assembly?format=pdf"), &operator())
        .await;

    assert_eq!(later["capital"]["at_start"], "100.00");
    assert_eq!(later["capital"]["payments"], 0);
    assert_eq!(later["chain"]["events_in_period"], 0);
    problem(reversed, 422, "period-order").await;
    problem(bad_format, 400, "invalid-parameter").await;
}
