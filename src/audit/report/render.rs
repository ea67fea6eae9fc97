//! The report's renderings: the named figures, CSV for a spreadsheet, and a
//! printable HTML page in French.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use agora_events::Timestamp;

use super::{AssemblyReport, MoneyLine};
use crate::french;

impl AssemblyReport {
    /// The named figures, as `(name, value)`: the CSV's figure rows and
    /// the HTML's `data-figure` cells.
    pub fn figures(&self) -> Vec<(&'static str, String)> {
        let c = &self.capital;
        let m = &self.members;
        let a = &self.applications;
        let f = &self.funds;
        let t = &self.time_credits;
        vec![
            ("capital.at_start", c.at_start.to_string()),
            ("capital.at_end", c.at_end.to_string()),
            ("capital.highest", c.highest.to_string()),
            ("capital.subscriptions", c.subscriptions.to_string()),
            ("capital.amount_subscribed", c.amount_subscribed.to_string()),
            ("capital.payments", c.payments.to_string()),
            ("capital.amount_paid", c.amount_paid.to_string()),
            ("capital.redemptions", c.redemptions.to_string()),
            ("capital.amount_redeemed", c.amount_redeemed.to_string()),
            ("members.at_start", m.at_start.to_string()),
            ("members.at_end", m.at_end.to_string()),
            ("members.admitted_count", m.admitted_count.to_string()),
            ("members.left_count", m.left_count.to_string()),
            ("members.excluded_count", m.excluded_count.to_string()),
            ("members.forgotten", m.forgotten.to_string()),
            (
                "members.organisations_at_end",
                m.organisations_at_end.to_string(),
            ),
            ("applications.received", a.received.to_string()),
            ("applications.admitted", a.admitted.to_string()),
            ("applications.declined", a.declined.to_string()),
            ("applications.withdrawn", a.withdrawn.to_string()),
            ("applications.pending_at_end", a.pending_at_end.to_string()),
            (
                "meetings.working_meetings",
                self.meetings.working_meetings.to_string(),
            ),
            (
                "meetings.social_events",
                self.meetings.social_events.to_string(),
            ),
            ("ballots_closed", self.ballots_closed.to_string()),
            ("funds.received_in_period", f.received_in_period.to_string()),
            (
                "funds.allocated_in_period",
                f.allocated_in_period.to_string(),
            ),
            ("funds.spent_in_period", f.spent_in_period.to_string()),
            ("funds.available_at_end", f.available_at_end.to_string()),
            ("time_credits.volume", t.volume.to_string()),
            ("time_credits.exchanges", t.exchanges.to_string()),
            ("time_credits.transfers", t.transfers.to_string()),
            ("time_credits.reversals", t.reversals.to_string()),
            ("time_credits.active_traders", t.active_traders.to_string()),
            (
                "time_credits.sum_of_balances_at_end",
                t.sum_of_balances_at_end.clone(),
            ),
            (
                "chain.head_hash_at_end",
                self.chain.head_hash_at_end.to_string(),
            ),
            ("chain.events_at_end", self.chain.events_at_end.to_string()),
            (
                "chain.events_in_period",
                self.chain.events_in_period.to_string(),
            ),
        ]
    }

