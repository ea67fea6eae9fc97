//! Pioneers: admission, charter, profile, departure, erasure, roles.

use std::collections::BTreeSet;

use agora_events::{
    Actor, AdmissionScores, CharterAccepted, Event, Organisation, PioneerAdmitted, PioneerExcluded,
    PioneerForgotten, PioneerId, PioneerLeft, ProfileUpdated, PublicProfile, RepresentativeChanged,
    Role, RoleGranted, RoleRevoked, Sealed,
};
use agora_projections::{CommunityState, Pioneer};

use super::Rejection;
use super::text::{LONG_TEXT_CHARS_MAX, NAME_CHARS_MAX, SHORT_TEXT_CHARS_MAX, line, paragraph};

/// Highest admission score on each criterion.
pub const ADMISSION_SCORE_MAX: u8 = 5;
/// Highest total of the seven admission scores.
pub const ADMISSION_TOTAL_MAX: u8 = 7 * ADMISSION_SCORE_MAX;
/// Most skills on a profile.
pub const SKILLS_MAX: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmitPioneer {
    pub pioneer_id: PioneerId,
    pub college: String,
    pub scores: AdmissionScores,
    pub profile: PublicProfile,
    /// Personal data, already sealed with the new pioneer's key.
    pub personal: Sealed,
    /// Set when the member is an organisation.
    pub organisation: Option<Organisation>,
}

