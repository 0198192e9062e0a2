//! Approval policies: how many people must approve a release before it may be
//! promoted to an environment, which roles they must hold, and whether the
//! decisions given so far are enough.
//!
//! The rules, in the order [`evaluate`] applies them:
//!
//! - Only each person's latest decision counts; revoking is the absence of an
//!   entry.
//! - The release's author and the artifact's creator cannot approve (their
//!   approvals are listed as ineligible). They may still *reject*: anyone can
//!   stop a release.
//! - A decision is bound to the artifact digest and notes revision it was
//!   given for; after either changes it is void (listed with the reason).
//! - Any valid rejection blocks the release.
//! - Each approver counts once, however many roles they hold, and fills at
//!   most one slot of the role groups (found by maximum bipartite matching).

use crate::{ids::UserId, role::Role, validation::FieldErrors};
use serde::{Deserialize, Serialize};

/// The most approvals a policy may require.
pub const APPROVALS_MAX: u32 = 20;

/// "At least `at_least` people holding any of these roles."
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleGroup {
    pub at_least: u32,
    pub any_of: Vec<Role>,
}

impl RoleGroup {
    /// Whether someone holding `roles` may fill a slot of this group.
    fn admits(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.any_of.contains(r))
    }

    /// The role, among those held, that lets someone fill a slot (the first of
    /// the group's roles that they hold).
    fn role_of(&self, roles: &[Role]) -> Option<Role> {
        self.any_of.iter().copied().find(|r| roles.contains(r))
    }

    /// What `count` more people of this group are: "a tech lead",
    /// "a product owner or an SRE", "2 tech leads or SREs".
    fn need(&self, count: u64) -> String {
        let roles = distinct(&self.any_of);
        if count == 1 {
            join_or(&roles.iter().map(|r| a_role(*r)).collect::<Vec<_>>())
        } else {
            let plurals: Vec<String> = roles.iter().map(|r| roles_plural(*r).into()).collect();
            format!("{count} {}", join_or(&plurals))
        }
    }
}

/// How many approvals a release needs for one environment, and from whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    /// Distinct people who must approve.
    pub required: u32,
    /// Role requirements; all must be met, each person filling one slot.
    #[serde(default)]
    pub groups: Vec<RoleGroup>,
}

impl Default for ApprovalPolicy {
    /// One approval from anyone eligible.
    fn default() -> Self {
        Self {
            required: 1,
            groups: Vec::new(),
        }
    }
}

impl ApprovalPolicy {
    /// Checks the policy; `Ok` carries warnings worth showing (not errors).
    ///
    /// Groups that together need more people than `required` are an error
    /// (fix it by raising `required`), so a valid policy always means exactly
    /// `required` people. Field names: `required`, `groups[i].at_least`,
    /// `groups[i].roles`.
    pub fn validate(&self, production: bool) -> Result<Vec<String>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let rows: Vec<usize> = (0..self.groups.len()).collect();
        check_groups(&self.groups, &rows, &mut errors);
        check_total(self.required, &self.groups, &mut errors);
        errors.into_result(|| self.warnings(production))
    }

    /// Warnings about a policy that is valid but probably not meant.
    pub fn warnings(&self, production: bool) -> Vec<String> {
        let mut warnings = Vec::new();
        if production && self.people_needed() == 0 {
            warnings.push("Production releases will need no approval.".to_owned());
        }
        warnings
    }

    /// Parses a policy form: the number of approvals, and one row per group
    /// with the number of people and comma-separated role names
    /// (`tech_lead, sre` or `Tech lead, SRE`).
    ///
    /// Rows without roles are skipped, so a form can offer spare rows (even
    /// with a pre-filled number). Errors name the row's index in `groups`:
    /// `groups[i].at_least`, `groups[i].roles`; and `required`. The result is
    /// valid; ask [`ApprovalPolicy::warnings`] for warnings.
    pub fn from_form(
        required: &str,
        groups: &[(String, String)],
    ) -> Result<ApprovalPolicy, FieldErrors> {
        let mut errors = FieldErrors::new();
        let required = errors.check("required", parse_count(required, "Number of approvals"));
        let mut parsed = Vec::new();
        let mut rows = Vec::new();
        let mut all_parsed = true;
        for (i, (at_least, roles)) in groups.iter().enumerate() {
            if roles.split(',').all(|r| r.trim().is_empty()) {
                continue;
            }
            let at_least = errors.check(
                &format!("groups[{i}].at_least"),
                parse_count(at_least, "Number of people"),
            );
            let any_of = errors.check(&format!("groups[{i}].roles"), parse_roles(roles));
            match (at_least, any_of) {
                (Some(at_least), Some(any_of)) => {
                    parsed.push(RoleGroup { at_least, any_of });
                    rows.push(i);
                }
                _ => all_parsed = false,
            }
        }
        check_groups(&parsed, &rows, &mut errors);
        match required {
            Some(required) => {
                if all_parsed {
                    check_total(required, &parsed, &mut errors);
                }
                errors.into_result(|| ApprovalPolicy {
                    required,
                    groups: parsed,
                })
            }
            None => Err(errors),
        }
    }

    /// How many distinct people must approve: `required`, or more when the
    /// groups (of a policy that failed validation) need more.
    pub fn people_needed(&self) -> u64 {
        u64::from(self.required).max(self.group_total())
    }

    /// The policy in words: "No approval needed.", "1 approval.",
    /// "2 approvals, including a tech lead, plus a product owner or an SRE."
    pub fn describe(&self) -> String {
        let needed = self.people_needed();
        if needed == 0 {
            return "No approval needed.".to_owned();
        }
        let groups: Vec<String> = self
            .groups
            .iter()
            .filter(|g| g.at_least > 0)
            .map(|g| g.need(u64::from(g.at_least)))
            .collect();
        if groups.is_empty() {
            format!("{}.", count_of(needed, "approval"))
        } else {
            format!(
                "{}, including {}.",
                count_of(needed, "approval"),
                groups.join(", plus ")
            )
        }
    }

    fn group_total(&self) -> u64 {
        self.groups.iter().map(|g| u64::from(g.at_least)).sum()
    }
}

/// Errors of each group on its own; `rows[k]` is the form row of `groups[k]`.
fn check_groups(groups: &[RoleGroup], rows: &[usize], errors: &mut FieldErrors) {
    for (group, i) in groups.iter().zip(rows) {
        if group.at_least == 0 {
            errors.push(
                format!("groups[{i}].at_least"),
                "A group needs at least 1 person; remove the group instead.",
            );
        }
        if group.any_of.is_empty() {
            errors.push(format!("groups[{i}].roles"), "Name at least one role.");
        }
    }
}

