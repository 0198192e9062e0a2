//! Evidence about a release's artifact (test reports, dry-runs, smoke
//! tests): what people or CI may record, checked before it is stored.

use crate::checklist::is_evidence_kind;
use crate::FieldErrors;
use serde::{Deserialize, Serialize};

/// What a piece of evidence says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Ticks the checklist items that wait for its kind.
    Passed,
    Failed,
    /// For information only.
    Info,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Passed, Outcome::Failed, Outcome::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Info => "info",
        }
    }
}

/// Checked evidence, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceDraft {
    /// A slug such as `smoke-tests`.
    pub kind: String,
    pub outcome: Outcome,
    pub summary: String,
    /// http(s) only.
    pub url: Option<String>,
}

impl EvidenceDraft {
    /// Parses the form (or API) fields; every problem is named by its field.
    pub fn parse(kind: &str, outcome: &str, summary: &str, url: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = kind.trim().to_ascii_lowercase();
        if !is_evidence_kind(&kind) {
            errors.push(
                "kind",
                "Name the kind of evidence in lower case with dashes, e.g. smoke-tests or qa-report.",
            );
        }
        let outcome = Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == outcome.trim());
        if outcome.is_none() {
            errors.push("outcome", "Choose passed, failed or info.");
        }
        let summary = summary.trim().to_owned();
        if summary.is_empty() || summary.chars().count() > 500 {
            errors.push(
                "summary",
                "Say in a sentence what it shows, e.g. \"42 smoke tests passed in staging\" (at most 500 characters).",
            );
        }
        let url = url.trim();
        let url = if url.is_empty() {
            None
        } else if (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "https://".len()
            && url.len() <= 2000
            && !url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            Some(url.to_owned())
        } else {
            errors.push(
                "url",
                "Give a link starting with https:// (or http://) to the report, or leave it empty.",
            );
            None
        };
        match outcome {
            Some(outcome) if errors.is_empty() => Ok(Self {
                kind,
                outcome,
                summary,
                url,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: Result<EvidenceDraft, FieldErrors>) -> Vec<String> {
        match r {
            Err(e) => e.0.into_iter().map(|f| f.field).collect(),
            Ok(d) => panic!("expected field errors, got {d:?}"),
        }
    }

    #[test]
    fn good_evidence_is_normalised() {
        let d = EvidenceDraft::parse(
            " Smoke-Tests ",
            "passed",
            " 42 passed ",
            "https://ci.example.com/1",
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            d,
            EvidenceDraft {
                kind: "smoke-tests".into(),
                outcome: Outcome::Passed,
                summary: "42 passed".into(),
                url: Some("https://ci.example.com/1".into()),
            }
        );
        for o in Outcome::ALL {
            assert_eq!(
                EvidenceDraft::parse("qa", o.as_str(), "x", "").map(|d| d.outcome),
                Ok(o)
            );
        }
    }

    #[test]
    fn bad_evidence_names_every_field() {
        assert_eq!(
            fields(EvidenceDraft::parse(
                "smoke tests",
                "green",
                "",
                "javascript:alert(1)"
            )),
            ["kind", "outcome", "summary", "url"]
        );
        assert_eq!(
            fields(EvidenceDraft::parse("qa", "info", &"x".repeat(501), "")),
            ["summary"]
        );
        assert_eq!(
            fields(EvidenceDraft::parse("qa", "info", "x", "https://")),
            ["url"]
        );
        assert_eq!(
            fields(EvidenceDraft::parse("qa", "info", "x", "https://a b")),
            ["url"]
        );
        assert_eq!(
            fields(EvidenceDraft::parse("qa", "PASSED", "x", "")),
            ["outcome"]
        );
    }
}