/// An organisation member changes the person who represents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRepresentative {
    pub organisation: PioneerId,
    pub representative: PioneerId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptCharter {
    pub pioneer_id: PioneerId,
    pub charter_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateProfile {
    pub pioneer_id: PioneerId,
    pub profile: PublicProfile,
    /// New personal data, sealed; `None` keeps the current.
    pub personal: Option<Sealed>,
    /// The profile and personal data the update was merged from (a partial
    /// update is merged at the edge, where the keys are). If they changed
    /// since, the update is refused rather than undoing the other change.
    pub based_on: (PublicProfile, Sealed),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveCommunity {
    pub pioneer_id: PioneerId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludePioneer {
    pub pioneer_id: PioneerId,
    pub reason: String,
    /// The gardener who excludes, when they are a member: nobody
    /// excludes themself (leaving is how one goes).
    pub by: Option<PioneerId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgetPioneer {
    pub pioneer_id: PioneerId,
}

/// Sets the roles a pioneer holds beyond `pioneer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRoles {
    pub pioneer_id: PioneerId,
    pub roles: BTreeSet<Role>,
}

fn existing(state: &CommunityState, id: PioneerId) -> Result<&Pioneer, Rejection> {
    state
        .pioneer(id)
        .ok_or(Rejection::PioneerNotFound { pioneer: id })
}

/// The pioneer exists and is still a member.
pub(super) fn member(state: &CommunityState, id: PioneerId) -> Result<&Pioneer, Rejection> {
    let pioneer = existing(state, id)?;
    if !pioneer.is_active() {
        return Err(Rejection::PioneerGone { pioneer: id });
    }
    Ok(pioneer)
}

pub(super) fn validate_profile(profile: &PublicProfile) -> Result<(), Rejection> {
    if profile.skills.len() > SKILLS_MAX {
        return Err(Rejection::TooManyItems {
            field: "profile.skills",
            max: SKILLS_MAX,
        });
    }
    for skill in &profile.skills {
        line("profile.skills", skill, SHORT_TEXT_CHARS_MAX)?;
    }
    if let Some(territory) = &profile.territory {
        line("profile.territory", territory, SHORT_TEXT_CHARS_MAX)?;
    }
    Ok(())
}

pub(super) fn validate_scores(scores: &AdmissionScores) -> Result<(), Rejection> {
    let criteria = [
        ("scale_of_impact", scores.scale_of_impact),
        ("degree_of_information", scores.degree_of_information),
        ("connections_produced", scores.connections_produced),
        ("care_for_the_living", scores.care_for_the_living),
        ("poetic_radiance", scores.poetic_radiance),
        ("social_innovation", scores.social_innovation),
        ("engagement", scores.engagement),
    ];
    match criteria
        .into_iter()
        .find(|(_, score)| *score > ADMISSION_SCORE_MAX)
    {
        Some((criterion, score)) => Err(Rejection::ScoreOutOfRange { criterion, score }),
        None => Ok(()),
    }
}

pub fn admit(state: &CommunityState, command: &AdmitPioneer) -> Result<Vec<Event>, Rejection> {
    if state.applications.pending(command.pioneer_id).is_some() {
        return Err(Rejection::ApplicationPending {
            applicant: command.pioneer_id,
        });
    }
    let admitted = admission(state, command)?;
    validate_profile(&command.profile)?;
    Ok(vec![admitted.into()])
}

/// The rules of every admission, direct or from an application: a new id,
/// a college of the statutes, scores in range that reach the statutes'
/// minimum total.
pub(super) fn admission(
    state: &CommunityState,
    command: &AdmitPioneer,
) -> Result<PioneerAdmitted, Rejection> {
    if state.pioneer(command.pioneer_id).is_some() {
        return Err(Rejection::PioneerExists {
            pioneer: command.pioneer_id,
        });
    }
    if !state
        .statutes
        .colleges
        .iter()
        .any(|college| college.name == command.college)
    {
        return Err(Rejection::UnknownCollege {
            college: command.college.clone(),
        });
    }
    validate_scores(&command.scores)?;
    if let Some(organisation) = &command.organisation {
        validate_organisation(state, command.pioneer_id, organisation)?;
    }
    let total = command.scores.total();
    if let Some(min) = state.statutes.admission_score_min
        && total < min
    {
        return Err(Rejection::AdmissionScoreBelowMinimum { total, min });
    }
    Ok(PioneerAdmitted {
        pioneer_id: command.pioneer_id,
        college: command.college.clone(),
        scores: command.scores,
        profile: command.profile.clone(),
        personal: command.personal.clone(),
        organisation: command.organisation.clone(),
    })
}

/// A SIREN: nine digits whose Luhn checksum holds.
pub fn valid_siren(siren: &str) -> bool {
    siren.len() == 9
        && siren.bytes().all(|b| b.is_ascii_digit())
        && siren
            .bytes()
            .rev()
            .enumerate()
            .map(|(at, b)| {
                let digit = u32::from(b - b'0');
                if at % 2 == 1 {
                    let doubled = digit * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    digit
                }
            })
            .sum::<u32>()
            % 10
            == 0
}

/// The person who represents an organisation acts for it: they are not a
/// member themself, and represent no other organisation.
fn valid_representative(
    state: &CommunityState,
    organisation: PioneerId,
    person: PioneerId,
) -> Result<(), Rejection> {
    if person == organisation || state.pioneer(person).is_some() {
        return Err(Rejection::RepresentativeIsMember { person });
    }
    if let Some(other) = state.represented_by(person)
        && other.id != organisation
    {
        return Err(Rejection::RepresentativeBusy {
            person,
            organisation: other.id,
        });
    }
    Ok(())
}

fn validate_organisation(
    state: &CommunityState,
    id: PioneerId,
    organisation: &Organisation,
) -> Result<(), Rejection> {
    line("organisation.name", &organisation.name, NAME_CHARS_MAX)?;
    line(
        "organisation.legal_form",
        &organisation.legal_form,
        SHORT_TEXT_CHARS_MAX,
    )?;
    if let Some(siren) = &organisation.siren {
        if !valid_siren(siren) {
            return Err(Rejection::SirenForm {
                siren: siren.clone(),
            });
        }
        let taken = state.pioneers.values().find(|pioneer| {
            pioneer.is_active()
                && pioneer
                    .organisation
                    .as_ref()
                    .is_some_and(|other| other.siren.as_ref() == Some(siren))
        });
        if let Some(member) = taken {
            return Err(Rejection::SirenExists {
                siren: siren.clone(),
                pioneer: member.id,
            });
        }
    }
    valid_representative(state, id, organisation.representative)
}

pub fn change_representative(
    state: &CommunityState,
    command: &ChangeRepresentative,
) -> Result<Vec<Event>, Rejection> {
    let member = member(state, command.organisation)?;
    let Some(organisation) = &member.organisation else {
        return Err(Rejection::NotAnOrganisation {
            pioneer: command.organisation,
        });
    };
    if organisation.representative == command.representative {
        return Err(Rejection::RepresentativeUnchanged {
            person: command.representative,
        });
    }
    valid_representative(state, command.organisation, command.representative)?;
    Ok(vec![
        RepresentativeChanged {
            organisation: command.organisation,
            previous: organisation.representative,
            representative: command.representative,
        }
        .into(),
    ])
}

pub fn accept_charter(
    state: &CommunityState,
    command: &AcceptCharter,
) -> Result<Vec<Event>, Rejection> {
    let pioneer = member(state, command.pioneer_id)?;
    let current = &state.statutes.charter_version;
    if command.charter_version != *current {
        return Err(Rejection::CharterVersionMismatch {
            offered: command.charter_version.clone(),
            current: current.clone(),
        });
    }
    if pioneer.charter_version.as_ref() == Some(current) {
        return Err(Rejection::CharterAlreadyAccepted {
            pioneer: command.pioneer_id,
            version: current.clone(),
        });
    }
    Ok(vec![
        CharterAccepted {
            pioneer_id: command.pioneer_id,
            charter_version: current.clone(),
        }
        .into(),
    ])
}

pub fn update_profile(
    state: &CommunityState,
    command: &UpdateProfile,
) -> Result<Vec<Event>, Rejection> {
    let pioneer = member(state, command.pioneer_id)?;
    if (&pioneer.profile, &pioneer.personal) != (&command.based_on.0, &command.based_on.1) {
        return Err(Rejection::ProfileChangedMeanwhile {
            pioneer: command.pioneer_id,
        });
    }
    validate_profile(&command.profile)?;
    Ok(vec![
        ProfileUpdated {
            pioneer_id: command.pioneer_id,
            profile: command.profile.clone(),
            personal: command.personal.clone(),
        }
        .into(),
    ])
}

pub fn leave(state: &CommunityState, command: &LeaveCommunity) -> Result<Vec<Event>, Rejection> {
    member(state, command.pioneer_id)?;
    let mut events = vec![
        PioneerLeft {
            pioneer_id: command.pioneer_id,
        }
        .into(),
    ];
    events.extend(super::market::departure(state, command.pioneer_id)?);
    Ok(events)
}

pub fn exclude(state: &CommunityState, command: &ExcludePioneer) -> Result<Vec<Event>, Rejection> {
    member(state, command.pioneer_id)?;
    if command.by == Some(command.pioneer_id) {
        return Err(Rejection::SelfExclusion {
            pioneer: command.pioneer_id,
        });
    }
    paragraph("reason", &command.reason, LONG_TEXT_CHARS_MAX)?;
    let mut events = vec![
        PioneerExcluded {
            pioneer_id: command.pioneer_id,
            reason: command.reason.clone(),
        }
        .into(),
    ];
    events.extend(super::market::departure(state, command.pioneer_id)?);
    Ok(events)
}

pub fn forget(state: &CommunityState, command: &ForgetPioneer) -> Result<Vec<Event>, Rejection> {
    let pioneer = existing(state, command.pioneer_id)?;
    if pioneer.forgotten {
        return Err(Rejection::PioneerForgotten {
            pioneer: command.pioneer_id,
        });
    }
    if pioneer.is_active() {
        return Err(Rejection::PioneerStillMember {
            pioneer: command.pioneer_id,
        });
    }
    Ok(vec![
        PioneerForgotten {
            pioneer_id: command.pioneer_id,
        }
        .into(),
    ])
}

pub fn set_roles(state: &CommunityState, command: &SetRoles) -> Result<Vec<Event>, Rejection> {
    let pioneer = member(state, command.pioneer_id)?;
    // Nobody holds `system`; a candidate is not a member yet.
    if let Some(&role) = command
        .roles
        .iter()
        .find(|role| matches!(role, Role::System | Role::Candidate))
    {
        return Err(Rejection::RoleNotGrantable { role });
    }
    // `pioneer` comes with membership; it is never granted or revoked.
    let wanted: BTreeSet<Role> = command
        .roles
        .iter()
        .copied()
        .filter(|role| *role != Role::Pioneer)
        .collect();
    let pioneer_id = command.pioneer_id;
    let granted = wanted
        .difference(&pioneer.roles)
        .map(|&role| RoleGranted { pioneer_id, role }.into());
    let revoked = pioneer
        .roles
        .difference(&wanted)
        .map(|&role| RoleRevoked { pioneer_id, role }.into());
    Ok(granted.chain(revoked).collect())
}

/// Whether the actor still holds, in `state`, the role they act in: the
/// edge checked it against the view it read, which commands decided since
/// (here, or through another instance) may have changed. A pioneer, or an
/// organisation's representative, needs the role among those the ledger
/// grants now (none once gone); anyone else acts with their token's
/// operator roles, never as a member. `system` and `candidate` are checked
/// by the rules of what they do.
pub fn check_actor(state: &CommunityState, actor: &Actor) -> Result<(), Rejection> {
    if matches!(actor.role, Role::System | Role::Candidate) {
        return Ok(());
    }
    let person: Option<PioneerId> = actor.id.parse().ok();
    let acting = person.and_then(|id| state.pioneer(id).or_else(|| state.represented_by(id)));
    // A member acting as such who is gone is told so, not that a role is
    // missing (their departure may have been decided a moment before).
    if let Some(pioneer) = acting
        && actor.role == Role::Pioneer
        && !pioneer.is_active()
    {
        return Err(Rejection::PioneerGone {
            pioneer: pioneer.id,
        });
    }
    let held = match acting {
        Some(pioneer) => pioneer.effective_roles().contains(&actor.role),
        None => actor.role != Role::Pioneer,
    };
    match held {
        true => Ok(()),
        false => Err(Rejection::RoleNotHeld { role: actor.role }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::given::*;
    use super::{SHORT_TEXT_CHARS_MAX, SKILLS_MAX};

    #[test]
    fn the_gardener_admits_a_pioneer_into_a_college() {
        given(&[founded()])
            .when(admit_pioneer(ALICE, "founders"))
            .then_events(&["PioneerAdmitted"]);
    }

    #[test]
    fn a_pioneer_is_admitted_once() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(admit_pioneer(ALICE, "founders"))
            .then_err(Rejection::PioneerExists { pioneer: ALICE });
    }

    #[test]
    fn admission_needs_a_college_of_the_statutes() {
        given(&[founded()])
            .when(admit_pioneer(ALICE, "astronauts"))
            .then_err(Rejection::UnknownCollege {
                college: "astronauts".into(),
            });
    }

    #[test]
    fn admission_scores_run_from_0_to_5() {
        let mut command = admit_command(ALICE, "founders");
        command.scores.poetic_radiance = 6;
        given(&[founded()])
            .when(Command::AdmitPioneer(command))
            .then_err(Rejection::ScoreOutOfRange {
                criterion: "poetic_radiance",
                score: 6,
            });
    }

    #[test]
    fn the_current_charter_is_accepted_once() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(accept_charter_command(ALICE, CHARTER))
            .then_events(&["CharterAccepted"]);
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            charter_accepted(ALICE),
        ])
        .when(accept_charter_command(ALICE, CHARTER))
        .then_rule("charter-already-accepted");
    }

    #[test]
    fn only_the_charter_in_force_can_be_accepted() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(accept_charter_command(ALICE, "1999"))
            .then_err(Rejection::CharterVersionMismatch {
                offered: "1999".into(),
                current: CHARTER.into(),
            });
    }

    #[test]
    fn a_profile_keeps_its_skills_short_and_few() {
        let mut command = update_profile_command(ALICE);
        command.profile.skills = vec!["x".repeat(SHORT_TEXT_CHARS_MAX + 1)];
        given(&[founded(), admitted(ALICE, "founders")])
            .when(Command::UpdateProfile(command))
            .then_rule("text-too-long");
        let mut command = update_profile_command(ALICE);
        command.profile.skills = vec!["jardinage".into(); SKILLS_MAX + 1];
        given(&[founded(), admitted(ALICE, "founders")])
            .when(Command::UpdateProfile(command))
            .then_rule("too-many-items");
        given(&[founded(), admitted(ALICE, "founders")])
            .when(Command::UpdateProfile(update_profile_command(ALICE)))
            .then_events(&["ProfileUpdated"]);
    }

    #[test]
    fn an_update_merged_from_a_stale_profile_is_refused() {
        let mut command = update_profile_command(ALICE);
        command.based_on.0.territory = Some("Ailleurs".into());
        given(&[founded(), admitted(ALICE, "founders")])
            .when(Command::UpdateProfile(command))
            .then_err(Rejection::ProfileChangedMeanwhile { pioneer: ALICE });
    }

    #[test]
    fn a_member_leaves_once() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(leave(ALICE))
            .then_events(&["PioneerLeft"]);
        given(&[founded(), admitted(ALICE, "founders"), left(ALICE)])
            .when(leave(ALICE))
            .then_err(Rejection::PioneerGone { pioneer: ALICE });
    }

    #[test]
    fn commands_about_an_unknown_pioneer_are_refused() {
        given(&[founded()])
            .when(leave(ALICE))
            .then_err(Rejection::PioneerNotFound { pioneer: ALICE });
    }

    #[test]
    fn exclusion_needs_a_reason() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(exclude(ALICE, " "))
            .then_rule("text-blank");
        given(&[founded(), admitted(ALICE, "founders")])
            .when(exclude(ALICE, "manquement à la charte"))
            .then_events(&["PioneerExcluded"]);
    }

    #[test]
    fn nobody_excludes_themself() {
        let by = |by| {
            let Command::ExcludePioneer(mut command) = exclude(ALICE, "manquement") else {
                unreachable!()
            };
            command.by = Some(by);
            Command::ExcludePioneer(command)
        };
        let history = [
            founded(),
            admitted(ALICE, "founders"),
            admitted(BRUNO, "founders"),
        ];
        given(&history)
            .when(by(ALICE))
            .then_err(Rejection::SelfExclusion { pioneer: ALICE });
        given(&history)
            .when(by(BRUNO))
            .then_events(&["PioneerExcluded"]);
    }

    #[test]
    fn a_pioneer_is_forgotten_only_after_leaving_and_only_once() {
        given(&[founded(), admitted(ALICE, "founders")])
            .when(forget(ALICE))
            .then_err(Rejection::PioneerStillMember { pioneer: ALICE });
        given(&[founded(), admitted(ALICE, "founders"), left(ALICE)])
            .when(forget(ALICE))
            .then_events(&["PioneerForgotten"]);
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            left(ALICE),
            forgotten(ALICE),
        ])
        .when(forget(ALICE))
        .then_err(Rejection::PioneerForgotten { pioneer: ALICE });
    }

    #[test]
    fn setting_roles_grants_and_revokes_the_difference() {
        let roles = [Role::Treasurer, Role::Pioneer].into_iter().collect();
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            role_granted(ALICE, Role::Gardener),
        ])
        .when(set_roles(ALICE, roles))
        .then_events(&["RoleGranted", "RoleRevoked"]);
    }

    #[test]
    fn setting_the_same_roles_changes_nothing() {
        let roles = [Role::Gardener].into_iter().collect();
        given(&[
            founded(),
            admitted(ALICE, "founders"),
            role_granted(ALICE, Role::Gardener),
        ])
        .when(set_roles(ALICE, roles))
        .then_events(&[]);
    }

    #[test]
    fn the_system_and_candidate_roles_are_never_granted() {
        let candidate = [Role::Candidate].into_iter().collect();
        given(&community_of_three())
            .when(Command::SetRoles(SetRoles {
                pioneer_id: ALICE,
                roles: candidate,
            }))
            .then_err(Rejection::RoleNotGrantable {
                role: Role::Candidate,
            });
        let roles = [Role::System].into_iter().collect();
        given(&[founded(), admitted(ALICE, "founders")])
            .when(set_roles(ALICE, roles))
            .then_err(Rejection::RoleNotGrantable { role: Role::System });
    }

    #[test]
    fn duties_say_who_is_behind_on_what_and_since_when() {
        use agora_events::{EventId, RedemptionReason, StatutesAmended};
        use agora_projections::CommunityState;
        use uuid::Uuid;
        let day = |n: i64| {
            Timestamp::new(
                "2026-01-01T00:00:00Z"
                    .parse::<Timestamp>()
                    .unwrap()
                    .instant()
                    + chrono::Duration::days(n),
            )
        };
        let mut state = CommunityState::founded("demo".parse().unwrap(), statutes(), day(0));
        let mut fold = |event: Event, at| state.apply_event(&event, EventId(Uuid::now_v7()), at);
        for (n, event) in member(ALICE, "founders").into_iter().enumerate() {
            fold(event, day(n as i64 + 1));
        }
        fold(admitted(BRUNO, "partners"), day(10));
        let amended = Statutes {
            charter_version: "2027".into(),
            ..statutes()
        };
        fold(
            StatutesAmended {
                statutes: amended,
                reason: "AG".into(),
                decision: None,
            }
            .into(),
            day(100),
        );
        let subscription = SubscriptionId(Uuid::new_v4());
        fold(subscribed(BRUNO, subscription, 1), day(120));
        fold(paid(BRUNO, subscription, "50.00", "50.00"), day(130));
        let alices = state.register.subscriptions_of(ALICE).next().unwrap().id;
        let mut fold = |event: Event, at| state.apply_event(&event, EventId(Uuid::now_v7()), at);
        fold(
            agora_events::SharesRedeemed {
                redemption_id: agora_events::RedemptionId(Uuid::new_v4()),
                pioneer_id: ALICE,
                shares: 1,
                amount: "50.00".parse().unwrap(),
                reason: RedemptionReason::Statutes,
                subscriptions: vec![agora_events::SubscriptionShares {
                    subscription_id: alices,
                    shares: 1,
                }],
                capital_after: "50.00".parse().unwrap(),
            }
            .into(),
            day(200),
        );

        let alice = state.pioneer(ALICE).unwrap().clone();
        let bruno = state.pioneer(BRUNO).unwrap().clone();
        let behind = state.duties_behind(&alice, day(300));
        assert_eq!(
            behind.charter,
            Some(day(100)),
            "the new charter, since it came"
        );
        assert_eq!(behind.shares, Some(day(200)), "since the redemption");
        assert_eq!(behind.profile, None, "admitted less than a year ago");
        let behind = state.duties_behind(&bruno, day(300));
        assert_eq!(behind.charter, Some(day(100)));
        assert_eq!(behind.shares, None, "paid on day 130");
        assert_eq!(behind.since(), Some(day(100)));
        // A year without a profile update: behind since the year was up.
        let behind = state.duties_behind(&bruno, day(400));
        assert_eq!(behind.profile, Some(day(375)));
    }

    /// The role an actor acts in is checked against the state the command
    /// is decided on: one revoked, or a membership over, since the edge
    /// let the command through refuses it.
    #[test]
    fn an_actor_acts_only_in_a_role_the_ledger_grants_when_deciding() {
        use agora_events::{Actor, Organisation};
        let as_role = |id: &str, role| Actor {
            id: id.into(),
            role,
        };
        let alice = ALICE.to_string();
        let granted = [founded(), admitted(ALICE, "founders")]
            .into_iter()
            .chain([role_granted(ALICE, Role::Treasurer)])
            .collect::<Vec<_>>();
        let state = given(&granted).state();
        assert_eq!(
            check_actor(&state, &as_role(&alice, Role::Treasurer)),
            Ok(())
        );
        assert_eq!(check_actor(&state, &as_role(&alice, Role::Pioneer)), Ok(()));
        assert_eq!(
            check_actor(&state, &as_role(&alice, Role::Gardener)),
            Err(Rejection::RoleNotHeld {
                role: Role::Gardener
            })
        );

        let mut revoked = granted.clone();
        revoked.push(
            agora_events::RoleRevoked {
                pioneer_id: ALICE,
                role: Role::Treasurer,
            }
            .into(),
        );
        let state = given(&revoked).state();
        assert_eq!(
            check_actor(&state, &as_role(&alice, Role::Treasurer)).map_err(|r| r.rule()),
            Err("role-required")
        );

        for gone in [excluded(ALICE), left(ALICE)] {
            let mut history = granted.clone();
            history.push(gone);
            let state = given(&history).state();
            assert_eq!(
                check_actor(&state, &as_role(&alice, Role::Treasurer)).map_err(|r| r.rule()),
                Err("role-required")
            );
            assert_eq!(
                check_actor(&state, &as_role(&alice, Role::Pioneer)).map_err(|r| r.rule()),
                Err("pioneer-not-member")
            );
        }

        // Operators act with their token's roles, never as members; the
        // service's own work and applications are judged by their rules.
        let state = given(&granted).state();
        let operator = uuid::Uuid::from_u128(0x0e).to_string();
        assert_eq!(
            check_actor(&state, &as_role("platform", Role::Admin)),
            Ok(())
        );
        assert_eq!(
            check_actor(&state, &as_role(&operator, Role::Gardener)),
            Ok(())
        );
        assert!(check_actor(&state, &as_role(&operator, Role::Pioneer)).is_err());
        assert_eq!(check_actor(&state, &as_role("agora", Role::System)), Ok(()));
        assert_eq!(
            check_actor(&state, &as_role(&operator, Role::Candidate)),
            Ok(())
        );

        // A representative acts with their organisation's roles.
        let (person, association) = (
            PioneerId(uuid::Uuid::from_u128(0xca)),
            PioneerId(uuid::Uuid::from_u128(0xa55)),
        );
        let mut admission = admit_command(association, "partners");
        admission.organisation = Some(Organisation {
            name: "Les Jardins du Lac".into(),
            legal_form: "Association loi 1901".into(),
            siren: None,
            representative: person,
        });
        let mut history = granted.clone();
        history.extend(
            given(&history)
                .when(Command::AdmitPioneer(admission))
                .then_events(&["PioneerAdmitted"]),
        );
        let represents = given(&history).state();
        history.push(left(association));
        let gone = given(&history).state();
        let person = person.to_string();
        assert_eq!(
            check_actor(&represents, &as_role(&person, Role::Pioneer)),
            Ok(())
        );
        assert!(check_actor(&represents, &as_role(&person, Role::Treasurer)).is_err());
        assert!(check_actor(&gone, &as_role(&person, Role::Pioneer)).is_err());
    }

    #[test]
    fn an_organisation_is_a_member_represented_by_a_person() {
        use super::valid_siren;
        use agora_events::Organisation;
        use uuid::Uuid;
        let carla_person = PioneerId(Uuid::from_u128(0xca));
        let association = PioneerId(Uuid::from_u128(0xa55));
        let organisation = |siren: Option<&str>, representative| Organisation {
            name: "Les Jardins du Lac".into(),
            legal_form: "Association loi 1901".into(),
            siren: siren.map(str::to_owned),
            representative,
        };
        let admit = |siren, representative| {
            let mut command = admit_command(association, "partners");
            command.organisation = Some(organisation(siren, representative));
            Command::AdmitPioneer(command)
        };
        assert!(valid_siren("732829320"));
        assert!(!valid_siren("732829321") && !valid_siren("73282932") && !valid_siren("7328293a0"));
        given(&community_of_three())
            .when(admit(Some("732829321"), carla_person))
            .then_rule("siren-form");
        given(&community_of_three())
            .when(admit(Some("732829320"), ALICE))
            .then_err(Rejection::RepresentativeIsMember { person: ALICE });
        let mut history = community_of_three();
        history.extend(
            given(&history)
                .when(admit(Some("732829320"), carla_person))
                .then_events(&["PioneerAdmitted"]),
        );
        let state = given(&history).state();
        assert_eq!(state.represented_by(carla_person).unwrap().id, association);

        // The same SIREN, or the same person, for another organisation.
        let mut other = admit_command(PioneerId(Uuid::from_u128(0xb0)), "partners");
        other.organisation = Some(organisation(
            Some("732829320"),
            PioneerId(Uuid::from_u128(0xdd)),
        ));
        given(&history)
            .when(Command::AdmitPioneer(other.clone()))
            .then_rule("siren-exists");
        other.organisation = Some(organisation(None, carla_person));
        given(&history)
            .when(Command::AdmitPioneer(other))
            .then_rule("representative-busy");

        let change = |organisation, representative| {
            Command::ChangeRepresentative(ChangeRepresentative {
                organisation,
                representative,
            })
        };
        given(&history)
            .when(change(association, carla_person))
            .then_rule("representative-unchanged");
        given(&history)
            .when(change(ALICE, carla_person))
            .then_err(Rejection::NotAnOrganisation { pioneer: ALICE });
        let successor = PioneerId(Uuid::from_u128(0xd0));
        history.extend(
            given(&history)
                .when(change(association, successor))
                .then_events(&["RepresentativeChanged"]),
        );
        let state = given(&history).state();
        assert!(state.represented_by(carla_person).is_none());
        assert_eq!(state.represented_by(successor).unwrap().id, association);
    }
}
