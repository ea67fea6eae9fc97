//! Counting a ballot, from its opening event and its votes alone, so that
//! anyone can recompute the recorded result.
//!
//! - Each voter's **last** vote counts. In a community ballot each weighs 1.
//!   In an assembly ballot each college weighs its percentage of the
//!   statutes (frozen at opening), shared equally among that college's
//!   voters; a college nobody voted in weighs nothing.
//! - `single`: an option's score is the weight of the votes for it.
//!   `approval`: the weight of the votes approving it.
//! - `ranked` (Schulze): `d[a][b]` is the weight of voters who rank `a` above
//!   `b` (options a voter leaves out rank below those listed, tied among
//!   themselves); strongest paths by Floyd–Warshall over `d[a][b]` where
//!   `d[a][b] > d[b][a]`; an option's score is how many others it beats on
//!   strongest paths.
//! - Options are listed by score, highest first, ties in ballot order. The
//!   winner is the first option if its score is strictly higher than the
//!   second's (for `ranked`: if it beats every other option); otherwise no
//!   winner. No votes, no winner; an option no counted vote chose (named,
//!   approved or ranked) does not win either.
//! - Options withdrawn at closing (in an election, candidates who left the
//!   community meanwhile, listed in the closing event) are left out: a
//!   single vote for one counts for no option, an approval or a ranking
//!   skips it, and the rest are counted as if it had never stood.
//! - Order and winner are decided on exact values: an assembly ballot's
//!   weights are fractions, compared over their common denominator as
//!   whole numbers ([`Natural`]). Scores are written rounded to 6 decimals
//!   (half away from zero), for display only: two options can both show
//!   "25" and differ, or not, by less than that.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use agora_events::{BallotKind, BallotOpened, Choice, OptionResult, PioneerId, VotingMethod};
use agora_projections::{Ballot, Vote};
use rust_decimal::{Decimal, RoundingStrategy};

use super::natural::Natural;
use super::sealing::BallotKey;

/// Decimals written in recorded scores.
pub const SCORE_DECIMALS: u32 = 6;

/// A ballot's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub votes_counted: u32,
    pub results: Vec<OptionResult>,
    pub winner: Option<String>,
}

/// A vote's weight: exact (over the ballot's common denominator), and as
/// a decimal for display.
#[derive(Debug, Clone)]
struct Weight {
    exact: Natural,
    shown: Decimal,
}

/// The weight of each voter's last vote.
fn weights(opened: &BallotOpened, votes: &Votes) -> BTreeMap<PioneerId, Weight> {
    let college_of = |voter| {
        opened
            .electorate
            .iter()
            .find(|elector| elector.pioneer_id == voter)
            .map(|elector| elector.college.as_str())
    };
    match opened.kind {
        BallotKind::Community => votes
            .keys()
            .map(|voter| {
                let weight = Weight {
                    exact: Natural::from(1),
                    shown: Decimal::ONE,
                };
                (*voter, weight)
            })
            .collect(),
        BallotKind::Assembly => {
            let mut voters_per_college: BTreeMap<&str, u32> = BTreeMap::new();
            for voter in votes.keys() {
                if let Some(college) = college_of(*voter) {
                    *voters_per_college.entry(college).or_default() += 1;
                }
            }
            // Each college's percentage shared among its voters, over the
            // least common multiple of the voter counts.
            let denominator = voters_per_college
                .values()
                .fold(Natural::from(1), |lcm, &voters| lcm.lcm(voters));
            votes
                .keys()
                .filter_map(|voter| {
                    let college = college_of(*voter)?;
                    let percent = opened
                        .college_weights
                        .iter()
                        .find(|weight| weight.college == college)?
                        .vote_weight_percent;
                    let voters = voters_per_college[college];
                    let (share, _) = denominator.divided_by(voters);
                    let weight = Weight {
                        exact: share.times(u32::from(percent)),
                        shown: Decimal::from(percent) / Decimal::from(voters),
                    };
                    Some((*voter, weight))
                })
                .collect()
        }
    }
}