/// Errors of the number of approvals against the groups.
fn check_total(required: u32, groups: &[RoleGroup], errors: &mut FieldErrors) {
    let total: u64 = groups.iter().map(|g| u64::from(g.at_least)).sum();
    if required > APPROVALS_MAX {
        errors.push(
            "required",
            format!("At most {APPROVALS_MAX} approvals can be required."),
        );
    } else if total > u64::from(required) {
        let subject = if groups.len() == 1 {
            "The group needs"
        } else {
            "The groups need"
        };
        let only = match required {
            0 => "no approval is required".to_owned(),
            1 => "only 1 approval is required".to_owned(),
            n => format!("only {n} approvals are required"),
        };
        errors.push(
            "required",
            format!("{subject} {total} people but {only}; require at least {total}."),
        );
    }
}

fn parse_count(input: &str, what: &str) -> Result<u32, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(format!("{what} is required."));
    }
    trimmed
        .parse::<u32>()
        .map_err(|_| format!("{what} must be a whole number, like 2."))
}

/// Comma-separated role names, each once, in the order given.
fn parse_roles(input: &str) -> Result<Vec<Role>, String> {
    let mut roles = Vec::new();
    let mut unknown = Vec::new();
    for name in input.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name.parse::<Role>() {
            Ok(role) if !roles.contains(&role) => roles.push(role),
            Ok(_) => {}
            Err(_) => unknown.push(format!("\"{name}\"")),
        }
    }
    if unknown.is_empty() {
        return Ok(roles);
    }
    let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let which = if unknown.len() == 1 {
        "Unknown role"
    } else {
        "Unknown roles"
    };
    Err(format!(
        "{which} {}. Known roles: {}.",
        unknown.join(", "),
        known.join(", ")
    ))
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub const ALL: [Decision; 2] = [Decision::Approve, Decision::Reject];

    /// As stored and as forms send it.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// "approved" / "rejected", for sentences such as "Ann approved on …".
    pub fn past_tense(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }

    /// "approval" / "rejection".
    pub fn noun(self) -> &'static str {
        match self {
            Decision::Approve => "approval",
            Decision::Reject => "rejection",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| format!("unknown decision {s:?}"))
    }
}

/// Compares with the stored text (`decision == "approve"`).
impl PartialEq<&str> for Decision {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl TryFrom<String> for Decision {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One person's decision on a release, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub user: UserId,
    /// The name people read, for explanations.
    pub name: String,
    /// The roles the approver holds for this project.
    pub roles: Vec<Role>,
    pub decision: Decision,
    pub comment: String,
    /// The artifact digest the decision was given for.
    pub digest: String,
    /// The notes revision the decision was given for.
    pub notes_revision: i64,
}

/// The release as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub author: UserId,
    pub artifact_creator: Option<UserId>,
    pub digest: String,
    pub notes_revision: i64,
}

/// The outcome of [`evaluate`], with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Whether the release may be promoted.
    pub satisfied: bool,
    /// The distinct eligible people whose current approval counts.
    pub counted: Vec<UserId>,
    /// Valid rejections: who, their name and their comment.
    pub rejected_by: Vec<(UserId, String, String)>,
    /// Decisions given for another artifact or notes revision, and why they
    /// no longer count.
    pub voided: Vec<(UserId, String)>,
    /// Approvals by people who may not approve this release, and why.
    pub ineligible: Vec<(UserId, String)>,
    /// What is still needed, one item each: "a tech lead", "1 more approval".
    pub missing: Vec<String>,
    /// One sentence: "Needs 1 more: a product owner or an SRE."
    pub explanation: String,
}

/// Why `user` may not approve the release, if they may not.
fn ineligibility(subject: &Subject, user: UserId) -> Option<&'static str> {
    let authored = subject.author == user;
    let created = subject.artifact_creator == Some(user);
    match (authored, created) {
        (true, true) => Some("authored the release and created the artifact"),
        (true, false) => Some("authored the release"),
        (false, true) => Some("created the artifact"),
        (false, false) => None,
    }
}

/// Why a decision no longer applies to the release as it is now, if it does not.
fn staleness(subject: &Subject, approval: &Approval) -> Option<String> {
    let mut why = Vec::new();
    if approval.digest != subject.digest {
        why.push(format!(
            "the artifact changed (digest {} → {})",
            short_digest(&approval.digest),
            short_digest(&subject.digest)
        ));
    }
    if approval.notes_revision != subject.notes_revision {
        why.push(format!(
            "the notes changed (revision {} → {})",
            approval.notes_revision, subject.notes_revision
        ));
    }
    (!why.is_empty()).then(|| why.join(" and "))
}

/// `sha256:0123456789ab…`: the algorithm and the first 12 characters.
fn short_digest(digest: &str) -> String {
    const KEEP: usize = 12;
    let (algorithm, hex) = match digest.split_once(':') {
        Some((algorithm, hex)) => (Some(algorithm), hex),
        None => (None, digest),
    };
    let mut short: String = hex.chars().take(KEEP).collect();
    if hex.chars().count() > KEEP {
        short.push('…');
    }
    match algorithm {
        Some(algorithm) => format!("{algorithm}:{short}"),
        None => short,
    }
}

/// Whether `user` may approve the release; the error is a sentence for them.
pub fn can_approve(subject: &Subject, user: UserId) -> Result<(), String> {
    if subject.author == user {
        Err("You authored this release, so someone else must approve it.".into())
    } else if subject.artifact_creator == Some(user) {
        Err("You created this release's artifact, so someone else must approve it.".into())
    } else {
        Ok(())
    }
}

