//! Post-release reviews after break-glass: who is named, who may give a
//! conclusion, and when the review closes.
//!
//! The person who broke glass names the reviewers; each named reviewer who
//! can still review (active, may approve the project's releases) must give a
//! conclusion, and the review closes when none of them is left waiting. When
//! nobody named can conclude any more (they left, or the review predates
//! named reviewers), anyone else who may approve concludes and closes it, so
//! a review never gets stuck. Whoever broke glass never reviews themselves.

use crate::UserId;

/// A named reviewer as far as the rules are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewer {
    pub user: UserId,
    /// Has given their conclusion.
    pub concluded: bool,
    /// Can still review: active and may approve the project's releases.
    pub eligible: bool,
}

/// Named reviewers the review still waits for.
pub fn waiting_for(reviewers: &[Reviewer]) -> Vec<UserId> {
    reviewers
        .iter()
        .filter(|r| !r.concluded && r.eligible)
        .map(|r| r.user)
        .collect()
}

/// Whether `actor` (who `may_approve` the project's releases) may give a
/// conclusion on an open review opened by `opened_by`.
pub fn may_conclude(
    actor: UserId,
    may_approve: bool,
    opened_by: Option<UserId>,
    reviewers: &[Reviewer],
) -> bool {
    if opened_by == Some(actor) || !may_approve {
        return false;
    }
    let waiting = waiting_for(reviewers);
    if waiting.is_empty() {
        // Nobody named can conclude: anyone else, once.
        !reviewers.iter().any(|r| r.user == actor && r.concluded)
    } else {
        waiting.contains(&actor)
    }
}

/// The reviewers named on the break-glass form, as usernames: trimmed,
/// lower-cased, each once; at least one, never the person breaking glass.
pub fn named(breaker: &str, names: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = names
        .iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(
            "Name at least one person who will review this emergency promotion afterwards.".into(),
        );
    }
    if out.iter().any(|n| n == breaker) {
        return Err("You broke glass, so someone else must review it: name another person.".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: UserId = UserId(1);
    const BREAKER: UserId = UserId(9);

    fn r(user: i64, concluded: bool, eligible: bool) -> Reviewer {
        Reviewer {
            user: UserId(user),
            concluded,
            eligible,
        }
    }

    #[test]
    fn named_reviewers_conclude_until_none_is_waiting() {
        let named = [r(1, false, true), r(2, false, true)];
        assert!(may_conclude(ME, true, Some(BREAKER), &named));
        assert!(
            !may_conclude(UserId(3), true, Some(BREAKER), &named),
            "not named"
        );
        assert_eq!(waiting_for(&named), [UserId(1), UserId(2)]);
        let one_done = [r(1, true, true), r(2, false, true)];
        assert!(
            !may_conclude(ME, true, Some(BREAKER), &one_done),
            "only once"
        );
        assert_eq!(waiting_for(&one_done), [UserId(2)]);
        assert!(waiting_for(&[r(1, true, true), r(2, true, true)]).is_empty());
    }

    #[test]
    fn reviewers_who_left_are_not_waited_for() {
        let gone = [r(1, false, false), r(2, false, true)];
        assert_eq!(waiting_for(&gone), [UserId(2)]);
        assert!(
            !may_conclude(ME, true, Some(BREAKER), &gone),
            "no longer eligible"
        );
        // Everyone named left: anyone else who may approve, once.
        let all_gone = [r(2, false, false)];
        assert!(may_conclude(ME, true, Some(BREAKER), &all_gone));
        assert!(
            may_conclude(ME, true, Some(BREAKER), &[]),
            "no one was named"
        );
        assert!(!may_conclude(
            ME,
            true,
            Some(BREAKER),
            &[r(1, true, true), r(2, false, false)]
        ));
    }

    #[test]
    fn the_breaker_and_non_approvers_never_conclude() {
        for reviewers in [vec![], vec![r(1, false, true)], vec![r(2, false, false)]] {
            assert!(!may_conclude(ME, true, Some(ME), &reviewers));
            assert!(!may_conclude(ME, false, Some(BREAKER), &reviewers));
        }
        // A review whose opener was deleted still excludes nobody else.
        assert!(may_conclude(ME, true, None, &[r(1, false, true)]));
    }

    #[test]
    fn named_reviewers_are_normalised_and_checked() {
        assert_eq!(
            named(
                "sam",
                &[" Tess ".into(), "paula".into(), "tess".into(), "".into()]
            ),
            Ok(vec!["paula".to_owned(), "tess".to_owned()])
        );
        assert!(named("sam", &[]).unwrap_err().contains("at least one"));
        assert!(named("sam", &[" ".into()])
            .unwrap_err()
            .contains("at least one"));
        assert!(named("sam", &["SAM".into()])
            .unwrap_err()
            .contains("someone else"));
    }
}
