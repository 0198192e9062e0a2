//! Commit messages under Conventional Commits 1.0.
//!
//! `parse` never fails: a message that does not follow the specification is
//! kept (so release notes never drop a commit) with `problem` saying why, so a
//! person can classify it. Reverts are recognised in both spellings:
//! `revert: <header>` and git's own `Revert "<subject>"`.

use serde::{Deserialize, Serialize};

/// `type(scope)!: description`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The type, lower-cased (`feat`, `fix`, ...).
    pub kind: String,
    pub scope: Option<String>,
    /// The `!` marker.
    pub bang: bool,
    pub description: String,
}

/// `token: value` or `token #value` after the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footer {
    pub token: String,
    pub value: String,
}

/// An issue or pull-request reference found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reference {
    /// `#123`
    Number(u64),
    /// `JIRA-123`
    Key(String),
    /// `https://tracker.example.com/issues/7`
    Url(String),
}

/// What a revert commit reverts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revert {
    /// The reverted commit's subject (or header), when the message names it.
    /// When [`Revert::truncated`], only its beginning.
    pub subject: Option<String>,
    /// The reverted commit's id, from "This reverts commit <sha>." or `Refs:`.
    pub commit: Option<String>,
    /// GitHub shortened the quoted subject with `…`: match it by prefix.
    #[serde(default)]
    pub truncated: bool,
    /// `Reapply "…"`: this reverts a revert, so the change is back.
    #[serde(default)]
    pub reapply: bool,
}

/// A parsed commit message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitMessage {
    /// The first line, as written.
    pub subject: String,
    /// Present when the subject follows the specification.
    pub header: Option<Header>,
    /// Why the message is not a Conventional Commit (for "Other changes").
    pub problem: Option<String>,
    pub body: Option<String>,
    pub footers: Vec<Footer>,
    /// Breaking-change notes: `BREAKING CHANGE:`/`BREAKING-CHANGE:` footer
    /// values, or the description when only `!` marks the break.
    pub breaking: Vec<String>,
    /// The first line of the breaking-change footer, when a footer (not
    /// only `!`) makes the commit breaking: what explanations quote.
    #[serde(default)]
    pub breaking_footer: Option<String>,
    pub revert: Option<Revert>,
    pub references: Vec<Reference>,
}

impl CommitMessage {
    pub fn is_breaking(&self) -> bool {
        !self.breaking.is_empty()
    }

    pub fn kind(&self) -> Option<&str> {
        self.header.as_ref().map(|h| h.kind.as_str())
    }

    /// The issues this commit closes: `Closes #12` / `Fixes: JIRA-3`
    /// footers, and "this fixes #4" in the body (the words GitHub and
    /// GitLab act on: close, fix and resolve in their forms).
    pub fn closes(&self) -> Vec<Reference> {
        let closing = |word: &str| {
            CLOSING_WORDS.contains(&word.trim_end_matches(':').to_ascii_lowercase().as_str())
        };
        let mut out = Vec::new();
        for f in &self.footers {
            if closing(&f.token) {
                collect_references(&f.value, &mut out);
            }
        }
        if let Some(body) = &self.body {
            let words: Vec<&str> = body.split_whitespace().collect();
            for pair in words.windows(2) {
                if let [word, target] = pair {
                    if closing(word) {
                        collect_references(target, &mut out);
                    }
                }
            }
        }
        out
    }

    /// Trailers such as `Co-authored-by`, matched case-insensitively.
    pub fn footer_values<'a>(&'a self, token: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.footers
            .iter()
            .filter(move |f| f.token.eq_ignore_ascii_case(token))
            .map(|f| f.value.as_str())
    }
}