/// Whether the release, as it is now, has the approvals `policy` asks for.
///
/// `approvals` is in the order given: a later entry of the same person
/// replaces an earlier one. A policy that failed validation still evaluates
/// safely; groups needing more people than `required` then need them all.
pub fn evaluate(policy: &ApprovalPolicy, subject: &Subject, approvals: &[Approval]) -> Evaluation {
    let latest = approvals
        .iter()
        .enumerate()
        .filter(|(i, a)| !approvals[i + 1..].iter().any(|b| b.user == a.user))
        .map(|(_, a)| a);

    let mut approvers: Vec<&Approval> = Vec::new();
    let mut rejected_by = Vec::new();
    let mut voided = Vec::new();
    let mut ineligible = Vec::new();
    for approval in latest {
        if approval.decision == Decision::Approve {
            if let Some(why) = ineligibility(subject, approval.user) {
                ineligible.push((approval.user, why.to_owned()));
                continue;
            }
        }
        if let Some(why) = staleness(subject, approval) {
            voided.push((approval.user, why));
            continue;
        }
        match approval.decision {
            Decision::Approve => approvers.push(approval),
            Decision::Reject => rejected_by.push((
                approval.user,
                approval.name.clone(),
                approval.comment.clone(),
            )),
        }
    }

    let roles: Vec<&[Role]> = approvers.iter().map(|a| a.roles.as_slice()).collect();
    let assignment = assign(&policy.groups, &roles);

    // What is missing: each group's unfilled slots, then anyone to reach `required`.
    let mut missing = Vec::new();
    let mut unfilled_total: u64 = 0;
    for (g, group) in policy.groups.iter().enumerate() {
        let filled = assignment.iter().filter(|a| **a == Some(g)).count() as u64;
        let unfilled = u64::from(group.at_least).saturating_sub(filled);
        if unfilled > 0 {
            unfilled_total += unfilled;
            missing.push(group.need(unfilled));
        }
    }
    let short = u64::from(policy.required).saturating_sub(approvers.len() as u64);
    let still = unfilled_total.max(short);
    let anyone = still - unfilled_total;
    if anyone > 0 {
        let more = format!("{anyone} more {}", plural(anyone, "approval"));
        missing.push(if missing.is_empty() {
            more
        } else {
            format!("{more} (any role)")
        });
    }

    let satisfied = rejected_by.is_empty() && still == 0;
    let explanation = if !rejected_by.is_empty() {
        let parts: Vec<String> = rejected_by
            .iter()
            .map(|(_, name, comment)| match comment.trim() {
                "" => format!("by {name}"),
                comment => format!("by {name}: '{comment}'"),
            })
            .collect();
        format!("Rejected {}.", join_and(&parts))
    } else if satisfied && approvers.is_empty() {
        "No approvals needed.".to_owned()
    } else if satisfied {
        let parts: Vec<String> = approvers
            .iter()
            .zip(&assignment)
            .map(|(a, slot)| {
                let role = slot
                    .and_then(|g| policy.groups.get(g))
                    .and_then(|group| group.role_of(&a.roles));
                match role {
                    Some(role) => format!("{} ({})", a.name, role_name(role)),
                    None => a.name.clone(),
                }
            })
            .collect();
        format!("Approved by {}.", join_and(&parts))
    } else if unfilled_total == 0 {
        format!("Needs {anyone} more {}.", plural(anyone, "approval"))
    } else {
        format!("Needs {still} more: {}.", missing.join(", plus "))
    };

    Evaluation {
        satisfied,
        counted: approvers.iter().map(|a| a.user).collect(),
        rejected_by,
        voided,
        ineligible,
        missing,
        explanation,
    }
}

/// Assigns approvers to group slots, each approver to at most one slot, as
/// many slots as possible (maximum bipartite matching by augmenting paths).
/// Returns, per approver, the group whose slot they fill.
fn assign(groups: &[RoleGroup], roles: &[&[Role]]) -> Vec<Option<usize>> {
    // One slot per person a group needs; slots beyond the number of approvers
    // could never be filled, so they are not created.
    let slots: Vec<usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| {
            let n = usize::try_from(group.at_least)
                .unwrap_or(usize::MAX)
                .min(roles.len());
            std::iter::repeat_n(g, n)
        })
        .collect();
    let mut approver_slot: Vec<Option<usize>> = vec![None; roles.len()];
    for slot in 0..slots.len() {
        let mut seen = vec![false; roles.len()];
        augment(slot, &slots, groups, roles, &mut seen, &mut approver_slot);
    }
    approver_slot
        .into_iter()
        .map(|slot| slot.and_then(|s| slots.get(s).copied()))
        .collect()
}

/// Tries to fill `slot`, moving already-assigned approvers along an
/// augmenting path if needed.
fn augment(
    slot: usize,
    slots: &[usize],
    groups: &[RoleGroup],
    roles: &[&[Role]],
    seen: &mut [bool],
    approver_slot: &mut [Option<usize>],
) -> bool {
    let Some(group) = slots.get(slot).and_then(|g| groups.get(*g)) else {
        return false;
    };
    for a in 0..roles.len() {
        if seen[a] || !group.admits(roles[a]) {
            continue;
        }
        seen[a] = true;
        let free = match approver_slot[a] {
            None => true,
            Some(other) => augment(other, slots, groups, roles, seen, approver_slot),
        };
        if free {
            approver_slot[a] = Some(slot);
            return true;
        }
    }
    false
}

fn distinct(roles: &[Role]) -> Vec<Role> {
    let mut out: Vec<Role> = Vec::new();
    for role in roles {
        if !out.contains(role) {
            out.push(*role);
        }
    }
    out
}

/// The role's label as it reads mid-sentence: "tech lead", "SRE".
fn role_name(role: Role) -> String {
    let label = role.label();
    if label.chars().any(char::is_lowercase) {
        label.to_lowercase()
    } else {
        label.to_owned()
    }
}

/// One person holding the role: "a tech lead", "an SRE".
fn a_role(role: Role) -> String {
    match role {
        Role::Support => "someone in support".to_owned(),
        Role::Admin | Role::Sre | Role::Engineer => format!("an {}", role_name(role)),
        Role::ReleaseManager | Role::TechLead | Role::ProductOwner | Role::Stakeholder => {
            format!("a {}", role_name(role))
        }
    }
}

