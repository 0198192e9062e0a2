//! Differential test: Slipway's Conventional Commits parser against the
//! reference parser, `conventional-commits-parser` (npm) with the options of
//! the Conventional Commits preset that conventional-changelog and
//! conventional-recommended-bump use (`end2end/reference/parse-commits.mjs`).
//!
//! The corpus: every message in `tests/fixtures/real-world-commits.txt`
//! (shapes large projects actually write), and 2,400 messages generated
//! property-style from a fixed seed: random headers, bodies, code blocks,
//! footers, trailers and reverts, with LF or CRLF and trailing whitespace.
//!
//! On type, scope, breaking and revert the two must agree for every message,
//! except where an entry of [`KNOWN`] explains the difference — each one a
//! place where the reference parser departs from the specification (or
//! Slipway reads a shape the reference does not know). Any other
//! disagreement fails the test, with the message.
//!
//! Needs Node.js and `npm ci` in `end2end/` (./scripts/test.sh does both).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::Deserialize;
use slipway_domain::conventional::parse;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct Reading {
    #[serde(rename = "type")]
    kind: Option<String>,
    scope: Option<String>,
    breaking: bool,
    revert: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Type,
    Scope,
    Breaking,
    Revert,
}

/// A known, explained difference: for messages where `applies` holds, the
/// listed fields may disagree.
struct Known {
    name: &'static str,
    reason: &'static str,
    fields: &'static [Field],
    applies: fn(&str) -> bool,
}

const KNOWN: &[Known] = &[
    Known {
        name: "type with characters other than letters, digits and _",
        reason: "The reference reads the type as \\w* (no '-'), so `build-ci: x` has no type there; the specification only asks for a noun, and Slipway accepts [A-Za-z0-9_-].",
        fields: &[Field::Type, Field::Scope, Field::Breaking],
        applies: |m| {
            let subject = subject(m);
            let head = subject.split(['(', '!', ':']).next().unwrap_or("");
            head.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '_'))
        },
    },
    Known {
        name: "type that starts with a digit",
        reason: "The reference's \\w* also reads `1fix` as a type; a type is a noun, and Slipway asks for a letter first.",
        fields: &[Field::Type, Field::Scope, Field::Breaking],
        applies: |m| subject(m).starts_with(|c: char| c.is_ascii_digit()),
    },
    Known {
        name: "empty scope or empty description",
        reason: "The reference accepts `feat(): x` and `feat: ` (its patterns allow empty groups); the specification requires a noun in the parentheses and a description, and Slipway lists such commits as non-conforming.",
        fields: &[Field::Type, Field::Scope, Field::Breaking],
        applies: |m| {
            let subject = subject(m);
            subject.split(':').next().unwrap_or("").contains("()") || subject.trim_end().ends_with(':')
        },
    },
    Known {
        name: "parentheses inside the scope",
        reason: "The reference's scope is `(.*)`, greedy, so `feat(a)(b): x` has the scope `a)(b`; Slipway refuses a scope with parentheses in it.",
        fields: &[Field::Type, Field::Scope, Field::Breaking],
        applies: |m| {
            let subject = subject(m);
            match (subject.find('('), subject.find(':')) {
                (Some(open), Some(colon)) if open < colon => subject[open + 1..colon].matches(['(', ')']).count() > 1,
                _ => false,
            }
        },
    },
    Known {
        name: "loose breaking-change keyword",
        reason: "The reference finds `breaking change` case-insensitively, after spaces, `*` or `|`, and followed by a space instead of a colon; the specification's token is the uppercase `BREAKING CHANGE` (or `BREAKING-CHANGE`) followed by `:` at the start of a footer.",
        fields: &[Field::Breaking],
        applies: |m| body_lines(m).iter().any(|l| reference_note(l) && !spec_footer(l)),
    },
    Known {
        name: "BREAKING CHANGE inside a fenced code block",
        reason: "A code block that shows an example commit is not a footer; the reference does not know code blocks.",
        fields: &[Field::Breaking],
        applies: |m| {
            let mut fenced = false;
            body_lines(m).iter().any(|l| {
                let t = l.trim_start();
                if t.starts_with("```") || t.starts_with("~~~") {
                    fenced = !fenced;
                }
                fenced && reference_note(l)
            })
        },
    },
    Known {
        name: "revert without git's `This reverts commit <sha>.` line",
        reason: "The reference calls a commit a revert only with that line (GitHub's squash-merged reverts say `Reverts owner/repo#123` instead); Slipway also reads the subject: `Revert \"…\"` (with GitHub's `(#123)` and `…`) and `revert:`.",
        fields: &[Field::Revert],
        applies: |m| !reverts_line(m),
    },
    Known {
        name: "`revert(scope):` and `Reapply \"…\"`",
        reason: "The reference's revert pattern knows `Revert` and `revert:` only; a scoped `revert(x):` is a revert by its type, and `Reapply \"…\"` reverts a revert.",
        fields: &[Field::Revert],
        applies: |m| {
            let s = subject(m);
            s.starts_with("Reapply \"") || s.to_ascii_lowercase().starts_with("revert(")
        },
    },
];