/// Parses a commit message. Never fails; see [`CommitMessage::problem`].
pub fn parse(message: &str) -> CommitMessage {
    let normalized = message.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<&str> = normalized.lines().map(str::trim_end).collect();
    // Surrounding blank lines carry nothing.
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let subject = lines
        .first()
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let rest: &[&str] = lines.get(1..).unwrap_or(&[]);
    let (body_lines, footers) = split_footers(rest);
    let body = {
        let text = body_lines.join("\n");
        let text = text.trim_matches('\n').to_owned();
        (!text.trim().is_empty()).then_some(text)
    };

    let (header, problem) = match parse_header(&subject) {
        Ok(h) => (Some(h), None),
        Err(p) => (None, Some(p)),
    };

    let breaking_footers: Vec<&Footer> = footers
        .iter()
        .filter(|f| is_breaking_token(&f.token))
        .collect();
    let breaking_footer = breaking_footers.first().map(|f| {
        let first = f
            .value
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        if first.is_empty() {
            format!("{}:", f.token)
        } else {
            format!("{}: {first}", f.token)
        }
    });
    let mut breaking: Vec<String> = breaking_footers
        .iter()
        .map(|f| f.value.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if breaking.is_empty() {
        // `BREAKING CHANGE:` with nothing after it still breaks; `!` too.
        let marked = !breaking_footers.is_empty() || header.as_ref().is_some_and(|h| h.bang);
        if let Some(h) = header.as_ref().filter(|_| marked) {
            breaking.push(h.description.clone());
        } else if marked {
            breaking.push(subject.clone());
        }
    }

    let revert = detect_revert(&subject, header.as_ref(), body.as_deref(), &footers);
    // A git-style revert is not a Conventional Commit, but it is understood.
    let problem = if revert.is_some() && header.is_none() {
        None
    } else {
        problem
    };

    let mut references = Vec::new();
    let description = header
        .as_ref()
        .map_or(subject.as_str(), |h| h.description.as_str());
    collect_references(description, &mut references);
    if let Some(b) = &body {
        collect_references(b, &mut references);
    }
    for f in &footers {
        collect_references(&f.value, &mut references);
    }

    CommitMessage {
        subject,
        header,
        problem,
        body,
        footers,
        breaking,
        breaking_footer,
        revert,
        references,
    }
}

fn is_breaking_token(token: &str) -> bool {
    token == "BREAKING CHANGE" || token == "BREAKING-CHANGE"
}

fn parse_header(subject: &str) -> Result<Header, String> {
    if subject.is_empty() {
        return Err("The message is empty.".into());
    }
    let type_len = subject
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        .map_or(subject.len(), |(i, _)| i);
    let kind = &subject[..type_len];
    if kind.is_empty() || !kind.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("The subject does not start with a type such as feat or fix.".into());
    }
    let mut rest = &subject[type_len..];
    let mut scope = None;
    if let Some(after) = rest.strip_prefix('(') {
        let Some(close) = after.find(')') else {
            return Err("The scope's parenthesis is not closed.".into());
        };
        let s = after[..close].trim();
        if s.is_empty() {
            return Err("The scope in parentheses is empty.".into());
        }
        if s.contains('(') {
            return Err("The scope contains a parenthesis.".into());
        }
        scope = Some(s.to_owned());
        rest = &after[close + 1..];
    }
    let bang = rest.starts_with('!');
    if bang {
        rest = &rest[1..];
    }
    let Some(description) = rest.strip_prefix(':') else {
        return Err(format!(
            "\"{kind}\" is not followed by a colon (\"{kind}: ...\")."
        ));
    };
    if description.trim().is_empty() {
        return Err("The description after the colon is empty.".into());
    }
    if !description.starts_with(' ') {
        return Err("The colon after the type must be followed by a space.".into());
    }
    let description = description.trim();
    Ok(Header {
        kind: kind.to_ascii_lowercase(),
        scope,
        bang,
        description: description.to_owned(),
    })
}

/// `Some((token, value))` when the line starts a footer.
fn footer_start(line: &str) -> Option<(String, String)> {
    for breaking in ["BREAKING CHANGE", "BREAKING-CHANGE"] {
        if let Some(rest) = line.strip_prefix(breaking) {
            if let Some(v) = rest.strip_prefix(": ") {
                return Some((breaking.to_owned(), v.to_owned()));
            }
            if rest == ":" {
                return Some((breaking.to_owned(), String::new()));
            }
        }
    }
    let token_len = line
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
        .map_or(line.len(), |(i, _)| i);
    if token_len == 0 || !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let token = &line[..token_len];
    let rest = &line[token_len..];
    if let Some(v) = rest.strip_prefix(": ") {
        return Some((token.to_owned(), v.to_owned()));
    }
    if let Some(v) = rest.strip_prefix(" #") {
        return Some((token.to_owned(), format!("#{v}")));
    }
    None
}