/// Schulze's "beats" count per option, and whether option `i` beats all.
pub fn schulze<W>(options: usize, ballots: &[(Vec<usize>, W)]) -> Vec<u32>
where
    W: Clone + Default + Ord + for<'a> AddAssign<&'a W>,
{
    let mut d = vec![vec![W::default(); options]; options];
    for (ranking, weight) in ballots {
        // rank[o] = position in the ranking, unlisted after every listed one.
        let mut rank = vec![usize::MAX; options];
        for (position, &option) in ranking.iter().enumerate() {
            if option < options && rank[option] == usize::MAX {
                rank[option] = position;
            }
        }
        for a in 0..options {
            for b in 0..options {
                if a != b && rank[a] < rank[b] {
                    d[a][b] += weight;
                }
            }
        }
    }
    let mut p = vec![vec![W::default(); options]; options];
    for a in 0..options {
        for b in 0..options {
            if a != b && d[a][b] > d[b][a] {
                p[a][b] = d[a][b].clone();
            }
        }
    }
    for i in 0..options {
        for j in 0..options {
            if i == j {
                continue;
            }
            for k in 0..options {
                if i != k && j != k {
                    let through_i = (&p[j][i]).min(&p[i][k]);
                    if *through_i > p[j][k] {
                        p[j][k] = through_i.clone();
                    }
                }
            }
        }
    }
    (0..options)
        .map(|a| {
            (0..options)
                .filter(|&b| a != b && p[a][b] > p[b][a])
                .count() as u32
        })
        .collect()
}

/// Each voter's last choice, in clear.
pub type Votes = BTreeMap<PioneerId, Choice>;

/// The ballot's votes in clear: sealed ones opened with `key`. `None` if a
/// sealed vote does not open with it (or there is no key).
pub fn choices(ballot: &Ballot, key: Option<&BallotKey>) -> Option<Votes> {
    ballot
        .votes
        .iter()
        .map(|(voter, vote)| {
            let choice = match vote {
                Vote::Clear(choice) => choice.clone(),
                Vote::Sealed(sealed) => key?.open(*voter, sealed)?,
            };
            Some((*voter, choice))
        })
        .collect()
}

/// Counts a closed ballot's votes again, from the log alone: sealed votes
/// opened with the key its closing revealed. A vote that does not open is
/// not counted, so the result then differs from the recorded one.
pub fn tally(ballot: &Ballot) -> Tally {
    let key = ballot
        .closed
        .as_ref()
        .and_then(|(_, closed)| closed.ballot_key.as_deref())
        .and_then(BallotKey::from_text);
    let votes = ballot
        .votes
        .iter()
        .filter_map(|(voter, vote)| {
            let choice = match vote {
                Vote::Clear(choice) => choice.clone(),
                Vote::Sealed(sealed) => key.as_ref()?.open(*voter, sealed)?,
            };
            Some((*voter, choice))
        })
        .collect();
    let withdrawn = ballot
        .closed
        .as_ref()
        .map_or(&[][..], |(_, closed)| &closed.withdrawn[..]);
    tally_of(&ballot.opened, &votes, withdrawn)
}

/// Counts `votes`, each voter's last choice, under the rules `opened` froze,
/// the `withdrawn` options left out.
pub fn tally_of(opened: &BallotOpened, votes: &Votes, withdrawn: &[String]) -> Tally {
    if withdrawn.is_empty() {
        return count(opened, votes);
    }
    let standing = BallotOpened {
        options: opened
            .options
            .iter()
            .filter(|option| !withdrawn.contains(&option.option_id))
            .cloned()
            .collect(),
        ..opened.clone()
    };
    count(&standing, votes)
}

