//! Impact indicators: the statutes define them, in three compasses
//! (individual engagement, synergy, societal impact), each with a unit and
//! the way it is better; the gardener or a project's proposer records
//! measurements of them for the project over time, with their source.

use std::collections::BTreeSet;

use agora_events::{
    Event, Indicator, IndicatorMeasured, MeasurementId, ProjectId, Quantity, Timestamp,
};
use agora_projections::CommunityState;

use super::Rejection;
use super::projects::project;
use super::text::{NAME_CHARS_MAX, SHORT_TEXT_CHARS_MAX, line};

/// Most indicators the statutes may define.
pub const INDICATORS_MAX: usize = 50;
/// Longest indicator code.
pub const INDICATOR_CODE_CHARS_MAX: usize = 40;
/// Longest unit.
pub const UNIT_CHARS_MAX: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeasurement {
    pub measurement_id: MeasurementId,
    pub project_id: ProjectId,
    pub indicator: String,
    pub value: Quantity,
    pub measured_on: chrono::NaiveDate,
    pub source: String,
}

/// Checks the statutes' indicators: at most [`INDICATORS_MAX`], codes well
/// formed and unique, labels and units present.
pub fn validate_indicators(indicators: &[Indicator]) -> Result<(), Rejection> {
    if indicators.len() > INDICATORS_MAX {
        return Err(Rejection::TooManyItems {
            field: "statutes.indicators",
            max: INDICATORS_MAX,
        });
    }
    let mut codes = BTreeSet::new();
    for indicator in indicators {
        if !is_code(&indicator.code) {
            return Err(Rejection::IndicatorCodeInvalid {
                code: indicator.code.clone(),
            });
        }
        if !codes.insert(indicator.code.as_str()) {
            return Err(Rejection::DuplicateIndicator {
                code: indicator.code.clone(),
            });
        }
        line(
            "statutes.indicators.label",
            &indicator.label,
            NAME_CHARS_MAX,
        )?;
        line("statutes.indicators.unit", &indicator.unit, UNIT_CHARS_MAX)?;
    }
    Ok(())
}

/// Lowercase ASCII letters and digits, in words joined by single hyphens.
fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= INDICATOR_CODE_CHARS_MAX
        && code.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub fn record(
    state: &CommunityState,
    command: &RecordMeasurement,
    now: Timestamp,
) -> Result<Vec<Event>, Rejection> {
    project(state, command.project_id)?;
    if state.statutes.indicator(&command.indicator).is_none() {
        return Err(Rejection::UnknownIndicator {
            indicator: command.indicator.clone(),
        });
    }
    if command.measured_on > now.instant().date_naive() {
        return Err(Rejection::MeasurementInFuture {
            measured_on: command.measured_on,
        });
    }
    line("source", &command.source, SHORT_TEXT_CHARS_MAX)?;
    Ok(vec![
        IndicatorMeasured {
            measurement_id: command.measurement_id,
            project_id: command.project_id,
            indicator: command.indicator.clone(),
            value: command.value,
            measured_on: command.measured_on,
            source: command.source.clone(),
        }
        .into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::*;
    use agora_events::{Compass, Direction, Statutes};
    use uuid::Uuid;

    fn measurement(project_id: ProjectId, indicator: &str, on: &str, value: &str) -> Command {
        Command::RecordMeasurement(RecordMeasurement {
            measurement_id: MeasurementId(Uuid::new_v4()),
            project_id,
            indicator: indicator.into(),
            value: value.parse().unwrap(),
            measured_on: on.parse().unwrap(),
            source: "Comptage à l'entrée".into(),
        })
    }

    fn with_project() -> (Vec<Event>, ProjectId) {
        let mut history = community_of_three();
        let project = ProjectId(Uuid::from_u128(0x90));
        history.push(
            agora_events::ProjectProposed {
                project_id: project,
                proposer: ALICE,
                title: "Recyclerie".into(),
                summary: "…".into(),
                place: None,
            }
            .into(),
        );
        (history, project)
    }

    #[test]
    fn the_latest_measurement_by_date_is_the_project_s_value() {
        let (mut history, project) = with_project();
        for (on, value) in [
            ("2026-03-01", "120"),
            ("2026-09-01", "340"),
            ("2026-06-01", "200"),
        ] {
            let events = given(&history)
                .when(measurement(project, "personnes-touchees", on, value))
                .then_events(&["IndicatorMeasured"]);
            history.extend(events);
        }

        let state = given(&history).state();
        let latest = &state.projects.get(project).unwrap().measures["personnes-touchees"];
        // Measured later in the year, though recorded before the June figure.
        assert_eq!(
            (latest.value.to_string(), latest.measured_on.to_string()),
            ("340.00".into(), "2026-09-01".into())
        );
    }

    #[test]
    fn only_the_statutes_indicators_are_measured_and_only_once_measured() {
        let (history, project) = with_project();

        given(&history)
            .when(measurement(project, "arbres-plantes", "2026-03-01", "10"))
            .then_rule("indicator-in-statutes");
        // `now()` is 2026-11-28 at noon.
        given(&history)
            .when(measurement(
                project,
                "personnes-touchees",
                "2026-11-29",
                "10",
            ))
            .then_rule("measurement-took-place");
        given(&history)
            .when(measurement(
                ProjectId(Uuid::from_u128(0xbad)),
                "personnes-touchees",
                "2026-03-01",
                "10",
            ))
            .then_rule("project-not-found");
        let Command::RecordMeasurement(mut without_source) =
            measurement(project, "personnes-touchees", "2026-03-01", "1")
        else {
            unreachable!()
        };
        without_source.source = " ".into();
        given(&history)
            .when(Command::RecordMeasurement(without_source))
            .then_rule("text-blank");
    }

    #[test]
    fn statutes_define_well_formed_and_distinct_indicators() {
        let indicator = |code: &str| Indicator {
            code: code.into(),
            label: "Libellé".into(),
            compass: Compass::Synergy,
            unit: "u".into(),
            direction: Direction::HigherIsBetter,
        };
        let amend = |indicators: Vec<Indicator>| {
            Command::AmendStatutes(super::super::AmendStatutes {
                statutes: Statutes {
                    indicators,
                    ..statutes()
                },
                reason: "indicateurs".into(),
                decision: None,
            })
        };
        let history = community_of_three();

        given(&history)
            .when(amend(vec![indicator("a"), indicator("a")]))
            .then_rule("indicator-unique");
        for code in ["", "A", "a--b", "-a", "a b", "é", &"a".repeat(41)] {
            given(&history)
                .when(amend(vec![indicator(code)]))
                .then_rule("indicator-code");
        }
        given(&history)
            .when(amend(vec![indicator("ok"); INDICATORS_MAX + 1]))
            .then_rule("too-many-items");
        given(&history)
            .when(amend(vec![indicator("co2-evite"), indicator("t2")]))
            .then_events(&["StatutesAmended"]);
    }
}