/// Splits the lines after the subject into body and footers, as the
/// specification reads them:
/// - The footer section starts at the first `BREAKING CHANGE:` (or
///   `BREAKING-CHANGE:`) line, wherever it is (real histories put migration
///   guides, code blocks and more paragraphs after it), but never inside a
///   fenced code block; or, without one, at the last paragraph when it is
///   made of footers, or at a trailing run of footer lines (footers written
///   without a blank line before them).
/// - In the footer section a footer's value runs on, across lines, blank
///   lines and code blocks, until the next line that starts a footer
///   (`Token: ` or `Token #`), outside code blocks.
fn split_footers<'a>(rest: &[&'a str]) -> (Vec<&'a str>, Vec<Footer>) {
    let mut fenced = false;
    let breaking_at = rest.iter().position(|line| {
        if is_fence(line) {
            fenced = !fenced;
            return false;
        }
        !fenced && footer_start(line).is_some_and(|(token, _)| is_breaking_token(&token))
    });
    let last_blank = rest.iter().rposition(|l| l.trim().is_empty());
    let para_start = last_blank.map_or(0, |i| i + 1);
    let para = &rest[para_start..];
    let trailing = if is_footer_block(para) && !fence_open_before(rest, para_start) {
        Some(para_start)
    } else {
        // The smallest j such that every line from j on starts a footer.
        let mut j = para.len();
        while j > 0 && footer_start(para[j - 1]).is_some() {
            j -= 1;
        }
        (j < para.len() && !fence_open_before(rest, para_start + j)).then_some(para_start + j)
    };
    let split = match (breaking_at, trailing) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let Some(split) = split else {
        return (rest.to_vec(), Vec::new());
    };
    let mut footers: Vec<Footer> = Vec::new();
    let mut fenced = false;
    for line in &rest[split..] {
        let fence = is_fence(line);
        let starts = if fenced || fence {
            None
        } else {
            footer_start(line)
        };
        match starts {
            Some((token, value)) => footers.push(Footer { token, value }),
            None => {
                if let Some(last) = footers.last_mut() {
                    last.value.push('\n');
                    // Code keeps its indentation; prose lines are trimmed.
                    last.value
                        .push_str(if fenced || fence { line } else { line.trim() });
                }
            }
        }
        if fence {
            fenced = !fenced;
        }
    }
    for f in &mut footers {
        let trimmed = f.value.trim_end().to_owned();
        f.value = trimmed;
    }
    (rest[..split].to_vec(), footers)
}

/// A code fence line: three or more backticks or tildes.
fn is_fence(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("```") || t.starts_with("~~~")
}

/// Whether a fenced code block is open at line `at`.
fn fence_open_before(lines: &[&str], at: usize) -> bool {
    lines[..at].iter().filter(|l| is_fence(l)).count() % 2 == 1
}

/// A paragraph of footers, as git reads trailers: every line starts a footer
/// or continues one. Continuations are indented, except after a breaking-change
/// footer, whose migration notes often run on unindented.
fn is_footer_block(para: &[&str]) -> bool {
    let mut in_breaking = false;
    for (i, line) in para.iter().enumerate() {
        match footer_start(line) {
            Some((token, _)) => in_breaking = token.starts_with("BREAKING"),
            None if i > 0 && (in_breaking || line.starts_with([' ', '\t'])) => {}
            None => return false,
        }
    }
    !para.is_empty()
}

