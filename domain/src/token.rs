//! API tokens: what a token may do, for which projects, and for how long.
//!
//! A token never has more rights than its source. A *personal* token acts as
//! its owner, limited further by its scopes and projects (so a token whose
//! owner loses a role loses it too). A *service* token belongs to a project
//! (for CI): its scopes on that project are all it has.
//!
//! The secret itself (`slw_` and 64 hex digits, 256 random bits) is generated
//! and hashed in `services`; here is only its shape.

use crate::{Permission, ProjectId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the secret of every token starts with, so secret scanners and people
/// recognise one.
pub const TOKEN_PREFIX: &str = "slw_";

/// Whether a string has the shape of a token (a cheap check before any
/// lookup; says nothing about whether it exists).
pub fn looks_like_token(s: &str) -> bool {
    s.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whose rights a token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Acts as the person who created it, within its scopes.
    Personal,
    /// Owned by one project, for CI; acts as itself.
    Service,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal",
            TokenKind::Service => "service",
        }
    }
}

impl FromStr for TokenKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "personal" => Ok(TokenKind::Personal),
            "service" => Ok(TokenKind::Service),
            other => Err(format!("unknown token kind \"{other}\"")),
        }
    }
}

impl TryFrom<String> for TokenKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// An action a token may be allowed to take. Reading is always allowed (a
/// token that could not read what it changed would be of no use); every
/// other scope is given explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TokenScope {
    /// Read projects, environments, releases, decisions, evidence and
    /// checklists.
    Read,
    /// Create releases, change their artifact, submit them for sign-off,
    /// abandon them, tick checklist items.
    WriteReleases,
    /// Record evidence (test results, scans) on releases.
    WriteEvidence,
    /// Ask for promotion to an environment (the gate still decides).
    Promote,
    /// Read the audit log.
    ReadAudit,
    /// Roll an environment back to its last verified version, run its
    /// checks again.
    Rollback,
    /// Edit environments' configuration and the drift rules.
    WriteConfig,
}

impl TokenScope {
    pub const ALL: [TokenScope; 7] = [
        TokenScope::Read,
        TokenScope::WriteReleases,
        TokenScope::WriteEvidence,
        TokenScope::Promote,
        TokenScope::ReadAudit,
        TokenScope::Rollback,
        TokenScope::WriteConfig,
    ];

    /// The identifier in the API, the CLI and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::WriteReleases => "releases:write",
            TokenScope::WriteEvidence => "evidence:write",
            TokenScope::Promote => "promote",
            TokenScope::ReadAudit => "audit:read",
            TokenScope::Rollback => "rollback",
            TokenScope::WriteConfig => "config:write",
        }
    }

    /// For the pages: what a person ticks.
    pub fn label(self) -> &'static str {
        match self {
            TokenScope::Read => "Read projects and releases",
            TokenScope::WriteReleases => "Create and manage releases",
            TokenScope::WriteEvidence => "Record evidence",
            TokenScope::Promote => "Request promotion",
            TokenScope::ReadAudit => "Read the audit log",
            TokenScope::Rollback => "Roll back and re-run checks",
            TokenScope::WriteConfig => "Edit environment configuration",
        }
    }

    /// The permissions this scope lets the token use (if its source has
    /// them). Creating a release from a ref drafts its notes too.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            TokenScope::Read => &[Permission::ViewProject],
            TokenScope::WriteReleases => &[Permission::ManageReleases, Permission::EditNotes],
            TokenScope::WriteEvidence => &[Permission::RecordEvidence],
            TokenScope::Promote => &[Permission::PromoteReleases],
            TokenScope::ReadAudit => &[Permission::ViewAudit],
            TokenScope::Rollback => &[Permission::RollBack],
            TokenScope::WriteConfig => &[Permission::EditConfiguration],
        }
    }

    /// Parses a comma- or space-separated list (`read,releases:write`);
    /// `read` is added when missing. An empty list is `read` alone.
    pub fn parse_list(s: &str) -> Result<Vec<TokenScope>, String> {
        let mut scopes = vec![TokenScope::Read];
        for part in s.split([',', ' ']).map(str::trim).filter(|p| !p.is_empty()) {
            scopes.push(part.parse()?);
        }
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }

    /// The stored and displayed form of a list: `read,promote`.
    pub fn join(scopes: &[TokenScope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        TokenScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown scope \"{}\" (known: {})",
                    s.trim(),
                    TokenScope::join(&TokenScope::ALL)
                )
            })
    }
}

/// What limits a principal that authenticated with a token (carried on
/// [`crate::Principal`], so every permission check applies it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLimits {
    pub kind: TokenKind,
    /// The projects it may touch; `None` for every project its source can
    /// reach. A service token names exactly its own project.
    pub projects: Option<Vec<ProjectId>>,
    /// Sorted; always holds `Read`.
    pub scopes: Vec<TokenScope>,
}