    /// CSV: `section,name,date,reference,label,value`, one figure or line per
    /// row, RFC 4180 quoting.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("section,name,date,reference,label,value\r\n");
        let mut row = |fields: [&str; 6]| {
            // Text columns are neutralized against spreadsheet formulas;
            // the value column holds the figures as they are.
            let quoted: Vec<String> = fields
                .iter()
                .enumerate()
                .map(|(column, field)| csv_field(field, column < 5))
                .collect();
            out.push_str(&quoted.join(","));
            out.push_str("\r\n");
        };
        for (name, value) in self.figures() {
            let section = name.split(['.', '_']).next().unwrap_or_default();
            row([section, name, "", "", "", &value]);
        }
        for line in &self.funds.receipts {
            row([
                "funds",
                "receipt",
                &line.at.to_string(),
                &line.reference,
                &line.label,
                &line.amount.to_string(),
            ]);
        }
        for project in &self.funds.projects {
            for line in &project.allocations {
                row([
                    "funds",
                    "allocation",
                    &line.at.to_string(),
                    &line.reference,
                    &project.title,
                    &line.amount.to_string(),
                ]);
            }
            for line in &project.expenses {
                let label = format!("{} — {}", project.title, line.label);
                row([
                    "funds",
                    "expense",
                    &line.at.to_string(),
                    &line.reference,
                    &label,
                    &line.amount.to_string(),
                ]);
            }
        }
        for budget in &self.budgets {
            let mut money = |name: &str, code: &str, label: &str, amount: agora_events::Euros| {
                let reference = format!("{}:{code}", budget.scope);
                let label = format!("{} — {label}", budget.title);
                row(["budgets", name, "", &reference, &label, &amount.to_string()]);
            };
            for line in &budget.lines {
                money("forecast", &line.code, &line.label, line.forecast);
                money("spent", &line.code, &line.label, line.spent);
            }
            money("unbudgeted", "", "hors budget", budget.unbudgeted);
            for code in &budget.over_forecast {
                let reference = format!("{}:{code}", budget.scope);
                row([
                    "budgets",
                    "over_forecast",
                    "",
                    &reference,
                    &budget.title,
                    "true",
                ]);
            }
        }
        for assembly in &self.assemblies {
            row([
                "assemblies",
                "assembly",
                &assembly.held_at.to_string(),
                &assembly.assembly_id,
                &assembly.place,
                if assembly.quorum_met {
                    "quorum met"
                } else {
                    "quorum not met"
                },
            ]);
        }
        for meeting in &self.meetings.meetings {
            row([
                "meetings",
                meeting.kind,
                &meeting.held_on.to_string(),
                meeting.project.as_deref().unwrap_or_default(),
                &meeting.purpose,
                &meeting.attendees.to_string(),
            ]);
        }
        for year in &self.meetings.social_by_year {
            row([
                "meetings",
                "social_event_in_year",
                &year.year.to_string(),
                "",
                if year.met { "met" } else { "not met" },
                &year.social_events.to_string(),
            ]);
        }
        for line in &self.impact {
            let value = format!("{} {}", line.at_end, line.unit);
            row([
                "impact",
                line.compass,
                &line.measured_on.to_string(),
                &line.project,
                &line.indicator,
                &value,
            ]);
        }
        for ballot in &self.ballots {
            let winner = ballot.winner.clone().unwrap_or_else(|| "aucun".into());
            row([
                "ballots",
                "ballot",
                &ballot.closed_at.to_string(),
                &ballot.ballot_id,
                &ballot.question,
                &winner,
            ]);
        }
        out
    }

    /// A printable HTML page, in French.
    pub fn to_html(&self) -> String {
        let figures: BTreeMap<&str, String> = self.figures().into_iter().collect();
        // Each figure read the French way, its exact value beside it for
        // programs (`data-value`, as in the JSON).
        let figure = |name: &str| {
            let value = &figures[name];
            format!(
                "<td class=\"n\" data-figure=\"{name}\" data-value=\"{}\">{}</td>",
                escape(value),
                escape(&french_figure(name, value))
            )
        };
        let mut html = String::new();
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>Rapport à l'assemblée — {name}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
             <h1>Rapport à l'assemblée générale</h1>\n<p class=\"sub\">{name} ({community})<br>\
             Période du {from} au {to} (UTC)</p>\n",
            name = escape(&self.name),
            community = escape(&self.community),
            from = french_date(self.from),
            to = french_date(self.to),
        );
        let table = |html: &mut String, title: &str, rows: &[(&str, &str)]| {
            let _ = write!(html, "<h2>{title}</h2>\n<table>\n");
            for (label, name) in rows {
                let _ = writeln!(html, "<tr><th>{label}</th>{}</tr>", figure(name));
            }
            html.push_str("</table>\n");
        };
        table(
            &mut html,
            "Capital social",
            &[
                ("Capital en début de période (€)", "capital.at_start"),
                ("Capital en fin de période (€)", "capital.at_end"),
                ("Capital le plus élevé atteint (€)", "capital.highest"),
                ("Souscriptions", "capital.subscriptions"),
                ("Montant souscrit (€)", "capital.amount_subscribed"),
                ("Versements", "capital.payments"),
                ("Montant versé (€)", "capital.amount_paid"),
                ("Remboursements de parts", "capital.redemptions"),
                ("Montant remboursé (€)", "capital.amount_redeemed"),
            ],
        );
        table(
            &mut html,
            "Sociétaires",
            &[
                ("Membres en début de période", "members.at_start"),
                ("Membres en fin de période", "members.at_end"),
                ("Admissions", "members.admitted_count"),
                ("Départs", "members.left_count"),
                ("Exclusions", "members.excluded_count"),
                ("Effacements de données personnelles", "members.forgotten"),
                (
                    "Dont structures (personnes morales) en fin de période",
                    "members.organisations_at_end",
                ),
            ],
        );
        table(
            &mut html,
            "Candidatures",
            &[
                ("Candidatures reçues", "applications.received"),
                ("Candidatures admises", "applications.admitted"),
                ("Candidatures refusées", "applications.declined"),
                ("Candidatures retirées", "applications.withdrawn"),
                (
                    "En attente de décision en fin de période",
                    "applications.pending_at_end",
                ),
            ],
        );
        let _ = write!(
            html,
            "<h2>Scrutins clos</h2>\n<table>\n<tr><th>Date</th><th>Question</th><th>Méthode</th><th>Votes</th><th>Résultat</th></tr>\n"
        );
        for ballot in &self.ballots {
            let results: Vec<String> = ballot
                .results
                .iter()
                .map(|(label, score)| format!("{} : {}", escape(label), escape(score)))
                .collect();
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{} ({})</td><td class=\"n\">{}</td><td><strong>{}</strong><br><small>{}</small></td></tr>",
                french_date(ballot.closed_at),
                escape(&ballot.question),
                french_method(&ballot.method),
                french_kind(&ballot.kind),
                ballot.votes_counted,
                escape(ballot.winner.as_deref().unwrap_or("aucun vainqueur")),
                results.join(" ; ")
            );
        }
        let _ = writeln!(
            html,
            "<tr><th colspan=\"4\">Scrutins clos</th>{}</tr>\n</table>",
            figure("ballots_closed")
        );
        table(
            &mut html,
            "Fonds",
            &[
                ("Reçus sur la période (€)", "funds.received_in_period"),
                ("Affectés sur la période (€)", "funds.allocated_in_period"),
                ("Dépensés sur la période (€)", "funds.spent_in_period"),
                (
                    "Disponibles en fin de période (€)",
                    "funds.available_at_end",
                ),
            ],
        );
        let money_rows = |html: &mut String, caption: &str, lines: &[MoneyLine]| {
            if lines.is_empty() {
                return;
            }
            let _ = write!(
                html,
                "<table>\n<caption>{caption}</caption>\n<tr><th>Date</th><th>Référence</th><th>Libellé</th><th>Montant (€)</th></tr>\n"
            );
            for line in lines {
                let _ = writeln!(
                    html,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    french_date(line.at),
                    escape(&line.reference),
                    escape(&line.label),
                    french::euros(line.amount)
                );
            }
            html.push_str("</table>\n");
        };
        money_rows(&mut html, "Recettes", &self.funds.receipts);
        for project in &self.funds.projects {
            let _ = write!(
                html,
                "<h3>Projet : {}</h3>\n<p>Affecté au total : {} — dépensé au total : {}</p>\n",
                escape(&project.title),
                french::euros_total(project.allocated_total),
                french::euros_total(project.spent_total)
            );
            money_rows(&mut html, "Affectations (décision)", &project.allocations);
            money_rows(&mut html, "Dépenses (fournisseur)", &project.expenses);
        }
        if !self.budgets.is_empty() {
            html.push_str("<h2>Budgets prévisionnels et réalisés</h2>\n");
        }
        for budget in &self.budgets {
            let whose = if budget.scope == "community" {
                format!(
                    "Budget prévisionnel de la communauté : {}",
                    escape(&budget.title)
                )
            } else {
                format!("Budget prévisionnel du projet : {}", escape(&budget.title))
            };
            let _ = write!(
                html,
                "<table data-budget=\"{scope}\">\n<caption>{whose}</caption>\n                 <tr><th>Poste</th><th>Prévisionnel (€)</th><th>Réalisé (€)</th><th>Reste (€)</th><th></th></tr>\n",
                scope = escape(&budget.scope),
            );
            for line in &budget.lines {
                let flag = if line.over_forecast {
                    "<td class=\"depassement\"><strong>dépassement</strong></td>"
                } else {
                    "<td></td>"
                };
                let _ = writeln!(
                    html,
                    "<tr data-line=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{flag}</tr>",
                    escape(&line.code),
                    escape(&line.label),
                    french::euros(line.forecast),
                    french::euros(line.spent),
                    french::euros(line.remaining),
                );
            }
            let _ = writeln!(
                html,
                "<tr><th>Total</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td></td><td></td></tr>\n                 <tr><th>Dépenses hors budget</th><td></td><td class=\"n\">{}</td><td></td><td></td></tr>\n</table>",
                french::euros(budget.forecast),
                french::euros(budget.spent),
                french::euros(budget.unbudgeted),
            );
        }
        if !self.assemblies.is_empty() {
            html.push_str(
                "<h2>Assemblées générales</h2>\n<table>\n\
                 <tr><th>Date</th><th>Nature</th><th>Lieu</th><th>Présents</th><th>Représentés</th><th>Quorum</th><th>Scrutins</th><th>Procès-verbal (SHA-256)</th></tr>\n",
            );
            for assembly in &self.assemblies {
                let count =
                    |value: Option<usize>| value.map_or_else(|| "—".to_owned(), |n| n.to_string());
                let quorum = match (assembly.quorum_required, assembly.quorum_met) {
                    (None, _) => "feuille de présence non enregistrée".to_owned(),
                    (Some(0), _) => "seconde convocation : sans quorum".to_owned(),
                    (Some(required), true) => format!("atteint ({required} requis)"),
                    (Some(required), false) => {
                        format!("<strong>non atteint</strong> ({required} requis)")
                    }
                };
                let _ = writeln!(
                    html,
                    "<tr data-assembly=\"{}\"><td>{}</td><td>{}{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{quorum}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    escape(&assembly.assembly_id),
                    french_date(assembly.held_at),
                    if assembly.kind == "extraordinary" {
                        "extraordinaire"
                    } else {
                        "ordinaire"
                    },
                    if assembly.convocation == 2 {
                        ", seconde convocation"
                    } else {
                        ""
                    },
                    escape(&assembly.place),
                    count(assembly.present),
                    count(assembly.represented),
                    assembly.ballots,
                    assembly
                        .minutes_sha256
                        .map_or_else(|| "—".to_owned(), |hash| hash.to_string()),
                );
            }
            html.push_str("</table>\n");
        }
        if let Some(representative) = &self.representative {
            let _ = writeln!(
                html,
                "<p data-representative=\"{}\">Représentant de la communauté : le pionnier {}, élu par le scrutin {}, mandat du {} au {}{}.</p>",
                escape(&representative.pioneer_id),
                escape(&representative.pioneer_id),
                escape(&representative.ballot_id),
                french_date(representative.from),
                french_date(representative.until),
                if representative.in_force_at_end {
                    ""
                } else {
                    " (échu en fin de période)"
                },
            );
        }
        table(
            &mut html,
            "Réunions et événements de convivialité",
            &[
                ("Réunions de travail", "meetings.working_meetings"),
                ("Événements de convivialité", "meetings.social_events"),
            ],
        );
        if !self.meetings.meetings.is_empty() {
            html.push_str(
                "<table>\n<caption>Réunions de la période</caption>\n\
                 <tr><th>Date</th><th>Nature</th><th>Objet</th><th>Projet suivi</th><th>Présents</th></tr>\n",
            );
            for meeting in &self.meetings.meetings {
                let _ = writeln!(
                    html,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    french::day(meeting.held_on),
                    if meeting.kind == "social" {
                        "convivialité"
                    } else {
                        "travail"
                    },
                    escape(&meeting.purpose),
                    escape(meeting.project.as_deref().unwrap_or("")),
                    meeting.attendees,
                );
            }
            html.push_str("</table>\n");
        }
        impact_table(&mut html, &self.impact);
        html.push_str("<ul class=\"years\">\n");
        for year in &self.meetings.social_by_year {
            let _ = writeln!(
                html,
                "<li data-year=\"{}\" data-met=\"{}\">{} : {}</li>",
                year.year,
                year.met,
                year.year,
                if year.met {
                    format!(
                        "au moins un événement de convivialité ({}), comme le demandent les statuts",
                        year.social_events
                    )
                } else {
                    "<strong>aucun événement de convivialité</strong> : les statuts en demandent au moins un par an".to_owned()
                },
            );
        }
        html.push_str("</ul>\n");
        table(
            &mut html,
            "Crédits temps (heures)",
            &[
                ("Volume échangé (h)", "time_credits.volume"),
                ("Échanges confirmés", "time_credits.exchanges"),
                ("Virements directs", "time_credits.transfers"),
                ("Annulations par le jardinier", "time_credits.reversals"),
                ("Comptes actifs", "time_credits.active_traders"),
                (
                    "Somme des soldes en fin de période (h)",
                    "time_credits.sum_of_balances_at_end",
                ),
            ],
        );
        table(
            &mut html,
            "Intégrité du registre",
            &[
                (
                    "Empreinte de tête de chaîne en fin de période (SHA-256)",
                    "chain.head_hash_at_end",
                ),
                (
                    "Événements enregistrés en fin de période",
                    "chain.events_at_end",
                ),
                ("Événements de la période", "chain.events_in_period"),
            ],
        );
        html.push_str(
            "<p class=\"foot\">L'empreinte de tête de chaîne permet à chacun de vérifier, à partir d'un export \
             du registre, que rien n'a été modifié depuis (voir docs/canonical-form.md).</p>\n</body>\n</html>\n",
        );
        html
    }
}

