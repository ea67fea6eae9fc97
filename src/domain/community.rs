//! Communities and their statutes.

use std::collections::BTreeSet;

use agora_events::{
    CommunityCreated, CommunitySlug, Decision, Euros, Event, Hours, Statutes, StatutesAmended,
};
use agora_projections::CommunityState;
use rust_decimal::Decimal;

use super::Rejection;
use super::pioneers::ADMISSION_TOTAL_MAX;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, SHORT_TEXT_CHARS_MAX, line, paragraph};

/// Most colleges a community may have (each weighs at least 10%).
pub const COLLEGES_MAX: usize = 10;
/// A college's weight in assembly ballots, in percent.
pub const COLLEGE_WEIGHT_PERCENT_MIN: u8 = 10;
pub const COLLEGE_WEIGHT_PERCENT_MAX: u8 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCommunity {
    pub slug: CommunitySlug,
    pub statutes: Statutes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendStatutes {
    pub statutes: Statutes,
    /// Why, in words.
    pub reason: String,
    /// The decision that adopted it: a ballot or an assembly session of the
    /// ledger; required once the community records its assemblies.
    pub decision: Option<Decision>,
}

/// Statutes a community can live by: a name, a positive nominal value,
/// colleges of 10–50% each summing to 100%, a credit floor ≤ 0 ≤ ceiling
/// (for pioneers, and for projects where the statutes set them),
/// ranking weights summing to 100%, a charter version.
pub fn validate_statutes(statutes: &Statutes) -> Result<(), Rejection> {
    if let Some(min) = statutes.admission_score_min
        && min > ADMISSION_TOTAL_MAX
    {
        return Err(Rejection::AdmissionMinimumOutOfRange { min });
    }
    if let Some(value) = statutes.assembly_quorum_percent
        && value > 100
    {
        return Err(Rejection::PercentOutOfRange {
            field: "statutes.assembly_quorum_percent",
            value,
        });
    }
    line("statutes.name", &statutes.name, NAME_CHARS_MAX)?;
    line(
        "statutes.charter_version",
        &statutes.charter_version,
        SHORT_TEXT_CHARS_MAX,
    )?;
    if !statutes.share_nominal.is_positive() {
        return Err(Rejection::NominalNotPositive {
            nominal: statutes.share_nominal,
        });
    }
    let nominal_max = Euros::whole(SHARE_NOMINAL_MAX_EUROS);
    if statutes.share_nominal > nominal_max {
        return Err(Rejection::NominalTooLarge {
            nominal: statutes.share_nominal,
            max: nominal_max,
        });
    }
    if statutes.colleges.len() > COLLEGES_MAX {
        return Err(Rejection::TooManyItems {
            field: "statutes.colleges",
            max: COLLEGES_MAX,
        });
    }
    let mut names = BTreeSet::new();
    for college in &statutes.colleges {
        line(
            "statutes.colleges.name",
            &college.name,
            SHORT_TEXT_CHARS_MAX,
        )?;
        if !names.insert(college.name.as_str()) {
            return Err(Rejection::DuplicateCollege {
                college: college.name.clone(),
            });
        }
        let percent = college.vote_weight_percent;
        if !(COLLEGE_WEIGHT_PERCENT_MIN..=COLLEGE_WEIGHT_PERCENT_MAX).contains(&percent) {
            return Err(Rejection::CollegeWeightOutOfRange {
                college: college.name.clone(),
                percent,
            });
        }
    }
    let total: u32 = statutes
        .colleges
        .iter()
        .map(|college| u32::from(college.vote_weight_percent))
        .sum();
    if total != 100 {
        return Err(Rejection::CollegeWeightsNotHundred { total });
    }
    check_credit_limits(
        ("statutes.credit_floor", Some(statutes.credit_floor)),
        ("statutes.credit_ceiling", Some(statutes.credit_ceiling)),
    )?;
    check_credit_limits(
        (
            "statutes.project_credit_floor",
            statutes.project_credit_floor,
        ),
        (
            "statutes.project_credit_ceiling",
            statutes.project_credit_ceiling,
        ),
    )?;
    let weights = statutes.ranking_weights;
    let total =
        u32::from(weights.concerned) + u32::from(weights.cost) + u32::from(weights.self_financing);
    if total != 100 {
        return Err(Rejection::RankingWeightsNotHundred { total });
    }
    if let Some(reference) = weights.cost_reference
        && !reference.is_positive()
    {
        return Err(Rejection::AmountNotPositive {
            field: "statutes.ranking_weights.cost_reference",
            amount: reference,
        });
    }
    super::impact::validate_indicators(&statutes.indicators)
}

pub fn create(command: &CreateCommunity) -> Result<Vec<Event>, Rejection> {
    validate_statutes(&command.statutes)?;
    Ok(vec![
        CommunityCreated {
            slug: command.slug.clone(),
            statutes: command.statutes.clone(),
        }
        .into(),
    ])
}

pub fn amend(state: &CommunityState, command: &AmendStatutes) -> Result<Vec<Event>, Rejection> {
    validate_statutes(&command.statutes)?;
    if command.statutes == state.statutes {
        return Err(Rejection::StatutesUnchanged);
    }
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    match &command.decision {
        Some(decision) => super::assemblies::cited(state, decision)?,
        None if !state.assemblies.by_id.is_empty() => {
            return Err(Rejection::DecisionNotInTheLedger);
        }
        None => {}
    }
    // A college may go only once nobody sits in it any more.
    for college in state.statutes.colleges.iter().filter(|old| {
        !command
            .statutes
            .colleges
            .iter()
            .any(|new| new.name == old.name)
    }) {
        let members = state
            .pioneers
            .values()
            .filter(|pioneer| pioneer.is_active() && pioneer.college == college.name)
            .count();
        if members > 0 {
            return Err(Rejection::CollegeInUse {
                college: college.name.clone(),
                members,
            });
        }
    }
    Ok(vec![
        StatutesAmended {
            statutes: command.statutes.clone(),
            reason: command.reason.clone(),
            decision: command.decision.clone(),
        }
        .into(),
    ])
}

/// The most a share may be worth, in euros: a member's holding (at most
/// [`SHARES_PER_MEMBER_MAX`](super::shares::SHARES_PER_MEMBER_MAX) shares)
/// then stays far below the largest amount the ledger writes.
pub const SHARE_NOMINAL_MAX_EUROS: i32 = 1_000_000;

/// How far an account's credit limits may lie from zero, in hours: more
/// than a century of a life's hours, and far enough below the largest
/// amount the ledger writes that balances summed over a million accounts
/// still fit it.
pub const CREDIT_LIMIT_MAX_HOURS: i32 = 1_000_000;

/// A floor and a ceiling (each named by its field, absent when the
/// statutes set none) that lie on their sides of zero, within
/// [`CREDIT_LIMIT_MAX_HOURS`].
fn check_credit_limits(
    (floor_field, floor): (&'static str, Option<Hours>),
    (ceiling_field, ceiling): (&'static str, Option<Hours>),
) -> Result<(), Rejection> {
    let bound = Hours::whole(CREDIT_LIMIT_MAX_HOURS).value();
    let floor_fits = floor.is_none_or(|floor| (-bound..=Decimal::ZERO).contains(&floor.value()));
    let ceiling_fits =
        ceiling.is_none_or(|ceiling| (Decimal::ZERO..=bound).contains(&ceiling.value()));
    if floor_fits && ceiling_fits {
        return Ok(());
    }
    let shown = |limit: Option<Hours>| limit.map_or("none".into(), |hours| hours.to_string());
    Err(Rejection::CreditLimitsInvalid {
        field: if floor_fits {
            ceiling_field
        } else {
            floor_field
        },
        floor: shown(floor),
        ceiling: shown(ceiling),
    })
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::{College, Hours, Statutes};

    #[test]
    fn a_community_is_created_with_valid_statutes() {
        given(&[])
            .when(create_community())
            .then_events(&["CommunityCreated"]);
    }

    #[test]
    fn a_community_cannot_be_created_twice() {
        given(&[founded()])
            .when(create_community())
            .then_rule("community-exists");
    }

    #[test]
    fn commands_other_than_creation_need_a_community() {
        given(&[])
            .when(leave(ALICE))
            .then_rule("community-not-found");
    }

    #[test]
    fn college_weights_must_each_be_between_10_and_50_percent() {
        let mut statutes = statutes();
        statutes.colleges[0].vote_weight_percent = 55;
        statutes.colleges[1].vote_weight_percent = 5;
        given(&[]).when(create_community_with(statutes)).then_err(
            Rejection::CollegeWeightOutOfRange {
                college: "founders".into(),
                percent: 55,
            },
        );
    }

    #[test]
    fn college_weights_must_add_up_to_100_percent() {
        let mut statutes = statutes();
        statutes.colleges.push(College {
            name: "extra".into(),
            vote_weight_percent: 10,
        });
        given(&[])
            .when(create_community_with(statutes))
            .then_err(Rejection::CollegeWeightsNotHundred { total: 110 });
    }

    #[test]
    fn a_college_cannot_be_listed_twice() {
        let mut statutes = statutes();
        statutes.colleges[1].name = "founders".into();
        given(&[])
            .when(create_community_with(statutes))
            .then_rule("college-unique");
    }

    #[test]
    fn the_nominal_value_must_be_positive() {
        let mut statutes = statutes();
        statutes.share_nominal = "0".parse().unwrap();
        given(&[])
            .when(create_community_with(statutes))
            .then_rule("share-nominal-positive");
    }

    #[test]
    fn the_credit_floor_cannot_be_positive() {
        let mut statutes = statutes();
        statutes.credit_floor = "1".parse().unwrap();
        given(&[])
            .when(create_community_with(statutes))
            .then_rule("credit-limits");
    }

    /// Every limit lies on its side of zero and within a million hours,
    /// and the refusal names the field at fault.
    #[test]
    fn credit_limits_lie_within_a_million_hours_of_zero() {
        const NOW: &str = "2026-11-28T12:00:00Z";
        let hours = |text: &str| text.parse::<Hours>().unwrap();
        type SetLimit = fn(&mut Statutes, Hours);
        let cases: [(&str, SetLimit, &str); 4] = [
            (
                "statutes.credit_floor",
                |s, h| s.credit_floor = h,
                "-1000000.01",
            ),
            (
                "statutes.credit_ceiling",
                |s, h| s.credit_ceiling = h,
                "1000000.01",
            ),
            (
                "statutes.project_credit_floor",
                |s, h| s.project_credit_floor = Some(h),
                "-1000000.01",
            ),
            (
                "statutes.project_credit_ceiling",
                |s, h| s.project_credit_ceiling = Some(h),
                "1000000.01",
            ),
        ];
        for (field, set, beyond) in cases {
            for (value, fits) in [(beyond, false), (&beyond[..beyond.len() - 3], true)] {
                let mut statutes = statutes();
                set(&mut statutes, hours(value));
                match decide_at(&[], create_community_with(statutes), NOW) {
                    Err(rejection) => {
                        assert!(!fits, "{field} = {value}: {rejection}");
                        assert_eq!(rejection.rule(), "credit-limits");
                        assert_eq!(rejection.field(), Some(field), "{field} = {value}");
                    }
                    Ok(_) => assert!(fits, "{field} = {value} was accepted"),
                }
            }
        }
        let mut costly = statutes();
        costly.share_nominal = "1000000.01".parse().unwrap();
        given(&[])
            .when(create_community_with(costly))
            .then_rule("share-nominal-too-large");
        // A ceiling below zero is the ceiling's fault, not the floor's.
        let mut upside_down = statutes();
        upside_down.credit_ceiling = hours("-5");
        let rejection = decide_at(&[], create_community_with(upside_down), NOW).unwrap_err();
        assert_eq!(rejection.field(), Some("statutes.credit_ceiling"));
    }

    #[test]
    fn an_amendment_changes_something() {
        let amend = |statutes| {
            Command::AmendStatutes(AmendStatutes {
                statutes,
                reason: "AG du 12 mars".into(),
                decision: None,
            })
        };
        given(&[founded()])
            .when(amend(statutes()))
            .then_err(Rejection::StatutesUnchanged);
        given(&[founded()])
            .when(amend(renamed_statutes()))
            .then_events(&["StatutesAmended"]);
    }

    #[test]
    fn ranking_weights_must_add_up_to_100_percent() {
        let mut statutes = statutes();
        statutes.ranking_weights.cost = 0;
        given(&[])
            .when(create_community_with(statutes))
            .then_err(Rejection::RankingWeightsNotHundred { total: 70 });
    }

    #[test]
    fn the_name_must_not_be_blank() {
        let mut statutes = statutes();
        statutes.name = "  ".into();
        given(&[])
            .when(create_community_with(statutes))
            .then_err(Rejection::BlankText {
                field: "statutes.name",
            });
    }

    #[test]
    fn statutes_are_amended_with_a_reason() {
        let mut statutes = statutes();
        statutes.charter_version = "2027".into();
        given(&[founded()])
            .when(amend_statutes(statutes.clone(), "AG du 12 mars"))
            .then_events(&["StatutesAmended"]);
        given(&[founded()])
            .when(amend_statutes(statutes, ""))
            .then_rule("text-blank");
    }

    #[test]
    fn a_college_with_members_cannot_be_removed() {
        let mut statutes = statutes();
        let removed = statutes.colleges.remove(0);
        statutes.colleges[0].vote_weight_percent += removed.vote_weight_percent;
        given(&[founded(), admitted(ALICE, "founders")])
            .when(amend_statutes(statutes.clone(), "merge"))
            .then_err(Rejection::CollegeInUse {
                college: "founders".into(),
                members: 1,
            });
        given(&[founded()])
            .when(amend_statutes(statutes, "merge"))
            .then_events(&["StatutesAmended"]);
    }
}