/// `Revert "subject"` as git writes it, `Revert "subject" (#123)` as
/// GitHub's squash merge does, with the quoted subject cut short by `…` when
/// it is long, `Reapply "subject"`, and `revert: header`.
fn detect_revert(
    subject: &str,
    header: Option<&Header>,
    body: Option<&str>,
    footers: &[Footer],
) -> Option<Revert> {
    let quoted = |prefix: &str| -> Option<(String, bool)> {
        let inner = subject.strip_prefix(prefix)?;
        let inner = strip_pr_suffix(inner).unwrap_or(inner).trim_end();
        let inner = inner.strip_suffix('"')?;
        if let Some(cut) = inner
            .strip_suffix('…')
            .or_else(|| inner.strip_suffix("..."))
        {
            return Some((cut.trim_end().to_owned(), true));
        }
        Some((inner.to_owned(), false))
    };
    let says_reverts = body.is_some_and(|b| b.contains("This reverts commit "));
    let (reverted_subject, truncated, reapply) = match header {
        Some(h) if h.kind == "revert" => (
            Some(h.description.trim_matches('"').to_owned()),
            false,
            false,
        ),
        _ => match (quoted("Revert \""), quoted("Reapply \"")) {
            (Some((s, t)), _) => (Some(s), t, false),
            (None, Some((s, t))) => (Some(s), t, true),
            // `Revert the retry change` with git's "This reverts commit"
            // line: a revert whose subject was reworded.
            (None, None)
                if says_reverts
                    && subject
                        .get(..7)
                        .is_some_and(|p| p.eq_ignore_ascii_case("revert ")) =>
            {
                let rest = subject.get(7..).unwrap_or_default();
                (Some(rest.trim().trim_matches('"').to_owned()), false, false)
            }
            (None, None) => (None, false, false),
        },
    };
    reverted_subject.as_ref()?;
    let commit = body
        .and_then(|b| {
            b.split("This reverts commit ").nth(1).map(|s| {
                s.chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect::<String>()
            })
        })
        .filter(|s| s.len() >= 7)
        .or_else(|| {
            footers
                .iter()
                .filter(|f| f.token.eq_ignore_ascii_case("refs"))
                .flat_map(|f| f.value.split([',', ' ']))
                .map(str::trim)
                .find(|v| v.len() >= 7 && v.chars().all(|c| c.is_ascii_hexdigit()))
                .map(str::to_owned)
        });
    Some(Revert {
        subject: reverted_subject,
        commit,
        truncated,
        reapply,
    })
}

/// `text (#123)` → `text`: the pull-request number GitHub appends.
fn strip_pr_suffix(text: &str) -> Option<&str> {
    let t = text.trim_end();
    let open = t.strip_suffix(')')?.rfind(" (#")?;
    let digits = &t[open + 3..t.len() - 1];
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| &t[..open])
}

/// Words that close an issue when followed by its reference.
const CLOSING_WORDS: [&str; 9] = [
    "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved",
];

/// Words that look like `KEY-123` but are not tracker keys.
const NOT_KEYS: [&str; 6] = ["UTF", "ISO", "SHA", "AES", "CVE-XXXX", "X"];