const STYLE: &str = "body{font-family:Georgia,serif;max-width:52em;margin:2em auto;color:#222}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.6em}\
.sub{color:#555}table{border-collapse:collapse;width:100%;margin:.5em 0}\
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums;word-break:break-all}\
caption{text-align:left;font-style:italic}.foot{color:#555;font-size:.9em}\
@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:avoid}}\n";

fn french_method(method: &str) -> &str {
    match method {
        "single" => "uninominal",
        "approval" => "par approbation",
        "ranked" => "par classement (Schulze)",
        other => other,
    }
}

fn french_kind(kind: &str) -> &str {
    match kind {
        "community" => "une voix par membre",
        "assembly" => "pondéré par collège",
        other => other,
    }
}

/// The impact indicators' table: per project, each indicator's compass,
/// its value at the period's start and at its end.
fn impact_table(html: &mut String, lines: &[super::ImpactLine]) {
    if lines.is_empty() {
        return;
    }
    html.push_str(
        "<table>\n<caption>Indicateurs d'impact des projets</caption>\n\
         <tr><th>Projet</th><th>Boussole</th><th>Indicateur</th><th>Début de période</th>\
         <th>Fin de période</th><th>Mesuré le</th><th>Mesures de la période</th></tr>\n",
    );
    for line in lines {
        let compass = match line.compass {
            "individual_engagement" => "engagement individuel",
            "synergy" => "synergie",
            "societal_impact" => "impact sociétal",
            _ => "hors statuts",
        };
        let better = match line.direction {
            "lower_is_better" => " (mieux si plus bas)",
            _ => "",
        };
        let _ = writeln!(
            html,
            "<tr data-impact=\"{}:{}\"><td>{}</td><td>{}</td><td>{}{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{} {}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&line.project_id),
            escape(&line.indicator),
            escape(&line.project),
            compass,
            escape(&line.label),
            better,
            line.at_start
                .map_or_else(|| "—".to_owned(), french::quantity),
            french::quantity(line.at_end),
            escape(&line.unit),
            french::day(line.measured_on),
            line.measurements_in_period,
        );
    }
    html.push_str("</table>\n");
}