impl TokenLimits {
    /// Whether the token's scopes and projects allow `permission` on
    /// `project` (the source's own rights are checked separately).
    pub fn allow(&self, permission: Permission, project: Option<ProjectId>) -> bool {
        let scoped = self
            .scopes
            .iter()
            .any(|s| s.permissions().contains(&permission));
        let in_projects = match (&self.projects, project) {
            (None, _) => true,
            (Some(ids), Some(p)) => ids.contains(&p),
            // A token limited to some projects never acts installation-wide.
            (Some(_), None) => false,
        };
        scoped && in_projects
    }
}

/// How long a new token lives: `30d`, `12h`, `2w` (or a bare number of
/// days), at least one hour and at most `max_days`.
pub fn parse_lifetime(s: &str, max_days: u32) -> Result<u64, String> {
    let s = s.trim().to_ascii_lowercase();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s.as_str(), "d"),
    };
    let unit_seconds: u64 = match unit.trim() {
        "h" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        _ => {
            return Err(format!(
                "\"{s}\" is not a lifetime: write a number with h, d or w (30d, 12h, 2w)"
            ))
        }
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("\"{s}\" is not a lifetime: write a number with h, d or w"))?;
    let seconds = n.saturating_mul(unit_seconds);
    if seconds < 3_600 {
        return Err("a token must live at least one hour".into());
    }
    if seconds > u64::from(max_days) * 86_400 {
        return Err(format!(
            "a token may live at most {max_days} days on this installation"
        ));
    }
    Ok(seconds)
}

/// Default lifetime of a new token.
pub const DEFAULT_LIFETIME_DAYS: u32 = 90;

/// A token's name: what it is for ("GitHub Actions deploy"), 1–80 characters.
pub fn parse_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("give the token a name that says what it is for".into());
    }
    if name.chars().count() > 80 {
        return Err("a token's name is at most 80 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("a token's name cannot contain control characters".into());
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_a_recognisable_shape() {
        let hex = "a".repeat(64);
        assert!(looks_like_token(&format!("slw_{hex}")));
        assert!(!looks_like_token(&hex));
        assert!(!looks_like_token(&format!("slw_{}", "g".repeat(64))));
        assert!(!looks_like_token(&format!("slw_{}", "a".repeat(63))));
        assert!(!looks_like_token(""));
    }

    #[test]
    fn scopes_parse_round_trip_and_always_include_read() {
        assert_eq!(TokenScope::parse_list(""), Ok(vec![TokenScope::Read]));
        assert_eq!(
            TokenScope::parse_list("promote, releases:write promote"),
            Ok(vec![
                TokenScope::Read,
                TokenScope::WriteReleases,
                TokenScope::Promote
            ])
        );
        for s in TokenScope::ALL {
            assert_eq!(s.as_str().parse::<TokenScope>(), Ok(s));
        }
        let err = TokenScope::parse_list("read,deploy-everything").err();
        assert!(err.is_some_and(|e| e.contains("deploy-everything") && e.contains("promote")));
        assert_eq!(
            TokenScope::join(&[TokenScope::Read, TokenScope::Promote]),
            "read,promote"
        );
    }

    #[test]
    fn limits_need_both_scope_and_project() {
        let limits = TokenLimits {
            kind: TokenKind::Service,
            projects: Some(vec![ProjectId(1)]),
            scopes: vec![TokenScope::Read, TokenScope::WriteEvidence],
        };
        assert!(limits.allow(Permission::ViewProject, Some(ProjectId(1))));
        assert!(limits.allow(Permission::RecordEvidence, Some(ProjectId(1))));
        assert!(!limits.allow(Permission::RecordEvidence, Some(ProjectId(2))));
        assert!(!limits.allow(Permission::PromoteReleases, Some(ProjectId(1))));
        assert!(!limits.allow(Permission::ViewProject, None));
        // Tokens never sign off, break glass or administer.
        for p in [
            Permission::ApproveReleases,
            Permission::BreakGlass,
            Permission::ManageUsers,
            Permission::EditProject,
        ] {
            assert!(!limits.allow(p, Some(ProjectId(1))));
        }
        let everywhere = TokenLimits {
            projects: None,
            ..limits
        };
        assert!(everywhere.allow(Permission::ViewProject, None));
        assert!(everywhere.allow(Permission::RecordEvidence, Some(ProjectId(9))));
    }

    #[test]
    fn lifetimes_parse_with_units_and_bounds() {
        assert_eq!(parse_lifetime("30d", 365), Ok(30 * 86_400));
        assert_eq!(parse_lifetime("12h", 365), Ok(12 * 3_600));
        assert_eq!(parse_lifetime("2w", 365), Ok(14 * 86_400));
        assert_eq!(parse_lifetime("7", 365), Ok(7 * 86_400));
        assert_eq!(parse_lifetime(" 90 days ", 365), Ok(90 * 86_400));
        assert!(parse_lifetime("0d", 365).is_err());
        assert!(parse_lifetime("30m", 365).is_err());
        assert!(parse_lifetime("400d", 365).is_err_and(|e| e.contains("365")));
        assert!(parse_lifetime("d", 365).is_err());
        assert!(parse_lifetime("99999999999999999999d", 365).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  CI deploy "), Ok("CI deploy".into()));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(81)).is_err());
        assert!(parse_name("a\nb").is_err());
    }
}