fn lines(m: &str) -> Vec<&str> {
    m.lines().map(|l| l.trim_end_matches('\r')).collect()
}

fn subject(m: &str) -> String {
    lines(m.trim_start_matches(['\n', '\r']))
        .first()
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn body_lines(m: &str) -> Vec<String> {
    lines(m.trim_start_matches(['\n', '\r']))
        .into_iter()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// The reference's note pattern: `^[\s|*]*(BREAKING CHANGE|BREAKING-CHANGE)[:\s]+(.*)`, case-insensitive.
fn reference_note(line: &str) -> bool {
    let rest = line.trim_start_matches(|c: char| c.is_whitespace() || c == '|' || c == '*');
    let upper = rest.to_ascii_uppercase();
    ["BREAKING CHANGE", "BREAKING-CHANGE"].iter().any(|k| {
        upper.starts_with(k)
            && upper[k.len()..].starts_with(|c: char| c == ':' || c.is_whitespace())
    })
}

/// The specification's footer: the uppercase token at the start of the line, then `:`.
fn spec_footer(line: &str) -> bool {
    let line = line.trim_end();
    ["BREAKING CHANGE", "BREAKING-CHANGE"].iter().any(|k| {
        line.strip_prefix(k)
            .is_some_and(|r| r == ":" || r.starts_with(": "))
    })
}

/// The reference's revert pattern needs `This reverts commit <word>.`.
fn reverts_line(m: &str) -> bool {
    m.split("This reverts commit ").skip(1).any(|rest| {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        rest[word.len()..].starts_with('.')
    })
}

fn slipway(m: &str) -> Reading {
    let c = parse(m);
    Reading {
        kind: c.header.as_ref().map(|h| h.kind.clone()),
        scope: c.header.as_ref().and_then(|h| h.scope.clone()),
        breaking: c.is_breaking(),
        revert: c.revert.is_some(),
    }
}

fn reference(messages: &[String]) -> Vec<Reading> {
    let end2end = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end");
    assert!(
        end2end
            .join("node_modules/conventional-commits-parser")
            .is_dir(),
        "the reference parser is not installed: run `npm ci` in end2end/ (./scripts/test.sh does)"
    );
    let mut child = Command::new("node")
        .arg("reference/parse-commits.mjs")
        .current_dir(&end2end)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node (Node.js) must be installed for this test");
    let input = serde_json::to_vec(messages).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "the reference parser failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn fixtures() -> Vec<String> {
    let text = include_str!("fixtures/real-world-commits.txt");
    text.split("\n%%%%\n")
        .skip(1) // the header comment
        .map(|m| m.trim_end_matches("%%%%").to_owned())
        .filter(|m| !m.trim().is_empty())
        .collect()
}

/// Messages built from the pieces real histories are made of.
fn message() -> impl Strategy<Value = String> {
    let kind = prop_oneof![
        6 => prop::sample::select(vec!["feat", "fix", "perf", "docs", "chore", "refactor", "test", "build", "ci", "revert"]),
        1 => prop::sample::select(vec!["Feat", "FIX", "build-ci", "deps_dev", "1fix", "feat "]),
    ];
    let scope = prop_oneof![
        4 => Just(String::new()),
        4 => prop::sample::select(vec!["(api)", "(ui-kit)", "(@scope/pkg)", "(a b)", "(deps)"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["()", "(a)(b)", "(x"]).prop_map(str::to_owned),
    ];
    let bang = prop::bool::weighted(0.15);
    let sep = prop_oneof![8 => Just(": "), 1 => Just(":"), 1 => Just(" : ")];
    let description = prop::sample::select(vec![
        "add a thing",
        "handle `code` in names (#123)",
        "café ☕ — unicode",
        "",
        "support `--flag`: with a colon",
        "update dependency x to v2 (#4567)",
    ]);
    let header = (kind, scope, bang, sep, description)
        .prop_map(|(k, s, b, sep, d)| format!("{k}{s}{}{sep}{d}", if b { "!" } else { "" }));
    let revert_subject = prop_oneof![
        Just("fix(deps): update dependency yargs to v17".to_owned()),
        Just("feat: a feature that is going away".to_owned()),
    ];
    let revert = (revert_subject, 0..6usize).prop_map(|(inner, style)| match style {
        0 => format!("Revert \"{inner}\""),
        1 => format!("Revert \"{inner}\" (#2534)"),
        2 => format!("Revert \"{}…\" (#13406)", &inner[..20]),
        3 => format!("Reapply \"{inner}\""),
        4 => format!("revert: {inner}"),
        _ => format!("Revert {inner}"),
    });
    let subject = prop_oneof![6 => header, 2 => revert, 1 => Just("Update README.md".to_owned())];
    let paragraph = prop::sample::select(vec![
        "Some explanation of the change.",
        "Line one of a paragraph.\nLine two of it.",
        "* bullet one\n* bullet two",
        "- first\n- second",
        "Note: prose that looks like a footer.",
        "See https://example.com/docs#section for details.",
        "    indented code line",
        "```\nBREAKING CHANGE: shown in a code block\n```",
        "```yaml\nrun: npx tool --ci\nkey: value\n```",
        "---",
        "This reverts commit 0123456789abcdef0123456789abcdef01234567.",
        "Reverts owner/repo#2530",
        "Mentions BREAKING CHANGE: mid-sentence, as prose.",
        "| a | b |\n|---|---|\n| 1 | 2 |",
    ]);
    let footer = prop::sample::select(vec![
        "BREAKING CHANGE: the `--travis` option is removed.",
        "BREAKING-CHANGE: renamed `port` to `addr`",
        "BREAKING CHANGE:\n  described on the next line",
        "Refs: #12",
        "Closes #34",
        "Fixes: #56",
        "Signed-off-by: Ada <ada@example.com>",
        "Co-authored-by: Bo <bo@example.com>",
        "Reviewed-by: Cy",
        "breaking change: lower case is not the token",
        "  BREAKING CHANGE: indented",
        "* BREAKING CHANGE: in a bullet",
        "BREAKING CHANGE without a colon",
        "BREAKING CHANGES: plural is not the token",
    ]);
    let after = prop::sample::select(vec![
        "",
        "Migration: replace `--travis` with `--ci`.",
        "```yaml\nrun: npx tool --ci\n```",
        "More notes after the footer.",
    ]);
    (
        subject,
        prop::collection::vec(paragraph, 0..3),
        prop::collection::vec(footer, 0..3),
        prop::collection::vec(after, 0..3),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(subject, body, footers, after, crlf, trailing, no_blank)| {
                let mut parts = vec![subject];
                parts.extend(body.iter().map(|p| (*p).to_owned()));
                if !footers.is_empty() {
                    let block = footers.join("\n");
                    if no_blank && parts.len() > 1 {
                        let last = parts.pop().unwrap_or_default();
                        parts.push(format!("{last}\n{block}"));
                    } else {
                        parts.push(block);
                    }
                }
                parts.extend(
                    after
                        .iter()
                        .filter(|a| !a.is_empty())
                        .map(|a| (*a).to_owned()),
                );
                let mut m = parts.join("\n\n");
                if trailing {
                    m = m
                        .lines()
                        .map(|l| format!("{l}  "))
                        .collect::<Vec<_>>()
                        .join("\n");
                }
                if crlf {
                    m = m.replace('\n', "\r\n");
                }
                m
            },
        )
}

fn generated(n: usize) -> Vec<String> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = message();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[test]
fn slipway_agrees_with_the_reference_parser_except_where_the_table_says_why() {
    let mut corpus = fixtures();
    let real = corpus.len();
    assert!(real >= 50, "{real} real-world fixtures");
    corpus.extend(generated(2_400));
    let theirs = reference(&corpus);
    assert_eq!(theirs.len(), corpus.len());

    let mut explained = vec![0usize; KNOWN.len()];
    let mut failures = Vec::new();
    for (m, reference) in corpus.iter().zip(&theirs) {
        let ours = slipway(m);
        let mut differs = Vec::new();
        if ours.kind.as_deref().map(str::to_ascii_lowercase)
            != reference.kind.as_deref().map(str::to_ascii_lowercase)
        {
            differs.push(Field::Type);
        }
        let norm = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        if norm(&ours.scope) != norm(&reference.scope) {
            differs.push(Field::Scope);
        }
        if ours.breaking != reference.breaking {
            differs.push(Field::Breaking);
        }
        if ours.revert != reference.revert {
            differs.push(Field::Revert);
        }
        for field in differs {
            match KNOWN.iter().position(|k| k.fields.contains(&field) && (k.applies)(m)) {
                Some(i) => explained[i] += 1,
                None => failures.push(format!(
                    "{field:?} differs, unexplained:\n  slipway:   {ours:?}\n  reference: {reference:?}\n  message: {m:?}"
                )),
            }
        }
    }
    for (k, n) in KNOWN.iter().zip(&explained) {
        eprintln!("{n:>5} × {}: {}", k.name, k.reason);
    }
    // Every entry explains something: the table lists real differences only.
    for (k, n) in KNOWN.iter().zip(&explained) {
        assert!(
            *n > 0,
            "the known difference \"{}\" never occurs: remove it",
            k.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} unexplained disagreements in {} messages ({real} real-world):\n{}",
        failures.len(),
        corpus.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The messages the issue quotes, through the version engine: the major or
/// patch the maintainers cut.
#[test]
fn the_shapes_that_were_missed_propose_what_the_maintainers_cut() {
    use slipway_domain::version::{Bump, RangeCommit, VersionPolicy};
    let p = VersionPolicy::default();
    let one = |id: &str, m: &str| RangeCommit {
        id: id.to_owned(),
        message: parse(m),
    };
    let a = p.analyze(&[one(
        "a1b2c3d4",
        "feat: make the CLI platform-agnostic\n\nBREAKING CHANGE: the `--travis` option is removed.\n\nMigration: replace `--travis` with `--ci` in your pipeline.\n\n```yaml\nrun: npx tool --ci\n```\n",
    )]);
    assert_eq!(a.bump, Bump::Major);
    let a = p.analyze(&[one(
        "e5f6a7b8",
        "Revert \"fix(deps): update dependency yargs to v17\" (#2534)",
    )]);
    assert_eq!(a.bump, Bump::Patch);
}