/// Counts `votes` for the options of `opened`; a choice of any other
/// option counts for none.
fn count(opened: &BallotOpened, votes: &Votes) -> Tally {
    let index: BTreeMap<&str, usize> = opened
        .options
        .iter()
        .enumerate()
        .map(|(position, option)| (option.option_id.as_str(), position))
        .collect();
    let weights = weights(opened, votes);
    let mut scores = vec![Natural::zero(); opened.options.len()];
    let mut shown = vec![Decimal::ZERO; opened.options.len()];
    // Whether a counted vote named, approved or ranked the option.
    let mut chosen = vec![false; opened.options.len()];
    let mut rankings = Vec::new();
    for (voter, choice) in votes {
        let Some(weight) = weights.get(voter) else {
            continue;
        };
        let mut count = |at: usize| {
            scores[at] += &weight.exact;
            shown[at] += weight.shown;
            chosen[at] = true;
        };
        match choice {
            Choice::Single { option_id } => {
                if let Some(&at) = index.get(option_id.as_str()) {
                    count(at);
                }
            }
            Choice::Approval { option_ids } => {
                for option_id in option_ids {
                    if let Some(&at) = index.get(option_id.as_str()) {
                        count(at);
                    }
                }
            }
            Choice::Ranked { ranking } => {
                let ranking: Vec<usize> = ranking
                    .iter()
                    .filter_map(|option_id| index.get(option_id.as_str()).copied())
                    .collect();
                for &at in &ranking {
                    chosen[at] = true;
                }
                rankings.push((ranking, weight.exact.clone()));
            }
        }
    }
    if opened.method == VotingMethod::Ranked {
        let beats = schulze(opened.options.len(), &rankings);
        scores = beats.iter().map(|&count| Natural::from(count)).collect();
        shown = beats.into_iter().map(Decimal::from).collect();
    }
    let mut order: Vec<usize> = (0..opened.options.len()).collect();
    order.sort_by(|a, b| scores[*b].cmp(&scores[*a]).then(a.cmp(b)));
    let beats_everyone = |option: usize| {
        opened.method != VotingMethod::Ranked
            || shown[option] == Decimal::from(opened.options.len() as u64 - 1)
    };
    let winner = match (order.first(), order.get(1)) {
        (Some(&first), _) if !chosen[first] => None,
        (Some(&first), Some(&second))
            if scores[first] > scores[second] && beats_everyone(first) =>
        {
            Some(first)
        }
        (Some(&first), None) => Some(first),
        _ => None,
    };
    Tally {
        votes_counted: votes.len() as u32,
        results: order
            .iter()
            .map(|&at| OptionResult {
                option_id: opened.options[at].option_id.clone(),
                score: shown[at]
                    .round_dp_with_strategy(SCORE_DECIMALS, RoundingStrategy::MidpointAwayFromZero)
                    .normalize()
                    .to_string(),
            })
            .collect(),
        winner: winner.map(|at| opened.options[at].option_id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expands "5 ACBED" lines into weighted rankings over options A..E.
    fn ballots(lines: &[(u32, &str)]) -> Vec<(Vec<usize>, Decimal)> {
        lines
            .iter()
            .map(|(count, order)| {
                let ranking = order.bytes().map(|b| usize::from(b - b'A')).collect();
                (ranking, Decimal::from(*count))
            })
            .collect()
    }

    #[test]
    fn schulze_reproduces_the_classic_45_voter_example() {
        // The worked example of Schulze's method (Wikipedia, "Schulze
        // method"): E wins, and the order is E > A > C > B > D.
        let wins = schulze(
            5,
            &ballots(&[
                (5, "ACBED"),
                (5, "ADECB"),
                (8, "BEDAC"),
                (3, "CABED"),
                (7, "CAEBD"),
                (2, "CBADE"),
                (7, "DCEBA"),
                (8, "EBADC"),
            ]),
        );
        // A beats C, B, D; B beats D; C beats B, D; E beats all.
        assert_eq!(wins, vec![3, 1, 2, 0, 4]);
    }

    #[test]
    fn schulze_finds_the_condorcet_winner_when_there_is_one() {
        // B is preferred to each other option by a majority.
        let wins = schulze(3, &ballots(&[(4, "BAC"), (3, "CBA"), (2, "ABC")]));
        assert_eq!(wins[1], 2);
    }

    #[test]
    fn schulze_breaks_a_condorcet_cycle_by_strongest_paths() {
        // A > B by 6-3, B > C by 7-2, C > A by 5-4: the cycle's weakest link
        // is C > A, so A beats C on strongest paths (6 against 5) and wins.
        let wins = schulze(3, &ballots(&[(4, "ABC"), (3, "BCA"), (2, "CAB")]));
        assert_eq!(wins, vec![2, 1, 0]);
    }

    /// A community ballot over options A, B, C by `method`.
    fn opened(method: &str) -> BallotOpened {
        serde_json::from_value(serde_json::json!({
            "ballot_id": "00000000-0000-0000-0000-0000000000b1",
            "question": "Qui ?",
            "options": [
                {"option_id": "A", "label": "A"},
                {"option_id": "B", "label": "B"},
                {"option_id": "C", "label": "C"},
            ],
            "method": method,
            "kind": "community",
            "closes_at": "2026-12-01T00:00:00Z",
            "electorate": [],
            "college_weights": [],
        }))
        .unwrap()
    }

    fn voter(n: u128) -> PioneerId {
        PioneerId(uuid::Uuid::from_u128(n))
    }

    fn ranked(orders: &[&str]) -> Votes {
        (1..)
            .zip(orders)
            .map(|(n, order)| {
                let ranking = order.chars().map(String::from).collect();
                (voter(n), Choice::Ranked { ranking })
            })
            .collect()
    }

    #[test]
    fn a_withdrawn_option_is_counted_as_if_it_never_stood() {
        // A wins with everyone; without A, C is preferred to B by two to one.
        let votes = ranked(&["ABC", "ACB", "CBA"]);
        let all = tally_of(&opened("ranked"), &votes, &[]);
        assert_eq!(all.winner.as_deref(), Some("A"));
        let without_a = tally_of(&opened("ranked"), &votes, &["A".to_string()]);
        assert_eq!(without_a.winner.as_deref(), Some("C"));
        assert_eq!(without_a.votes_counted, 3);
        let listed: Vec<&str> = without_a
            .results
            .iter()
            .map(|result| result.option_id.as_str())
            .collect();
        assert_eq!(listed, ["C", "B"]);
    }

    #[test]
    fn the_option_left_alone_wins_only_if_a_counted_vote_chose_it() {
        let single = |option: &str| Choice::Single {
            option_id: option.into(),
        };
        let for_a: Votes = [(voter(1), single("A")), (voter(2), single("A"))].into();
        let withdrawn = ["A".to_string(), "B".to_string()];
        assert_eq!(tally_of(&opened("single"), &for_a, &withdrawn).winner, None);
        let mut one_for_c = for_a.clone();
        one_for_c.insert(voter(3), single("C"));
        assert_eq!(
            tally_of(&opened("single"), &one_for_c, &withdrawn)
                .winner
                .as_deref(),
            Some("C")
        );
        // A ranking that lists the option chooses it, even last.
        let ranks_c = ranked(&["ABC"]);
        assert_eq!(
            tally_of(&opened("ranked"), &ranks_c, &withdrawn)
                .winner
                .as_deref(),
            Some("C")
        );
        assert_eq!(
            tally_of(&opened("ranked"), &ranked(&["AB"]), &withdrawn).winner,
            None
        );
    }

    #[test]
    fn unlisted_options_rank_below_listed_ones() {
        let wins = schulze(3, &ballots(&[(1, "C")]));
        assert_eq!(wins, vec![0, 0, 2]);
    }
}