fn collect_references(text: &str, out: &mut Vec<Reference>) {
    let mut push = |r: Reference| {
        if !out.contains(&r) {
            out.push(r);
        }
    };
    for raw in text.split(|c: char| c.is_whitespace()) {
        let word = raw.trim_matches(|c: char| matches!(c, '(' | '[' | '<' | '"' | '\''));
        if word.starts_with("https://") || word.starts_with("http://") {
            let url = word.trim_end_matches(['.', ',', ';', ':', ')', ']', '>', '"', '\'']);
            if url.len() > "https://".len() {
                push(Reference::Url(url.to_owned()));
            }
            continue;
        }
        let word = word.trim_end_matches(['.', ',', ';', ':', ')', ']', '>', '!', '?', '"', '\'']);
        // `#123`, also `owner/repo#123` and `GH-#`-less forms.
        if let Some(pos) = word.find('#') {
            let digits = &word[pos + 1..];
            let before_ok = pos == 0
                || word[..pos]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
            if before_ok && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                if let Ok(n) = digits.parse() {
                    push(Reference::Number(n));
                }
            }
            continue;
        }
        if let Some((key, num)) = word.split_once('-') {
            let key_ok = key.len() >= 2
                && key.starts_with(|c: char| c.is_ascii_uppercase())
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && !NOT_KEYS.contains(&key);
            let num_ok = !num.is_empty() && num.chars().all(|c| c.is_ascii_digit());
            if key_ok && num_ok {
                push(Reference::Key(word.to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(m: &CommitMessage) -> &Header {
        m.header.as_ref().expect("conventional header")
    }

    #[test]
    fn a_plain_feature() {
        let m = parse("feat: add login");
        assert_eq!(h(&m).kind, "feat");
        assert_eq!(h(&m).description, "add login");
        assert!(h(&m).scope.is_none());
        assert!(!m.is_breaking());
        assert!(m.body.is_none() && m.footers.is_empty() && m.problem.is_none());
    }

    #[test]
    fn scope_bang_and_type_case() {
        let m = parse("Fix(API)!: drop v1 endpoints");
        assert_eq!(h(&m).kind, "fix");
        assert_eq!(h(&m).scope.as_deref(), Some("API"));
        assert!(h(&m).bang);
        assert_eq!(m.breaking, vec!["drop v1 endpoints".to_owned()]);
    }

    #[test]
    fn breaking_change_footers_in_both_spellings() {
        let m = parse(
            "feat: new config\n\nBody here.\n\nBREAKING CHANGE: `port` is now `addr`\nRefs: #12",
        );
        assert_eq!(m.breaking, vec!["`port` is now `addr`".to_owned()]);
        assert_eq!(m.body.as_deref(), Some("Body here."));
        let m = parse("feat: x\n\nBREAKING-CHANGE: gone");
        assert_eq!(m.breaking, vec!["gone".to_owned()]);
        // The footer note wins over the description for `!` + footer.
        let m = parse("feat!: x\n\nBREAKING CHANGE: explained");
        assert_eq!(m.breaking, vec!["explained".to_owned()]);
    }

    #[test]
    fn multi_paragraph_bodies_and_multiline_footers() {
        let m = parse("fix: a\n\nFirst paragraph.\n\nSecond paragraph\nstill second.\n\nBREAKING CHANGE: line one\n  line two\nCo-authored-by: Ada <ada@example.com>");
        assert_eq!(
            m.body.as_deref(),
            Some("First paragraph.\n\nSecond paragraph\nstill second.")
        );
        assert_eq!(m.footers.len(), 2);
        assert_eq!(m.footers[0].value, "line one\nline two");
        assert_eq!(
            m.footer_values("co-authored-by").collect::<Vec<_>>(),
            vec!["Ada <ada@example.com>"]
        );
    }

    #[test]
    fn breaking_change_notes_may_run_on_unindented() {
        let m = parse("feat: new config format\n\nBREAKING CHANGE: the file format changed.\nRun `slipway migrate-config` to convert it.\nRefs: #3");
        assert_eq!(
            m.breaking,
            vec![
                "the file format changed.\nRun `slipway migrate-config` to convert it.".to_owned()
            ]
        );
        assert!(m.body.is_none());
        assert_eq!(m.references, vec![Reference::Number(3)]);
    }

    #[test]
    fn footers_without_a_blank_line() {
        let m = parse("fix: a\n\nSome explanation.\nRefs: #7\nReviewed-by: Bo");
        assert_eq!(m.body.as_deref(), Some("Some explanation."));
        assert_eq!(m.footers.len(), 2);
        let m = parse("fix: a\nRefs: JIRA-9");
        assert!(m.body.is_none());
        assert_eq!(m.footers[0].token, "Refs");
        assert_eq!(m.references, vec![Reference::Key("JIRA-9".into())]);
    }

    #[test]
    fn a_body_line_with_a_colon_is_not_a_footer() {
        let m = parse("fix: a\n\nNote: this is prose.\nIt continues here.");
        assert!(m.footers.is_empty());
        assert_eq!(
            m.body.as_deref(),
            Some("Note: this is prose.\nIt continues here.")
        );
    }

    #[test]
    fn hash_footers() {
        let m = parse("fix: a\n\nFixes #42");
        assert_eq!(
            m.footers,
            vec![Footer {
                token: "Fixes".into(),
                value: "#42".into()
            }]
        );
        assert_eq!(m.references, vec![Reference::Number(42)]);
    }

    #[test]
    fn crlf_unicode_and_empty_messages() {
        let m = parse("feat(ü): café ☕\r\n\r\nBody ✓\r\n");
        assert_eq!(h(&m).description, "café ☕");
        assert_eq!(m.body.as_deref(), Some("Body ✓"));
        let m = parse("");
        assert!(m.header.is_none());
        assert!(m.problem.is_some());
        let m = parse("\n\n  \n");
        assert_eq!(m.subject, "");
    }

    #[test]
    fn very_long_bodies() {
        let body = "word ".repeat(2_000);
        let m = parse(&format!("perf: faster\n\n{body}"));
        assert_eq!(h(&m).kind, "perf");
        assert_eq!(m.body.map(|b| b.len()), Some(body.trim_end().len()));
    }

    #[test]
    fn non_conforming_messages_are_kept_with_a_reason() {
        for (msg, why) in [
            ("Update README", "colon"),
            ("feat:missing space", "space"),
            ("feat: ", "description"),
            ("feat(): x", "scope"),
            ("feat(api: x", "parenthesis"),
            ("123: x", "type"),
            ("WIP", "colon"),
        ] {
            let m = parse(msg);
            assert!(m.header.is_none(), "{msg}");
            let p = m.problem.unwrap_or_default();
            assert!(p.contains(why), "{msg}: {p}");
            assert_eq!(m.subject, msg.trim());
        }
    }

    #[test]
    fn reverts_in_both_spellings() {
        let m = parse("revert: feat: add login\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.");
        let r = m.revert.expect("revert");
        assert_eq!(r.subject.as_deref(), Some("feat: add login"));
        assert_eq!(
            r.commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );

        let m = parse("Revert \"feat: add login\"\n\nThis reverts commit abcdef1234567.");
        assert!(m.header.is_none());
        assert!(m.problem.is_none(), "git reverts are understood");
        let r = m.revert.expect("revert");
        assert_eq!(r.subject.as_deref(), Some("feat: add login"));
        assert_eq!(r.commit.as_deref(), Some("abcdef1234567"));

        let m = parse("revert: let us not\n\nRefs: 676104e, a215868");
        assert_eq!(m.revert.and_then(|r| r.commit).as_deref(), Some("676104e"));
    }

    /// The shape real histories use: the footer, then a migration guide,
    /// a code block and more notes. The footer section starts at the
    /// BREAKING CHANGE line, wherever it is.
    #[test]
    fn a_breaking_footer_followed_by_more_paragraphs_still_breaks() {
        let msg = "feat: make the CLI platform-agnostic\n\nBREAKING CHANGE: the `--travis` option is removed.\n\nMigration: replace `--travis` with `--ci` in your pipeline.\n\n```yaml\nrun: npx tool --ci\n```\n";
        let m = parse(msg);
        assert!(m.is_breaking());
        assert_eq!(
            m.breaking,
            vec!["the `--travis` option is removed.".to_owned()]
        );
        assert_eq!(
            m.breaking_footer.as_deref(),
            Some("BREAKING CHANGE: the `--travis` option is removed.")
        );
        assert!(m.body.is_none());
        // The code block belongs to the Migration footer; `run:` inside it
        // is not a footer of its own.
        assert_eq!(m.footers.len(), 2, "{:?}", m.footers);
        assert!(m.footers[1].value.contains("run: npx tool --ci"));
    }

    #[test]
    fn breaking_footer_variants() {
        for (msg, why) in [
            (
                "feat: x\r\n\r\nBody.\r\n\r\nBREAKING CHANGE: crlf\r\n\r\nMore.\r\n",
                "crlf",
            ),
            (
                "feat: x\n\nBody.  \n\nBREAKING CHANGE: trailing spaces   \n\nMore.\t\n",
                "trailing whitespace",
            ),
            (
                "feat: x\n\nBREAKING-CHANGE: hyphen\n\nMore text.",
                "BREAKING-CHANGE",
            ),
            (
                "feat: x\n\nIntro.\n\n```\ncode\n```\n\nBREAKING CHANGE: after code\n\nTail.",
                "after a code block",
            ),
            (
                "feat: x\n\nBREAKING CHANGE: first\n\nRefs: #1\nBREAKING CHANGE: second\n\nNotes.",
                "several footers",
            ),
            (
                "fix: x\n\nBody paragraph.\nBREAKING CHANGE: no blank line before",
                "no blank line",
            ),
            (
                "feat: x\n\nBREAKING CHANGE:\n  described on the next line\n\nMore.",
                "value on the next line",
            ),
        ] {
            let m = parse(msg);
            assert!(m.is_breaking(), "{why}: {m:?}");
            assert!(m.breaking_footer.is_some(), "{why}");
        }
        let m = parse(
            "feat: x\n\nBREAKING CHANGE: first\n\nRefs: #1\nBREAKING CHANGE: second\n\nNotes.",
        );
        assert_eq!(
            m.breaking,
            vec!["first".to_owned(), "second\n\nNotes.".to_owned()]
        );
        // Empty value: still breaking, described by the header.
        let m = parse("feat: drop node 14\n\nBREAKING CHANGE:");
        assert_eq!(m.breaking, vec!["drop node 14".to_owned()]);
    }

    #[test]
    fn breaking_change_inside_a_code_block_or_in_prose_is_not_a_footer() {
        let m = parse("docs: explain footers\n\nWrite it like this:\n\n```\nBREAKING CHANGE: the API changed\n```\n\nThat is all.");
        assert!(!m.is_breaking(), "{m:?}");
        let m = parse("docs: x\n\nThis has no BREAKING CHANGE: in it, only prose.");
        assert!(!m.is_breaking());
        // Lower case is not the footer token (the specification).
        let m = parse("feat: x\n\nbreaking change: lower case");
        assert!(!m.is_breaking());
    }

    #[test]
    fn reverts_as_github_writes_them() {
        let m = parse("Revert \"fix(deps): update dependency yargs to v17\" (#2534)\n\nThis reverts commit 0123456789abcdef0123456789abcdef01234567.");
        let r = m.revert.expect("revert");
        assert_eq!(
            r.subject.as_deref(),
            Some("fix(deps): update dependency yargs to v17")
        );
        assert_eq!(
            r.commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert!(!r.truncated && !r.reapply);
        assert!(m.problem.is_none());

        let m = parse("Revert \"fix(compiler-sfc): add scoping tag to trailing universal selector (#1…\" (#13406)");
        let r = m.revert.expect("revert");
        assert!(r.truncated);
        assert_eq!(
            r.subject.as_deref(),
            Some("fix(compiler-sfc): add scoping tag to trailing universal selector (#1")
        );
        assert!(r.commit.is_none());

        let m = parse("Revert \"feat: a long subject...\"");
        assert!(m.revert.expect("revert").truncated);

        let m = parse(
            "Reapply \"feat(router): lazy routes\" (#99)\n\nThis reverts commit abcdef1234567.",
        );
        let r = m.revert.expect("reapply");
        assert!(r.reapply);
        assert_eq!(r.subject.as_deref(), Some("feat(router): lazy routes"));

        // Not a revert: the quote never closes.
        assert!(parse("Revert \"half").revert.is_none());
        // A revert of a revert.
        let m = parse("Revert \"Revert \"feat: x\"\"");
        assert_eq!(
            m.revert.and_then(|r| r.subject).as_deref(),
            Some("Revert \"feat: x\"")
        );
    }

    #[test]
    fn closing_references() {
        let m = parse(
            "fix(ui): x (#11682)\n\nThis fixes #9239 and mentions #5.\n\nCloses #12569\nRefs: #7",
        );
        assert_eq!(
            m.closes(),
            vec![Reference::Number(12569), Reference::Number(9239)]
        );
        let m = parse("fix: y\n\nFixes: JIRA-3");
        assert_eq!(m.closes(), vec![Reference::Key("JIRA-3".into())]);
        assert!(parse("fix: z (#4)").closes().is_empty());
    }

    #[test]
    fn references_of_every_kind() {
        let m = parse("fix(auth): lock accounts (#123)\n\nSee PROJ-77 and https://tracker.example.com/issues/9.\nAlso org/repo#5, UTF-8 is not a key.\n\nRefs: #124");
        assert_eq!(
            m.references,
            vec![
                Reference::Number(123),
                Reference::Key("PROJ-77".into()),
                Reference::Url("https://tracker.example.com/issues/9".into()),
                Reference::Number(5),
                Reference::Number(124),
            ]
        );
    }
}