/// Several people holding the role: "tech leads", "SREs".
fn roles_plural(role: Role) -> &'static str {
    match role {
        Role::Admin => "admins",
        Role::ReleaseManager => "release managers",
        Role::TechLead => "tech leads",
        Role::ProductOwner => "product owners",
        Role::Sre => "SREs",
        Role::Engineer => "engineers",
        Role::Support => "people in support",
        Role::Stakeholder => "stakeholders",
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn count_of(n: u64, word: &str) -> String {
    format!("{n} {}", plural(n, word))
}

/// "a", "a or b", "a, b or c".
fn join_or(items: &[String]) -> String {
    join_last(items, " or ")
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[String]) -> String {
    join_last(items, " and ")
}

fn join_last(items: &[String], last: &str) -> String {
    match items.split_last() {
        None => String::new(),
        Some((only, [])) => only.clone(),
        Some((tail, rest)) => format!("{}{last}{tail}", rest.join(", ")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const OTHER_DIGEST: &str =
        "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const REVISION: i64 = 5;

    const AUTHOR: UserId = UserId(1);
    const CREATOR: UserId = UserId(2);

    fn subject() -> Subject {
        Subject {
            author: AUTHOR,
            artifact_creator: Some(CREATOR),
            digest: DIGEST.into(),
            notes_revision: REVISION,
        }
    }

    fn name_of(user: i64) -> String {
        ["Nobody", "Ada", "Bob", "Carol", "Dan", "Eve", "Fay", "Gus"]
            .get(usize::try_from(user).unwrap())
            .map_or_else(|| format!("User {user}"), |n| (*n).to_owned())
    }

    fn approve(user: i64, roles: &[Role]) -> Approval {
        Approval {
            user: UserId(user),
            name: name_of(user),
            roles: roles.to_vec(),
            decision: Decision::Approve,
            comment: String::new(),
            digest: DIGEST.into(),
            notes_revision: REVISION,
        }
    }

    fn reject(user: i64, roles: &[Role], comment: &str) -> Approval {
        Approval {
            decision: Decision::Reject,
            comment: comment.into(),
            ..approve(user, roles)
        }
    }

    fn group(at_least: u32, any_of: &[Role]) -> RoleGroup {
        RoleGroup {
            at_least,
            any_of: any_of.to_vec(),
        }
    }

    /// Production: 2 approvals, at least one tech lead AND at least one
    /// product owner or SRE.
    fn production() -> ApprovalPolicy {
        ApprovalPolicy {
            required: 2,
            groups: vec![
                group(1, &[Role::TechLead]),
                group(1, &[Role::ProductOwner, Role::Sre]),
            ],
        }
    }

    fn plain(required: u32) -> ApprovalPolicy {
        ApprovalPolicy {
            required,
            groups: Vec::new(),
        }
    }

    fn ids(users: &[i64]) -> Vec<UserId> {
        users.iter().map(|u| UserId(*u)).collect()
    }

    /// Every subset of the roles that matter to the production policy, plus
    /// one that does not.
    fn role_sets() -> Vec<Vec<Role>> {
        let pool = [
            Role::TechLead,
            Role::ProductOwner,
            Role::Sre,
            Role::Engineer,
        ];
        (0..(1u32 << pool.len()))
            .map(|mask| {
                pool.iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, r)| *r)
                    .collect()
            })
            .collect()
    }

    // --- the default and trivial policies ---------------------------------

    #[test]
    fn the_default_policy_is_one_approval_from_anyone() {
        let policy = ApprovalPolicy::default();
        assert_eq!(policy.required, 1);
        assert!(policy.groups.is_empty());
        assert_eq!(policy.validate(true), Ok(Vec::new()));

        let none = evaluate(&policy, &subject(), &[]);
        assert!(!none.satisfied);
        assert_eq!(none.missing, vec!["1 more approval".to_owned()]);
        assert_eq!(none.explanation, "Needs 1 more approval.");

        let one = evaluate(&policy, &subject(), &[approve(3, &[])]);
        assert!(one.satisfied);
        assert_eq!(one.counted, ids(&[3]));
        assert!(one.missing.is_empty());
        assert_eq!(one.explanation, "Approved by Carol.");
    }

    #[test]
    fn no_approvals_needed_when_none_are_required() {
        let policy = plain(0);
        let e = evaluate(&policy, &subject(), &[]);
        assert!(e.satisfied);
        assert!(e.missing.is_empty());
        assert_eq!(e.explanation, "No approvals needed.");
        // An approval anyway is fine; a rejection still blocks.
        assert!(evaluate(&policy, &subject(), &[approve(3, &[])]).satisfied);
        let rejected = evaluate(&policy, &subject(), &[reject(3, &[], "not yet")]);
        assert!(!rejected.satisfied);
        assert_eq!(rejected.explanation, "Rejected by Carol: 'not yet'.");
    }

    #[test]
    fn production_with_no_approval_is_a_warning_not_an_error() {
        assert_eq!(
            plain(0).validate(true),
            Ok(vec!["Production releases will need no approval.".to_owned()])
        );
        assert_eq!(plain(0).validate(false), Ok(Vec::new()));
        assert_eq!(plain(1).validate(true), Ok(Vec::new()));
        assert_eq!(production().validate(true), Ok(Vec::new()));
    }

    // --- counts ----------------------------------------------------------------

    #[test]
    fn counts_distinct_people_up_to_the_required_number() {
        let policy = plain(3);
        for n in 0..=4i64 {
            let approvals: Vec<Approval> = (0..n).map(|i| approve(3 + i, &[])).collect();
            let e = evaluate(&policy, &subject(), &approvals);
            assert_eq!(e.satisfied, n >= 3, "{n} approvals");
            assert_eq!(e.counted.len(), usize::try_from(n).unwrap());
            let short = 3 - n.min(3);
            match short {
                0 => assert!(e.missing.is_empty()),
                1 => {
                    assert_eq!(e.missing, vec!["1 more approval".to_owned()]);
                    assert_eq!(e.explanation, "Needs 1 more approval.");
                }
                _ => {
                    assert_eq!(e.missing, vec![format!("{short} more approvals")]);
                    assert_eq!(e.explanation, format!("Needs {short} more approvals."));
                }
            }
        }
    }

    #[test]
    fn the_same_person_approving_twice_counts_once() {
        let e = evaluate(
            &plain(2),
            &subject(),
            &[approve(3, &[Role::TechLead]), approve(3, &[Role::TechLead])],
        );
        assert!(!e.satisfied);
        assert_eq!(e.counted, ids(&[3]));
        assert_eq!(e.explanation, "Needs 1 more approval.");
    }

    // --- roles and groups ---------------------------------------------------

    #[test]
    fn production_example_by_roles() {
        let p = production();
        let s = subject();
        use Role::*;

        let e = evaluate(&p, &s, &[]);
        assert_eq!(
            e.missing,
            vec!["a tech lead".to_owned(), "a product owner or an SRE".into()]
        );
        assert_eq!(
            e.explanation,
            "Needs 2 more: a tech lead, plus a product owner or an SRE."
        );

        let e = evaluate(&p, &s, &[approve(3, &[TechLead])]);
        assert!(!e.satisfied);
        assert_eq!(e.missing, vec!["a product owner or an SRE".to_owned()]);
        assert_eq!(e.explanation, "Needs 1 more: a product owner or an SRE.");

        let e = evaluate(&p, &s, &[approve(3, &[Sre])]);
        assert_eq!(e.explanation, "Needs 1 more: a tech lead.");

        let e = evaluate(
            &p,
            &s,
            &[approve(3, &[TechLead]), approve(4, &[ProductOwner])],
        );
        assert!(e.satisfied);
        assert_eq!(
            e.explanation,
            "Approved by Carol (tech lead) and Dan (product owner)."
        );

        let e = evaluate(&p, &s, &[approve(3, &[TechLead]), approve(4, &[Sre])]);
        assert!(e.satisfied);
        assert_eq!(
            e.explanation,
            "Approved by Carol (tech lead) and Dan (SRE)."
        );

        // Two tech leads: the count is met, the product side is not.
        let e = evaluate(&p, &s, &[approve(3, &[TechLead]), approve(4, &[TechLead])]);
        assert!(!e.satisfied);
        assert_eq!(e.missing, vec!["a product owner or an SRE".to_owned()]);

        // An engineer adds to the count but fills no group.
        let e = evaluate(&p, &s, &[approve(3, &[TechLead]), approve(4, &[Engineer])]);
        assert!(!e.satisfied);
        assert_eq!(e.missing, vec!["a product owner or an SRE".to_owned()]);
        assert_eq!(e.explanation, "Needs 1 more: a product owner or an SRE.");

        // A third, ungrouped approver is listed without a role.
        let e = evaluate(
            &p,
            &s,
            &[
                approve(3, &[TechLead]),
                approve(5, &[Engineer]),
                approve(4, &[ProductOwner]),
            ],
        );
        assert!(e.satisfied);
        assert_eq!(
            e.explanation,
            "Approved by Carol (tech lead), Eve and Dan (product owner)."
        );
    }

    #[test]
    fn a_person_with_several_roles_counts_once_and_fills_one_group() {
        use Role::*;
        let p = production();
        let both = evaluate(&p, &subject(), &[approve(3, &[TechLead, ProductOwner])]);
        assert!(!both.satisfied);
        assert_eq!(both.counted, ids(&[3]));
        // One group is left open, and the count is short by the same person.
        assert_eq!(both.missing.len(), 1);
        assert!(both.explanation.starts_with("Needs 1 more: "));

        // Even with required lowered to 1, one person cannot fill two groups.
        let lenient = ApprovalPolicy {
            required: 1,
            ..production()
        };
        assert!(
            !evaluate(
                &lenient,
                &subject(),
                &[approve(3, &[TechLead, Sre, ProductOwner])]
            )
            .satisfied
        );

        // With someone else for the other group, it works either way round.
        for other in [&[TechLead][..], &[ProductOwner], &[Sre]] {
            let e = evaluate(
                &p,
                &subject(),
                &[approve(3, &[TechLead, ProductOwner]), approve(4, other)],
            );
            assert!(e.satisfied, "{other:?}");
        }
    }

    #[test]
    fn the_matching_finds_the_assignment_that_works() {
        use Role::*;
        // A is a tech lead and an SRE, B only a tech lead: satisfied only
        // when A fills the SRE slot, whatever order they approved in.
        let p = production();
        let a = approve(3, &[TechLead, Sre]);
        let b = approve(4, &[TechLead]);
        for approvals in [vec![a.clone(), b.clone()], vec![b.clone(), a.clone()]] {
            let e = evaluate(&p, &subject(), &approvals);
            assert!(e.satisfied, "{approvals:?}");
            assert!(e.explanation.contains("Carol (SRE)"), "{}", e.explanation);
            assert!(
                e.explanation.contains("Dan (tech lead)"),
                "{}",
                e.explanation
            );
        }

        // A longer chain: groups TL, TL-or-PO, PO-or-SRE, approvers who each
        // fit two groups; only one assignment fills all three.
        let p = ApprovalPolicy {
            required: 3,
            groups: vec![
                group(1, &[ProductOwner, Sre]),
                group(1, &[TechLead, ProductOwner]),
                group(1, &[TechLead]),
            ],
        };
        let e = evaluate(
            &p,
            &subject(),
            &[
                approve(3, &[TechLead, ProductOwner]),
                approve(4, &[ProductOwner, Sre]),
                approve(5, &[TechLead]),
            ],
        );
        assert!(e.satisfied);
    }

    #[test]
    fn production_example_for_every_pair_of_role_sets() {
        let p = production();
        let tl = |r: &[Role]| r.contains(&Role::TechLead);
        let po_or_sre = |r: &[Role]| r.contains(&Role::ProductOwner) || r.contains(&Role::Sre);
        for a in role_sets() {
            // One person alone never suffices, whatever they hold.
            let alone = evaluate(&p, &subject(), &[approve(3, &a)]);
            assert!(!alone.satisfied, "{a:?}");
            assert_eq!(alone.counted, ids(&[3]));
            for b in role_sets() {
                let expected = (tl(&a) && po_or_sre(&b)) || (tl(&b) && po_or_sre(&a));
                let e = evaluate(&p, &subject(), &[approve(3, &a), approve(4, &b)]);
                assert_eq!(e.satisfied, expected, "{a:?} + {b:?}");
                assert_eq!(e.counted, ids(&[3, 4]));
                assert_eq!(e.missing.is_empty(), expected, "{a:?} + {b:?}");
                if !expected {
                    // Each open group is one more person: 1 when either
                    // person fits a group, 2 when neither does.
                    let open = if [&a, &b].iter().any(|r| tl(r) || po_or_sre(r)) {
                        1
                    } else {
                        2
                    };
                    let needs = format!("Needs {open} more: ");
                    assert!(e.explanation.starts_with(&needs), "{}", e.explanation);
                }
            }
        }
    }

    #[test]
    fn groups_needing_several_people() {
        use Role::*;
        let p = ApprovalPolicy {
            required: 3,
            groups: vec![group(2, &[TechLead, Sre])],
        };
        let e = evaluate(&p, &subject(), &[]);
        assert_eq!(
            e.missing,
            vec![
                "2 tech leads or SREs".to_owned(),
                "1 more approval (any role)".into()
            ]
        );
        assert_eq!(
            e.explanation,
            "Needs 3 more: 2 tech leads or SREs, plus 1 more approval (any role)."
        );
        let e = evaluate(
            &p,
            &subject(),
            &[approve(3, &[TechLead]), approve(4, &[Engineer])],
        );
        assert_eq!(e.missing, vec!["a tech lead or an SRE".to_owned()]);
        let e = evaluate(
            &p,
            &subject(),
            &[
                approve(3, &[TechLead]),
                approve(4, &[Engineer]),
                approve(5, &[Sre]),
            ],
        );
        assert!(e.satisfied);
    }

    #[test]
    fn missing_counts_people_not_slots_plus_approvals() {
        use Role::*;
        // 3 required, one tech lead: with nobody, 3 people are missing (the
        // tech lead is one of them), not 4.
        let p = ApprovalPolicy {
            required: 3,
            groups: vec![group(1, &[TechLead])],
        };
        let e = evaluate(&p, &subject(), &[]);
        assert_eq!(
            e.explanation,
            "Needs 3 more: a tech lead, plus 2 more approvals (any role)."
        );
        let e = evaluate(&p, &subject(), &[approve(3, &[]), approve(4, &[])]);
        assert_eq!(e.explanation, "Needs 1 more: a tech lead.");
    }

    #[test]
    fn every_role_reads_well() {
        for role in Role::ALL {
            let one = a_role(role);
            assert!(one.starts_with("a ") || one.starts_with("an ") || one.starts_with("someone"));
            assert!(!roles_plural(role).is_empty());
        }
        assert_eq!(a_role(Role::Sre), "an SRE");
        assert_eq!(a_role(Role::ProductOwner), "a product owner");
        assert_eq!(a_role(Role::Engineer), "an engineer");
        assert_eq!(role_name(Role::Sre), "SRE");
        assert_eq!(role_name(Role::TechLead), "tech lead");
        assert_eq!(
            group(1, &[Role::TechLead, Role::ProductOwner, Role::Sre]).need(1),
            "a tech lead, a product owner or an SRE"
        );
        assert_eq!(group(1, &[Role::Sre, Role::Sre]).need(1), "an SRE");
    }

    #[test]
    fn policies_describe_themselves() {
        assert_eq!(plain(0).describe(), "No approval needed.");
        assert_eq!(plain(1).describe(), "1 approval.");
        assert_eq!(
            production().describe(),
            "2 approvals, including a tech lead, plus a product owner or an SRE."
        );
    }

    // --- who may approve ----------------------------------------------------

    #[test]
    fn the_author_cannot_approve() {
        let e = evaluate(
            &plain(1),
            &subject(),
            &[approve(AUTHOR.0, &[Role::TechLead])],
        );
        assert!(!e.satisfied);
        assert!(e.counted.is_empty());
        assert_eq!(
            e.ineligible,
            vec![(AUTHOR, "authored the release".to_owned())]
        );
        assert_eq!(
            can_approve(&subject(), AUTHOR),
            Err("You authored this release, so someone else must approve it.".into())
        );
    }

    #[test]
    fn the_artifact_creator_cannot_approve() {
        let e = evaluate(
            &plain(1),
            &subject(),
            &[approve(CREATOR.0, &[Role::TechLead])],
        );
        assert!(!e.satisfied);
        assert!(e.counted.is_empty());
        assert_eq!(
            e.ineligible,
            vec![(CREATOR, "created the artifact".to_owned())]
        );
        assert_eq!(
            can_approve(&subject(), CREATOR),
            Err("You created this release's artifact, so someone else must approve it.".into())
        );
        assert_eq!(can_approve(&subject(), UserId(3)), Ok(()));
    }

    #[test]
    fn the_author_who_also_built_the_artifact() {
        let s = Subject {
            artifact_creator: Some(AUTHOR),
            ..subject()
        };
        let e = evaluate(&plain(1), &s, &[approve(AUTHOR.0, &[])]);
        assert_eq!(
            e.ineligible,
            vec![(
                AUTHOR,
                "authored the release and created the artifact".to_owned()
            )]
        );
        assert!(can_approve(&s, AUTHOR)
            .unwrap_err()
            .starts_with("You authored"));
        // Nobody else is affected when no creator is known.
        let s = Subject {
            artifact_creator: None,
            ..subject()
        };
        assert_eq!(can_approve(&s, CREATOR), Ok(()));
        assert!(evaluate(&plain(1), &s, &[approve(CREATOR.0, &[])]).satisfied);
    }

    #[test]
    fn an_ineligible_approval_fills_no_group() {
        use Role::*;
        // The author is the only tech lead: others cannot make up for it.
        let e = evaluate(
            &production(),
            &subject(),
            &[
                approve(AUTHOR.0, &[TechLead]),
                approve(3, &[Sre]),
                approve(4, &[ProductOwner]),
            ],
        );
        assert!(!e.satisfied);
        assert_eq!(e.counted, ids(&[3, 4]));
        assert_eq!(e.missing, vec!["a tech lead".to_owned()]);
    }

    #[test]
    fn the_author_may_still_reject() {
        let e = evaluate(
            &plain(1),
            &subject(),
            &[
                approve(3, &[]),
                reject(AUTHOR.0, &[], "found a bug, hold on"),
            ],
        );
        assert!(!e.satisfied);
        assert!(e.ineligible.is_empty());
        assert_eq!(
            e.rejected_by,
            vec![(AUTHOR, "Ada".to_owned(), "found a bug, hold on".to_owned())]
        );
        assert_eq!(e.explanation, "Rejected by Ada: 'found a bug, hold on'.");
    }

    // --- binding to the digest and notes ------------------------------------

    #[test]
    fn a_new_artifact_voids_earlier_approvals() {
        let old = Approval {
            digest: OTHER_DIGEST.into(),
            ..approve(3, &[Role::TechLead])
        };
        let e = evaluate(&plain(1), &subject(), &[old]);
        assert!(!e.satisfied);
        assert!(e.counted.is_empty());
        assert_eq!(
            e.voided,
            vec![(
                UserId(3),
                "the artifact changed (digest sha256:bbbbbbbbbbbb… → sha256:aaaaaaaaaaaa…)"
                    .to_owned()
            )]
        );
        assert_eq!(e.explanation, "Needs 1 more approval.");
    }

    #[test]
    fn new_notes_void_earlier_approvals() {
        let old = Approval {
            notes_revision: 3,
            ..approve(3, &[])
        };
        let e = evaluate(&plain(1), &subject(), std::slice::from_ref(&old));
        assert!(!e.satisfied);
        assert_eq!(
            e.voided,
            vec![(UserId(3), "the notes changed (revision 3 → 5)".to_owned())]
        );
        // Both changed: both reasons.
        let both = Approval {
            digest: "sha256:bbb".into(),
            ..old
        };
        let e = evaluate(&plain(1), &subject(), &[both]);
        assert_eq!(
            e.voided[0].1,
            "the artifact changed (digest sha256:bbb → sha256:aaaaaaaaaaaa…) and the notes changed (revision 3 → 5)"
        );
        // Approving again for the current release counts.
        let e = evaluate(
            &plain(1),
            &subject(),
            &[
                Approval {
                    notes_revision: 3,
                    ..approve(3, &[])
                },
                approve(3, &[]),
            ],
        );
        assert!(e.satisfied);
        assert!(e.voided.is_empty());
    }

    #[test]
    fn a_rejection_of_an_older_release_is_void_too() {
        let old = Approval {
            digest: OTHER_DIGEST.into(),
            ..reject(3, &[], "broken build")
        };
        let e = evaluate(&plain(1), &subject(), &[old, approve(4, &[])]);
        assert!(e.satisfied);
        assert!(e.rejected_by.is_empty());
        assert_eq!(e.voided.len(), 1);
    }

    #[test]
    fn short_digests() {
        assert_eq!(
            short_digest("sha256:0123456789abcdef"),
            "sha256:0123456789ab…"
        );
        assert_eq!(short_digest("0123456789ab"), "0123456789ab");
        assert_eq!(short_digest(""), "");
    }

    // --- rejections and the latest decision ---------------------------------

    #[test]
    fn a_rejection_wins_over_any_number_of_approvals() {
        use Role::*;
        let e = evaluate(
            &production(),
            &subject(),
            &[
                approve(3, &[TechLead]),
                approve(4, &[ProductOwner]),
                reject(5, &[Sre], "missing migration dry-run"),
            ],
        );
        assert!(!e.satisfied);
        assert!(e.missing.is_empty());
        assert_eq!(e.counted, ids(&[3, 4]));
        assert_eq!(
            e.explanation,
            "Rejected by Eve: 'missing migration dry-run'."
        );
    }

    #[test]
    fn several_rejections_are_all_named() {
        let e = evaluate(
            &plain(1),
            &subject(),
            &[reject(3, &[], " too risky "), reject(4, &[], "")],
        );
        assert_eq!(e.rejected_by.len(), 2);
        assert_eq!(e.explanation, "Rejected by Carol: 'too risky' and by Dan.");
    }

    #[test]
    fn the_latest_decision_of_each_person_counts() {
        let approved_then_rejected = evaluate(
            &plain(1),
            &subject(),
            &[approve(3, &[]), reject(3, &[], "changed my mind")],
        );
        assert!(!approved_then_rejected.satisfied);
        assert!(approved_then_rejected.counted.is_empty());
        assert_eq!(approved_then_rejected.rejected_by.len(), 1);

        let rejected_then_approved = evaluate(
            &plain(1),
            &subject(),
            &[reject(3, &[], "wait"), approve(3, &[])],
        );
        assert!(rejected_then_approved.satisfied);
        assert!(rejected_then_approved.rejected_by.is_empty());

        // A current approval replaced by a void one no longer counts.
        let e = evaluate(
            &plain(1),
            &subject(),
            &[
                approve(3, &[]),
                Approval {
                    notes_revision: 4,
                    ..approve(3, &[])
                },
            ],
        );
        assert!(!e.satisfied);
        assert_eq!(e.voided.len(), 1);

        // The latest entry's roles are the ones that count.
        let e = evaluate(
            &production(),
            &subject(),
            &[
                approve(3, &[Role::TechLead]),
                approve(3, &[Role::Engineer]),
                approve(4, &[Role::Sre]),
            ],
        );
        assert_eq!(e.missing, vec!["a tech lead".to_owned()]);
    }

    #[test]
    fn revoking_is_the_absence_of_the_entry() {
        let both = [approve(3, &[Role::TechLead]), approve(4, &[Role::Sre])];
        assert!(evaluate(&production(), &subject(), &both).satisfied);
        let revoked = evaluate(&production(), &subject(), &both[..1]);
        assert!(!revoked.satisfied);
        assert_eq!(
            revoked.explanation,
            "Needs 1 more: a product owner or an SRE."
        );
        // Revoking a rejection unblocks.
        let blocked = [approve(3, &[]), reject(4, &[], "no")];
        assert!(!evaluate(&plain(1), &subject(), &blocked).satisfied);
        assert!(evaluate(&plain(1), &subject(), &blocked[..1]).satisfied);
    }

    // --- validation ---------------------------------------------------------

    #[test]
    fn validation_errors() {
        let empty_roles = ApprovalPolicy {
            required: 1,
            groups: vec![group(1, &[])],
        };
        let errors = empty_roles.validate(false).unwrap_err();
        assert_eq!(
            errors.get("groups[0].roles"),
            Some("Name at least one role.")
        );

        let zero = ApprovalPolicy {
            required: 1,
            groups: vec![group(1, &[Role::TechLead]), group(0, &[Role::Sre])],
        };
        let errors = zero.validate(false).unwrap_err();
        assert!(errors.get("groups[1].at_least").is_some());
        assert!(errors.get("groups[0].at_least").is_none());

        let too_many = plain(APPROVALS_MAX + 1);
        assert_eq!(
            too_many.validate(false).unwrap_err().get("required"),
            Some("At most 20 approvals can be required.")
        );
        assert_eq!(plain(APPROVALS_MAX).validate(false), Ok(Vec::new()));

        let short = ApprovalPolicy {
            required: 1,
            ..production()
        };
        assert_eq!(
            short.validate(true).unwrap_err().get("required"),
            Some("The groups need 2 people but only 1 approval is required; require at least 2.")
        );
        let none = ApprovalPolicy {
            required: 0,
            groups: vec![group(2, &[Role::TechLead])],
        };
        assert_eq!(
            none.validate(false).unwrap_err().get("required"),
            Some("The group needs 2 people but no approval is required; require at least 2.")
        );
        // Exactly as many as the groups need is fine.
        let exact = ApprovalPolicy {
            required: 3,
            groups: vec![group(2, &[Role::TechLead]), group(1, &[Role::Sre])],
        };
        assert_eq!(exact.validate(true), Ok(Vec::new()));
    }

    #[test]
    fn an_invalid_policy_still_evaluates_safely() {
        // Groups needing more than required: all of them are needed.
        let p = ApprovalPolicy {
            required: 1,
            groups: vec![group(u32::MAX, &[Role::TechLead])],
        };
        let e = evaluate(&p, &subject(), &[approve(3, &[Role::TechLead])]);
        assert!(!e.satisfied);
        assert_eq!(e.missing, vec![format!("{} tech leads", u32::MAX - 1)]);
        assert_eq!(p.people_needed(), u64::from(u32::MAX));
        // A group with no roles can never be filled; one needing nobody is met.
        let p = ApprovalPolicy {
            required: 1,
            groups: vec![group(0, &[])],
        };
        assert!(evaluate(&p, &subject(), &[approve(3, &[])]).satisfied);
    }

    fn form(required: &str, groups: &[(&str, &str)]) -> Result<ApprovalPolicy, FieldErrors> {
        let groups: Vec<(String, String)> = groups
            .iter()
            .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
            .collect();
        ApprovalPolicy::from_form(required, &groups)
    }

    #[test]
    fn forms_parse_numbers_and_role_names() {
        assert_eq!(
            form(" 2 ", &[("1", "tech_lead"), ("1", "Product owner, sre")]),
            Ok(production())
        );
        // Spare rows are skipped; duplicate roles are kept once.
        assert_eq!(
            form(
                "2",
                &[
                    ("", ""),
                    ("1", "tech-lead"),
                    ("1", " , "),
                    ("1", "product_owner, sre, SRE")
                ]
            ),
            Ok(production())
        );
        assert_eq!(form("0", &[]), Ok(plain(0)));
    }

    #[test]
    fn forms_report_bad_numbers() {
        let errors = form("", &[]).unwrap_err();
        assert_eq!(
            errors.get("required"),
            Some("Number of approvals is required.")
        );
        let errors = form("two", &[("-1", "sre"), ("", "sre")]).unwrap_err();
        assert_eq!(
            errors.get("required"),
            Some("Number of approvals must be a whole number, like 2.")
        );
        assert_eq!(
            errors.get("groups[0].at_least"),
            Some("Number of people must be a whole number, like 2.")
        );
        assert_eq!(
            errors.get("groups[1].at_least"),
            Some("Number of people is required.")
        );
        let errors = form("1", &[("0", "sre")]).unwrap_err();
        assert!(errors.get("groups[0].at_least").is_some());
        let errors = form("21", &[]).unwrap_err();
        assert!(errors.get("required").is_some());
    }

    #[test]
    fn forms_report_unknown_roles_with_the_known_ones() {
        let errors = form("2", &[("1", "tech_lead"), ("1", "wizard, sre")]).unwrap_err();
        let message = errors.get("groups[1].roles").unwrap();
        assert!(
            message.starts_with("Unknown role \"wizard\". Known roles: admin, "),
            "{message}"
        );
        assert!(message.contains("product_owner"));
        assert!(errors.get("groups[0].roles").is_none());
        // The total is not checked while a row is unreadable.
        assert!(errors.get("required").is_none());

        let errors = form("1", &[("1", "wizard, elf")]).unwrap_err();
        assert!(errors
            .get("groups[0].roles")
            .unwrap()
            .starts_with("Unknown roles \"wizard\", \"elf\"."));
    }

    #[test]
    fn forms_check_the_total_by_row() {
        let errors = form("1", &[("1", "tech_lead"), ("", ""), ("1", "sre")]).unwrap_err();
        assert_eq!(
            errors.get("required"),
            Some("The groups need 2 people but only 1 approval is required; require at least 2.")
        );
        let errors = form("3", &[("1", "tech_lead"), ("", ""), ("0", "sre")]).unwrap_err();
        assert!(errors.get("groups[2].at_least").is_some());
    }

    #[test]
    fn policies_round_trip_through_json() {
        let json = serde_json::to_string(&production()).unwrap();
        assert_eq!(
            json,
            r#"{"required":2,"groups":[{"at_least":1,"any_of":["tech_lead"]},{"at_least":1,"any_of":["product_owner","sre"]}]}"#
        );
        let back: ApprovalPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, production());
        let bare: ApprovalPolicy = serde_json::from_str(r#"{"required":1}"#).unwrap();
        assert_eq!(bare, ApprovalPolicy::default());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const POOL: [Role; 4] = [
            Role::TechLead,
            Role::ProductOwner,
            Role::Sre,
            Role::Engineer,
        ];

        fn any_roles() -> impl Strategy<Value = Vec<Role>> {
            proptest::sample::subsequence(POOL.to_vec(), 0..=3)
        }

        fn any_policy() -> impl Strategy<Value = ApprovalPolicy> {
            (
                0u32..5,
                proptest::collection::vec(
                    (1u32..3, proptest::sample::subsequence(POOL.to_vec(), 1..=2)),
                    0..3,
                ),
            )
                .prop_map(|(required, groups)| ApprovalPolicy {
                    required,
                    groups: groups
                        .into_iter()
                        .map(|(at_least, any_of)| RoleGroup { at_least, any_of })
                        .collect(),
                })
        }

        fn any_approval() -> impl Strategy<Value = Approval> {
            (1i64..8, any_roles(), 0u8..10, any::<bool>(), 4i64..=5).prop_map(
                |(user, roles, decision, current, revision)| Approval {
                    // Mostly approvals: rejections end every evaluation.
                    decision: if decision == 0 {
                        Decision::Reject
                    } else {
                        Decision::Approve
                    },
                    digest: if current { DIGEST } else { OTHER_DIGEST }.into(),
                    notes_revision: revision,
                    ..approve(user, &roles)
                },
            )
        }

        fn any_subject() -> impl Strategy<Value = Subject> {
            any::<bool>().prop_map(|with_creator| Subject {
                artifact_creator: with_creator.then_some(CREATOR),
                ..subject()
            })
        }

        /// Whether the groups can be filled by these people, each filling at
        /// most one slot, by trying every assignment.
        fn fillable(groups: &[RoleGroup], people: &[Vec<Role>]) -> bool {
            let slots: Vec<&RoleGroup> = groups
                .iter()
                .flat_map(|g| std::iter::repeat_n(g, g.at_least as usize))
                .collect();
            fn go(slots: &[&RoleGroup], people: &[Vec<Role>], used: &mut Vec<bool>) -> bool {
                let Some((slot, rest)) = slots.split_first() else {
                    return true;
                };
                for (i, roles) in people.iter().enumerate() {
                    if !used[i] && slot.admits(roles) {
                        used[i] = true;
                        let ok = go(rest, people, used);
                        used[i] = false;
                        if ok {
                            return true;
                        }
                    }
                }
                false
            }
            go(&slots, people, &mut vec![false; people.len()])
        }

        proptest! {
            #[test]
            fn a_new_eligible_approver_never_undoes_satisfaction(
                policy in any_policy(),
                subject in any_subject(),
                approvals in proptest::collection::vec(any_approval(), 0..8),
                roles in any_roles(),
            ) {
                let before = evaluate(&policy, &subject, &approvals);
                let mut more = approvals.clone();
                more.push(approve(100, &roles));
                let after = evaluate(&policy, &subject, &more);
                if before.satisfied {
                    prop_assert!(after.satisfied, "{:?} then {:?}", before, after);
                }
                prop_assert_eq!(after.counted.len(), before.counted.len() + 1);
            }

            #[test]
            fn satisfied_means_enough_distinct_eligible_people(
                policy in any_policy(),
                subject in any_subject(),
                approvals in proptest::collection::vec(any_approval(), 0..8),
            ) {
                let e = evaluate(&policy, &subject, &approvals);
                let mut distinct = e.counted.clone();
                distinct.sort();
                distinct.dedup();
                prop_assert_eq!(distinct.len(), e.counted.len());
                prop_assert!(!e.counted.contains(&subject.author));
                prop_assert!(subject.artifact_creator.is_none_or(|c| !e.counted.contains(&c)));
                if e.satisfied {
                    prop_assert!(e.counted.len() >= policy.required as usize);
                    prop_assert!(e.rejected_by.is_empty());
                }
                prop_assert_eq!(e.satisfied, e.rejected_by.is_empty() && e.missing.is_empty());
            }

            #[test]
            fn the_matching_agrees_with_trying_every_assignment(
                policy in any_policy(),
                subject in any_subject(),
                approvals in proptest::collection::vec(any_approval(), 0..8),
            ) {
                let e = evaluate(&policy, &subject, &approvals);
                let latest = |user: UserId| approvals.iter().rev().find(|a| a.user == user);
                let people: Vec<Vec<Role>> = e
                    .counted
                    .iter()
                    .filter_map(|u| latest(*u))
                    .map(|a| a.roles.clone())
                    .collect();
                let expected = e.rejected_by.is_empty()
                    && people.len() >= policy.required as usize
                    && fillable(&policy.groups, &people);
                prop_assert_eq!(e.satisfied, expected, "{:?}", e);
            }

            #[test]
            fn every_latest_decision_is_accounted_for_once(
                policy in any_policy(),
                subject in any_subject(),
                approvals in proptest::collection::vec(any_approval(), 0..8),
            ) {
                let e = evaluate(&policy, &subject, &approvals);
                let mut users: Vec<UserId> = approvals.iter().map(|a| a.user).collect();
                users.sort();
                users.dedup();
                let mut seen: Vec<UserId> = e.counted.iter().copied()
                    .chain(e.rejected_by.iter().map(|r| r.0))
                    .chain(e.voided.iter().map(|v| v.0))
                    .chain(e.ineligible.iter().map(|i| i.0))
                    .collect();
                seen.sort();
                prop_assert_eq!(seen, users);
            }
        }
    }

    #[test]
    fn decisions_round_trip_through_their_stored_text() {
        for d in Decision::ALL {
            assert_eq!(d.as_str().parse::<Decision>(), Ok(d));
            assert_eq!(Decision::try_from(d.as_str().to_owned()), Ok(d));
        }
        assert!(Decision::parse("maybe").is_none());
        assert_eq!(Decision::Approve.past_tense(), "approved");
        assert_eq!(Decision::Reject.noun(), "rejection");
    }
}
