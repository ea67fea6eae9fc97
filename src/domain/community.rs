//! Communities and their statutes.

use std::collections::BTreeSet;

use agora_events::{
    CommunityCreated, CommunitySlug, Decision, Event, Hours, Statutes, StatutesAmended,
};
use agora_projections::CommunityState;

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
    if statutes.credit_floor.is_positive() || statutes.credit_ceiling.value().is_sign_negative() {
        return Err(Rejection::CreditLimitsInvalid {
            floor: statutes.credit_floor.to_string(),
            ceiling: statutes.credit_ceiling.to_string(),
        });
    }
    let project_floor = statutes.project_credit_floor;
    let project_ceiling = statutes.project_credit_ceiling;
    if project_floor.is_some_and(Hours::is_positive)
        || project_ceiling.is_some_and(|ceiling| ceiling.value().is_sign_negative())
    {
        let shown = |limit: Option<Hours>| limit.map_or("none".into(), |hours| hours.to_string());
        return Err(Rejection::CreditLimitsInvalid {
            floor: shown(project_floor),
            ceiling: shown(project_ceiling),
        });
    }
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

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use agora_events::College;

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