fn french_date(at: Timestamp) -> String {
    french::date(at)
}

/// A figure of the report as people read it in French: euros, hours,
/// counts with their thousands separated; a hash as it is.
fn french_figure(name: &str, value: &str) -> String {
    let decimal = || value.parse::<rust_decimal::Decimal>().ok();
    let is_count = name.ends_with("subscriptions")
        || name.ends_with("payments")
        || name.ends_with("redemptions")
        || name.starts_with("members.")
        || name.starts_with("applications.")
        || name.starts_with("meetings.")
        || name == "ballots_closed"
        || name.starts_with("chain.events")
        || matches!(
            name,
            "time_credits.exchanges"
                | "time_credits.transfers"
                | "time_credits.reversals"
                | "time_credits.active_traders"
        );
    let formatted = if is_count {
        value.parse::<u64>().ok().map(french::grouped)
    } else if name.starts_with("capital.") || name.starts_with("funds.") {
        // Sums may pass what one amount holds.
        value
            .parse::<agora_events::EurosTotal>()
            .ok()
            .map(french::euros_total)
    } else if name.starts_with("time_credits.") {
        decimal().map(french::signed_hours)
    } else {
        None
    };
    formatted.unwrap_or_else(|| value.to_owned())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One CSV field (RFC 4180). A text that a spreadsheet would take for a
/// formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe.
pub(crate) fn csv_field(text: &str, is_text: bool) -> String {
    let text = if is_text && text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}
