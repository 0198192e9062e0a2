//! Release notes: markdown generated from commits, and the three-way merge
//! that lets people's edits survive regeneration.
//!
//! Commit text is untrusted. Everything taken from a commit (subjects, scopes,
//! notes, authors) is escaped so that it renders as literal text: no HTML, no
//! links, no emphasis. Only the generator's own links are live, and only to
//! `http(s)` addresses.
//!
//! Notes are edited by people and regenerated when new commits arrive.
//! [`merge`] combines both: edits are kept, new entries are added, and where
//! both sides changed the same lines a conflict block shows both versions.

use crate::conventional::{CommitMessage, Reference};
use crate::version::{Analysis, RangeCommit};
use diffy::{ConflictStyle, DiffOptions, Line, MergeOptions};
use serde::{Deserialize, Serialize};

/// Where commits and issues live on the web.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// The repository's web address, e.g. `https://github.com/acme/shop`
    /// (a trailing `/` is ignored). Only `http(s)` addresses are used.
    pub web_url: Option<String>,
    /// An issue tracker's address for keys such as `JIRA-123`, with `{key}`
    /// where the key goes: `https://jira.example.com/browse/{key}`.
    pub issue_url: Option<String>,
}

impl Links {
    /// The repository's address without a trailing `/`, if it is usable.
    fn web(&self) -> Option<&str> {
        self.web_url
            .as_deref()
            .map(|u| u.trim().trim_end_matches('/'))
            .filter(|u| is_web_address(u))
    }

    /// `{web_url}/commit/{id}`.
    pub fn commit_url(&self, id: &str) -> Option<String> {
        self.web().map(|web| format!("{web}/commit/{id}"))
    }

    /// Where a reference points: `#12` to the repository's issues (GitHub,
    /// Gitea and GitLab send pull-request numbers on from there), keys to the
    /// issue tracker, and `http(s)` addresses to themselves.
    pub fn reference_url(&self, reference: &Reference) -> Option<String> {
        match reference {
            Reference::Number(n) => self.web().map(|web| format!("{web}/issues/{n}")),
            Reference::Key(key) => self
                .issue_url
                .as_deref()
                .map(str::trim)
                .filter(|t| is_web_address(t) && t.contains("{key}"))
                .map(|t| t.replace("{key}", key)),
            Reference::Url(url) => is_web_address(url).then(|| url.clone()),
        }
    }
}

/// `http://` or `https://` followed by something.
fn is_web_address(s: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        s.len() > scheme.len()
            && s.get(..scheme.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
    })
}

/// What release notes leave out: part of a project's release policy.
/// "Other changes" is for changes people act on, so by default it leaves
/// out release commits (`release: v1.2.3`, `chore(release): …`) and
/// dependency updates made by bots (Dependabot, Renovate), and any types
/// listed here. Features, fixes, breaking changes and reverts always show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotesPolicy {
    /// Types left out of "Other changes" (`chore`, `ci`, …).
    pub hidden_types: Vec<String>,
    /// Show release commits after all.
    pub include_release_commits: bool,
    /// Show bots' dependency updates after all.
    pub include_bot_updates: bool,
}

impl NotesPolicy {
    /// Whether a commit of "Other changes" is left out of the notes.
    fn leaves_out(&self, c: &NoteCommit) -> bool {
        let m = &c.message;
        if let Some(kind) = m.kind() {
            if self
                .hidden_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(kind))
            {
                return true;
            }
        }
        (!self.include_release_commits && is_release_commit(m))
            || (!self.include_bot_updates && is_bot_update(c))
    }
}

/// `release: v1.2.3`, `chore(release): 1.2.3`, `Release 1.2.3`, `v1.2.3`.
fn is_release_commit(m: &CommitMessage) -> bool {
    if let Some(h) = &m.header {
        return h.kind == "release" || h.scope.as_deref() == Some("release");
    }
    let s = m.subject.trim().to_ascii_lowercase();
    let version_like = |t: &str| {
        let t = t.trim_start_matches('v');
        t.split('.').count() >= 2
            && t.split('.')
                .all(|p| p.starts_with(|c: char| c.is_ascii_digit()))
    };
    let words: Vec<&str> = s.split_whitespace().collect();
    match words.as_slice() {
        [only] => version_like(only),
        ["release" | "releasing" | "bump" | "version", rest @ ..] => rest
            .iter()
            .any(|w| version_like(w.trim_end_matches([',', '.', ':']))),
        _ => false,
    }
}

/// A dependency update made by a bot: an author or trailer with `[bot]`
/// (dependabot[bot], renovate[bot]) on a chore or build commit, or one
/// scoped `deps`.
fn is_bot_update(c: &NoteCommit) -> bool {
    let m = &c.message;
    let by_bot = c.author.contains("[bot]")
        || m.footers.iter().any(|f| f.value.contains("[bot]"))
        || c.author.eq_ignore_ascii_case("renovate")
        || c.author.eq_ignore_ascii_case("dependabot");
    let housekeeping = matches!(m.kind(), Some("chore" | "build" | "ci"))
        || m.header
            .as_ref()
            .and_then(|h| h.scope.as_deref())
            .is_some_and(|s| s.starts_with("deps"));
    by_bot && housekeeping
}

/// A commit as release notes see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteCommit {
    pub id: String,
    pub message: CommitMessage,
    /// The author's name, as git records it.
    pub author: String,
}

impl NoteCommit {
    /// The commit as [`crate::version::VersionPolicy::analyze`] takes it.
    pub fn to_range_commit(&self) -> RangeCommit {
        RangeCommit {
            id: self.id.clone(),
            message: self.message.clone(),
        }
    }
}

/// The first line of a release's notes: `## 1.4.0 (2026-11-23)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesHeading {
    /// The version (`1.4.0`) or `Unreleased`.
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
}

/// The sections of release notes, in the order they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Breaking,
    Features,
    Fixes,
    Performance,
    Reverts,
    Other,
}

impl Section {
    const ALL: [Section; 6] = [
        Section::Breaking,
        Section::Features,
        Section::Fixes,
        Section::Performance,
        Section::Reverts,
        Section::Other,
    ];

    fn title(self) -> &'static str {
        match self {
            Section::Breaking => "Breaking changes",
            Section::Features => "Features",
            Section::Fixes => "Bug fixes",
            Section::Performance => "Performance",
            Section::Reverts => "Reverts",
            Section::Other => "Other changes",
        }
    }

    /// Where a commit goes. A breaking change goes only under "Breaking
    /// changes", whatever its type.
    fn of(commit: &NoteCommit, analysis: &Analysis) -> Section {
        let m = &commit.message;
        if m.is_breaking() || analysis.breaking.contains(&commit.id) {
            return Section::Breaking;
        }
        if m.revert.is_some() {
            return Section::Reverts;
        }
        match m.kind() {
            Some("feat") => Section::Features,
            Some("fix") => Section::Fixes,
            Some("perf") => Section::Performance,
            _ => Section::Other,
        }
    }
}

/// Appended to commits that do not follow Conventional Commits.
const NOT_CONVENTIONAL: &str = " — *not a Conventional Commit: classify it*";

/// Release notes in markdown for one release.
///
/// `commits` are newest first, as git lists them, and keep that order within
/// each section. Commits that `analysis` marks as cancelled (a revert and
/// what it reverts) are left out everywhere; empty sections are omitted.
pub fn generate(
    heading: &NotesHeading,
    commits: &[NoteCommit],
    analysis: &Analysis,
    links: &Links,
) -> String {
    generate_with(heading, commits, analysis, links, &NotesPolicy::default())
}

/// [`generate`] under a project's [`NotesPolicy`].
pub fn generate_with(
    heading: &NotesHeading,
    commits: &[NoteCommit],
    analysis: &Analysis,
    links: &Links,
    policy: &NotesPolicy,
) -> String {
    let mut out = format!("## {}", escape(&heading.title));
    if let Some(date) = heading.date.as_deref().filter(|d| !d.trim().is_empty()) {
        out.push_str(&format!(" ({})", escape(date)));
    }
    out.push_str("\n\n");

    let live: Vec<&NoteCommit> = commits
        .iter()
        .filter(|c| !analysis.cancelled.contains(&c.id))
        .filter(|c| Section::of(c, analysis) != Section::Other || !policy.leaves_out(c))
        .collect();
    if live.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }

    let mut blocks: Vec<String> = Vec::new();
    for section in Section::ALL {
        let entries: Vec<String> = live
            .iter()
            .filter(|c| Section::of(c, analysis) == section)
            .map(|c| entry(c, section, analysis, links))
            .collect();
        if !entries.is_empty() {
            blocks.push(format!("### {}\n\n{}", section.title(), entries.join("\n")));
        }
    }
    let names: Vec<String> = contributors(&live).iter().map(|n| escape(n)).collect();
    if !names.is_empty() {
        blocks.push(format!("### Contributors\n\n{}", names.join(", ")));
    }
    out.push_str(&blocks.join("\n\n"));
    out.push('\n');
    out
}

/// One list item: `- **scope:** description ([#15](url)) ([abc1234](url)), closes [#9](url), refs [SHOP-12](url)`,
/// followed, for breaking changes, by their notes as indented continuation
/// lines (so they stay inside the item).
fn entry(commit: &NoteCommit, section: Section, analysis: &Analysis, links: &Links) -> String {
    let m = &commit.message;
    let mut line = String::from("- ");
    match (&m.header, section) {
        (_, Section::Reverts) => {
            let reverted = m
                .revert
                .as_ref()
                .and_then(|r| r.subject.as_deref())
                .unwrap_or(&m.subject);
            line.push_str(&format!("revert \"{}\"", escape(reverted)));
        }
        (Some(h), _) => {
            let kind = (section == Section::Other).then_some(h.kind.as_str());
            line.push_str(&label(kind, h.scope.as_deref()));
            line.push_str(&escape(without_pr_suffix(&h.description, &m.references)));
        }
        (None, _) if m.subject.trim().is_empty() => line.push_str("(empty message)"),
        (None, _) => line.push_str(&escape(without_pr_suffix(&m.subject, &m.references))),
    }

    // The pull request stays with its entry, as large projects' changelogs
    // show it: `description ([#11682](…)) ([abc1234](…))`.
    let description = m
        .header
        .as_ref()
        .map_or(m.subject.as_str(), |h| h.description.as_str());
    let pr = pr_number(description).filter(|n| m.references.contains(&Reference::Number(*n)));
    if let Some(n) = pr {
        line.push_str(&format!(
            " ({})",
            reference_link(&Reference::Number(n), links)
        ));
    }

    let short: String = commit.id.chars().take(7).collect();
    match links.commit_url(&commit.id) {
        Some(url) => line.push_str(&format!(" ([{}]({}))", escape(&short), destination(&url))),
        None => line.push_str(&format!(" (`{}`)", short.replace('`', ""))),
    }

    // Then the issues it closes, then anything else it refers to.
    let closes = m.closes();
    let mut others: Vec<&Reference> = Vec::new();
    for r in &m.references {
        if Some(r) != pr.map(Reference::Number).as_ref()
            && !closes.contains(r)
            && !others.contains(&r)
        {
            others.push(r);
        }
    }
    let rendered = |refs: &[&Reference]| -> String {
        refs.iter()
            .map(|r| reference_link(r, links))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut closing: Vec<&Reference> = Vec::new();
    for r in &closes {
        if Some(r) != pr.map(Reference::Number).as_ref() && !closing.contains(&r) {
            closing.push(r);
        }
    }
    if !closing.is_empty() {
        line.push_str(", closes ");
        line.push_str(&rendered(&closing));
    }
    if !others.is_empty() {
        line.push_str(", refs ");
        line.push_str(&rendered(&others));
    }

    if analysis.non_conforming.contains(&commit.id) {
        line.push_str(NOT_CONVENTIONAL);
    }

    if section == Section::Breaking {
        let description = m.header.as_ref().map(|h| h.description.trim());
        for note in &m.breaking {
            // `feat!: x` has its description as its note: do not repeat it.
            if description == Some(note.trim()) {
                continue;
            }
            for note_line in note.lines().filter(|l| !l.trim().is_empty()) {
                // A hard line break: each migration note line starts its own line.
                line.push_str("\\\n  ");
                line.push_str(&escape(note_line));
            }
        }
    }
    line
}

/// "round totals (#15)" -> "round totals" when #15 is among the references
/// (the squash-merge convention): the number is linked after the entry.
fn without_pr_suffix<'a>(description: &'a str, references: &[Reference]) -> &'a str {
    let trimmed = description.trim_end();
    match pr_number(trimmed) {
        Some(n) if references.contains(&Reference::Number(n)) => trimmed
            .rfind(" (#")
            .map_or(description, |open| &trimmed[..open]),
        _ => description,
    }
}

/// The `N` of a trailing ` (#N)`.
fn pr_number(description: &str) -> Option<u64> {
    let trimmed = description.trim_end();
    let open = trimmed.strip_suffix(')')?.rfind(" (#")?;
    trimmed[open + 3..trimmed.len() - 1].parse().ok()
}

/// `**scope:** `, or `**type(scope):** ` / `**type:** ` when the type is shown.
fn label(kind: Option<&str>, scope: Option<&str>) -> String {
    match (kind, scope) {
        (Some(k), Some(s)) => format!("**{}({}):** ", escape(k), escape(s)),
        (Some(k), None) => format!("**{}:** ", escape(k)),
        (None, Some(s)) => format!("**{}:** ", escape(s)),
        (None, None) => String::new(),
    }
}

/// A reference as a link, or as plain text when it cannot be linked.
fn reference_link(reference: &Reference, links: &Links) -> String {
    let text = match reference {
        Reference::Number(n) => format!("#{n}"),
        Reference::Key(k) => k.clone(),
        Reference::Url(u) => u.clone(),
    };
    match links.reference_url(reference) {
        Some(url) => format!("[{}]({})", escape(&text), destination(&url)),
        None => escape(&text),
    }
}

/// Authors, then co-authors (`Co-authored-by:`, name only), each once, in
/// order of first appearance.
fn contributors(commits: &[&NoteCommit]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for c in commits {
        let co_authors = c
            .message
            .footer_values("Co-authored-by")
            .map(|v| v.split_once('<').map_or(v, |(name, _)| name).trim());
        for name in std::iter::once(c.author.trim()).chain(co_authors) {
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// Escapes untrusted text so that markdown renders it literally: HTML
/// significant characters become entities, markdown punctuation is
/// backslash-escaped, control characters (line breaks included) become
/// spaces, and a leading block marker (`# `, `-`, `+`, `=`, `1. `) is
/// neutralised. The text is trimmed.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.trim().chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '|' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    let hashes = out.chars().take_while(|&c| c == '#').count();
    let after_hashes = out.get(hashes..).unwrap_or("");
    let heading = hashes > 0 && (after_hashes.is_empty() || after_hashes.starts_with(' '));
    if heading || out.starts_with(['-', '+', '=']) {
        out.insert(0, '\\');
    } else {
        // `1. ` or `1) ` would start an ordered list.
        let digits = out.chars().take_while(char::is_ascii_digit).count();
        let after = out.get(digits + 1..).unwrap_or("");
        if (1..=9).contains(&digits)
            && out.get(digits..).is_some_and(|r| r.starts_with(['.', ')']))
            && (after.is_empty() || after.starts_with(' '))
        {
            out.insert(digits, '\\');
        }
    }
    out
}

/// A URL made safe as a markdown link destination: characters that could end
/// the destination or start a title are percent-encoded.
fn destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for ch in url.chars() {
        if ch.is_whitespace() || ch.is_control() || "<>()\"'\\`".contains(ch) {
            let mut buf = [0u8; 4];
            for b in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// A whole changelog: `# Changelog` and the releases' notes (newest first),
/// separated by blank lines.
pub fn changelog(sections: &[String]) -> String {
    let mut out = String::from("# Changelog\n");
    for section in sections {
        let section = section.trim_matches(['\n', '\r']).trim_end();
        if !section.is_empty() {
            out.push('\n');
            out.push_str(section);
            out.push('\n');
        }
    }
    out
}

/// The result of [`merge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merged {
    pub text: String,
    /// How many conflict blocks the merge wrote into `text`.
    pub conflicts: usize,
}

const YOURS_MARKER: &str = "<<<<<<< your edit\n";
const SEPARATOR_MARKER: &str = "=======\n";
const REGENERATED_MARKER: &str = ">>>>>>> regenerated\n";

/// Merges a person's edits with regenerated notes, line by line.
///
/// `base` is the text generated last time, `edited` the person's current
/// text and `regenerated` the newly generated text. Edits (reworded lines,
/// deleted entries, added prose) are kept and new entries are added. Where
/// both sides changed the same lines, a conflict block shows both:
///
/// ```text
/// <<<<<<< your edit
/// ...
/// =======
/// ...
/// >>>>>>> regenerated
/// ```
///
/// Changes that merely touch are not conflicts: when one side left the lines
/// in question as they were and only added lines around them, the other
/// side's change is taken with those additions around it; when both sides
/// only added lines at the same place, both are kept, yours first. So a
/// reworded entry next to a new entry merges cleanly.
///
/// Line endings are normalised to `\n`.
pub fn merge(base: &str, edited: &str, regenerated: &str) -> Merged {
    if edited == base {
        return clean(regenerated.to_owned());
    }
    let (base, edited, regenerated) = (normalize(base), normalize(edited), normalize(regenerated));
    if edited == base {
        return clean(regenerated);
    }
    if regenerated == base || regenerated == edited {
        return clean(edited);
    }
    // diffy's markers are longer than any marker-like run in the texts, so
    // they can be told apart from what people wrote.
    let marker_len = marker_length(&[&base, &edited, &regenerated]);
    let merged = MergeOptions::new()
        .set_conflict_marker_length(marker_len)
        .set_conflict_style(ConflictStyle::Diff3)
        .merge(&base, &edited, &regenerated);
    match merged {
        Ok(text) => clean(text),
        Err(with_conflicts) => settle_conflicts(&with_conflicts, marker_len),
    }
}

fn clean(text: String) -> Merged {
    Merged { text, conflicts: 0 }
}

/// `\n` line endings, and a final `\n` (diffy needs it to keep conflict
/// markers on their own lines).
fn normalize(text: &str) -> String {
    let mut t = text.replace("\r\n", "\n").replace('\r', "\n");
    if !t.is_empty() && !t.ends_with('\n') {
        t.push('\n');
    }
    t
}

/// One more than the longest run of `<`, `|`, `=` or `>` starting a line
/// in any of the texts, and at least 7.
fn marker_length(texts: &[&str]) -> usize {
    let longest = texts
        .iter()
        .flat_map(|t| t.lines())
        .flat_map(|line| {
            ['<', '|', '=', '>']
                .into_iter()
                .map(move |m| line.chars().take_while(|&c| c == m).count())
        })
        .max()
        .unwrap_or(0);
    (longest + 1).max(7)
}

/// Reads diffy's diff3-style output, resolves the conflicts that are only
/// adjacent changes (see [`resolve`]) and writes the rest with
/// human-readable markers.
fn settle_conflicts(raw: &str, marker_len: usize) -> Merged {
    let open = format!("{} ours\n", "<".repeat(marker_len));
    let original_marker = format!("{} original\n", "|".repeat(marker_len));
    let separator = format!("{}\n", "=".repeat(marker_len));
    let close = format!("{} theirs\n", ">".repeat(marker_len));

    enum Part {
        Text,
        Ours,
        Original,
        Theirs,
    }
    let mut part = Part::Text;
    let (mut ours, mut original, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let mut out = String::with_capacity(raw.len());
    let mut conflicts = 0;
    for line in raw.split_inclusive('\n') {
        match part {
            Part::Text if line == open => part = Part::Ours,
            Part::Text => out.push_str(line),
            Part::Ours if line == original_marker => part = Part::Original,
            Part::Ours => ours.push(line),
            Part::Original if line == separator => part = Part::Theirs,
            Part::Original => original.push(line),
            Part::Theirs if line == close => {
                match resolve(&ours, &original, &theirs) {
                    Some(lines) => out.extend(lines),
                    None => {
                        write_conflict(&mut out, &ours, &theirs);
                        conflicts += 1;
                    }
                }
                ours.clear();
                original.clear();
                theirs.clear();
                part = Part::Text;
            }
            Part::Theirs => theirs.push(line),
        }
    }
    Merged {
        text: out,
        conflicts,
    }
}

/// Resolves a conflict that is really two changes side by side: one side
/// kept the `original` lines and only added lines before or after them, so
/// the other side's version goes in their place. When both sides only added
/// lines (`original` is empty), both are kept, `ours` first.
fn resolve<'a>(ours: &[&'a str], original: &[&'a str], theirs: &[&'a str]) -> Option<Vec<&'a str>> {
    if ours == theirs {
        return Some(ours.to_vec());
    }
    if let Some((before, after)) = around(theirs, original) {
        return Some([before, ours, after].concat());
    }
    if let Some((before, after)) = around(ours, original) {
        return Some([before, theirs, after].concat());
    }
    None
}

/// `(before, after)` when `side` is `original` with lines added before and
/// after it.
fn around<'s, 'a>(
    side: &'s [&'a str],
    original: &[&'a str],
) -> Option<(&'s [&'a str], &'s [&'a str])> {
    if original.is_empty() {
        return Some((&[], side));
    }
    let at = side
        .windows(original.len())
        .position(|window| window == original)?;
    let (before, rest) = side.split_at(at);
    Some((before, rest.get(original.len()..).unwrap_or_default()))
}

/// A conflict block; lines both sides share at its start and end are kept
/// outside it.
fn write_conflict(out: &mut String, ours: &[&str], theirs: &[&str]) {
    let prefix = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let (shared_start, ours) = ours.split_at(prefix);
    let theirs = theirs.get(prefix..).unwrap_or_default();
    let suffix = ours
        .iter()
        .rev()
        .zip(theirs.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (ours, shared_end) = ours.split_at(ours.len() - suffix);
    let theirs = theirs.get(..theirs.len() - suffix).unwrap_or_default();

    out.extend(shared_start.iter().copied());
    out.push_str(YOURS_MARKER);
    out.extend(ours.iter().copied());
    out.push_str(SEPARATOR_MARKER);
    out.extend(theirs.iter().copied());
    out.push_str(REGENERATED_MARKER);
    out.extend(shared_end.iter().copied());
}

/// How many conflict blocks are left in `text` (lines starting with
/// `<<<<<<< `). Notes with conflicts must not be published.
pub fn conflict_count(text: &str) -> usize {
    text.lines().filter(|l| l.starts_with("<<<<<<< ")).count()
}

/// How a line differs between two revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineChange {
    Same,
    Added,
    Removed,
}

/// One line of a revision diff, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub change: LineChange,
    pub text: String,
}

/// Every line of `old` and `new` in order, marked as the same, added or
/// removed. Line endings (`\r\n`, a missing final newline) do not count as
/// changes.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let (old, new) = (normalize(old), normalize(new));
    let line = |change, text: &str| DiffLine {
        change,
        text: text.trim_end_matches('\n').to_owned(),
    };
    if old == new {
        return old.lines().map(|l| line(LineChange::Same, l)).collect();
    }
    // Context as long as both texts: a single hunk holding every line.
    let context = old.lines().count() + new.lines().count();
    let patch = DiffOptions::new()
        .set_context_len(context)
        .create_patch(&old, &new);
    patch
        .hunks()
        .iter()
        .flat_map(|hunk| hunk.lines())
        .map(|l| match l {
            Line::Context(t) => line(LineChange::Same, t),
            Line::Insert(t) => line(LineChange::Added, t),
            Line::Delete(t) => line(LineChange::Removed, t),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::conventional::parse;
    use crate::version::VersionPolicy;

    /// A 40-character id made of one repeated hex digit: `sha('a')` is
    /// `aaaa...`, so its short id is `aaaaaaa`.
    fn sha(digit: char) -> String {
        digit.to_string().repeat(40)
    }

    fn commit(digit: char, author: &str, message: &str) -> NoteCommit {
        NoteCommit {
            id: sha(digit),
            message: parse(message),
            author: author.into(),
        }
    }

    fn analyze(commits: &[NoteCommit]) -> Analysis {
        let range: Vec<RangeCommit> = commits.iter().map(NoteCommit::to_range_commit).collect();
        VersionPolicy::default().analyze(&range)
    }

    fn heading(title: &str, date: Option<&str>) -> NotesHeading {
        NotesHeading {
            title: title.into(),
            date: date.map(Into::into),
        }
    }

    fn github() -> Links {
        Links {
            web_url: Some("https://github.com/acme/shop/".into()),
            issue_url: Some("https://jira.example.com/browse/{key}".into()),
        }
    }

    fn notes(commits: &[NoteCommit], links: &Links) -> String {
        generate(
            &heading("1.4.0", Some("2026-11-23")),
            commits,
            &analyze(commits),
            links,
        )
    }

    #[test]
    fn notes_people_would_publish() {
        let commits = vec![
            commit('a', "Ada", "fix(compiler-sfc): keep scoping on trailing selectors (#11682)\n\nCloses #9239\nCloses #12569"),
            commit('b', "github-actions[bot]", "chore(release): 3.4.21"),
            commit('c', "Ada", "release: v3.4.21"),
            commit('d', "renovate[bot]", "chore(deps): update dependency typescript to v5.4.5 (#16500)"),
            commit('e', "Bo", "chore: tidy scripts"),
            commit('f', "Cy", "ci: cache the toolchain"),
            commit('1', "renovate[bot]", "fix(deps): update dependency yargs to v17.7.2 (#2530)"),
        ];
        let a = analyze(&commits);
        let md = generate(&heading("3.4.22", None), &commits, &a, &github());
        // The pull request stays with its entry; the issues it closes follow.
        assert!(
            md.contains(&format!(
                "- **compiler-sfc:** keep scoping on trailing selectors ([#11682](https://github.com/acme/shop/issues/11682)) ({}), closes [#9239](https://github.com/acme/shop/issues/9239), [#12569](https://github.com/acme/shop/issues/12569)\n",
                link('a')
            )),
            "{md}"
        );
        // Release commits and bots' chores are left out by default; a bot's
        // fix is a fix and stays.
        assert!(!md.contains("3.4.21") && !md.contains("typescript"), "{md}");
        assert!(md.contains("yargs"), "{md}");
        assert!(
            md.contains("tidy scripts") && md.contains("cache the toolchain"),
            "{md}"
        );
        // The policy decides which types appear, and may keep everything.
        let policy = NotesPolicy {
            hidden_types: vec!["ci".into()],
            include_release_commits: true,
            include_bot_updates: true,
        };
        let md = generate_with(&heading("3.4.22", None), &commits, &a, &github(), &policy);
        assert!(md.contains("3.4.21") && md.contains("typescript"), "{md}");
        assert!(!md.contains("cache the toolchain"), "{md}");
    }

    /// The commit link as the generator writes it for `github()`.
    fn link(digit: char) -> String {
        format!(
            "[{}](https://github.com/acme/shop/commit/{})",
            digit.to_string().repeat(7),
            sha(digit)
        )
    }

    // ---- generation ---------------------------------------------------------

    #[test]
    fn a_complete_release() {
        let commits = [
            commit(
                'a',
                "Alice Example",
                "feat(api)!: drop the v1 endpoints\n\nBREAKING CHANGE: Clients must move to /v2 first.",
            ),
            commit('b', "Bob Builder", "feat(cart): add coupons\n\nRefs: #12, SHOP-7"),
            commit('c', "Alice Example", "feat: search by SKU"),
            commit('d', "Bob Builder", "fix(checkout): round totals half-even (#15)"),
            commit('e', "Carol", "perf: cache the catalogue"),
            commit('f', "Alice Example", "revert: feat: gift cards\n\nRefs: 1234567"),
            commit('1', "Dave", "docs(readme): explain the setup"),
            commit('2', "Bob Builder", "Update dependencies"),
        ];
        let expected = format!(
            "## 1.4.0 (2026-11-23)

### Breaking changes

- **api:** drop the v1 endpoints ({a})\\
  Clients must move to /v2 first.

### Features

- **cart:** add coupons ({b}), refs [#12](https://github.com/acme/shop/issues/12), [SHOP-7](https://jira.example.com/browse/SHOP-7)
- search by SKU ({c})

### Bug fixes

- **checkout:** round totals half-even ([#15](https://github.com/acme/shop/issues/15)) ({d})

### Performance

- cache the catalogue ({e})

### Reverts

- revert \"feat: gift cards\" ({f})

### Other changes

- **docs(readme):** explain the setup ({one})
- Update dependencies ({two}) — *not a Conventional Commit: classify it*

### Contributors

Alice Example, Bob Builder, Carol, Dave
",
            a = link('a'),
            b = link('b'),
            c = link('c'),
            d = link('d'),
            e = link('e'),
            f = link('f'),
            one = link('1'),
            two = link('2'),
        );
        assert_eq!(notes(&commits, &github()), expected);
    }

    #[test]
    fn no_commits_means_no_changes() {
        let a = analyze(&[]);
        assert_eq!(
            generate(&heading("1.4.0", Some("2026-11-23")), &[], &a, &github()),
            "## 1.4.0 (2026-11-23)\n\nNo changes.\n"
        );
        assert_eq!(
            generate(&heading("Unreleased", None), &[], &a, &Links::default()),
            "## Unreleased\n\nNo changes.\n"
        );
    }

    #[test]
    fn empty_sections_are_omitted_and_the_text_ends_with_one_newline() {
        let md = notes(&[commit('a', "Ann", "fix: typo")], &github());
        assert!(md.contains("### Bug fixes"));
        for absent in [
            "Breaking",
            "Features",
            "Performance",
            "Reverts",
            "Other changes",
        ] {
            assert!(!md.contains(absent), "{absent} in:\n{md}");
        }
        assert!(md.ends_with("\n\n### Contributors\n\nAnn\n"), "{md}");
    }

    #[test]
    fn sections_keep_the_input_order() {
        let md = notes(
            &[
                commit('a', "Ann", "feat: newest"),
                commit('b', "Ann", "fix: in between"),
                commit('c', "Ann", "feat: oldest"),
            ],
            &Links::default(),
        );
        let newest = md.find("newest").unwrap();
        let oldest = md.find("oldest").unwrap();
        assert!(newest < oldest);
        assert!(md.contains("- newest (`aaaaaaa`)\n- oldest (`ccccccc`)\n"));
    }

    #[test]
    fn other_types_show_their_type_and_scope() {
        let md = notes(
            &[
                commit('a', "Ann", "docs(readme): explain"),
                commit('b', "Ann", "chore: tidy"),
                commit('c', "Ann", "ci(deploy): cache"),
            ],
            &Links::default(),
        );
        assert!(md.contains(
            "### Other changes\n\n- **docs(readme):** explain (`aaaaaaa`)\n- **chore:** tidy (`bbbbbbb`)\n- **ci(deploy):** cache (`ccccccc`)\n"
        ), "{md}");
    }

    #[test]
    fn non_conforming_commits_are_flagged_under_other_changes() {
        let md = notes(
            &[
                commit('a', "Ann", "WIP: stuff"),
                commit('b', "Ann", "Update README"),
                commit('c', "Ann", "feat:missing space"),
            ],
            &Links::default(),
        );
        // `WIP: stuff` parses as the type `wip`: conforming, shown with its type.
        assert!(md.contains("- **wip:** stuff (`aaaaaaa`)\n"), "{md}");
        assert!(
            md.contains("- Update README (`bbbbbbb`) — *not a Conventional Commit: classify it*\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "- feat:missing space (`ccccccc`) — *not a Conventional Commit: classify it*\n"
            ),
            "{md}"
        );
        assert_eq!(md.matches("not a Conventional Commit").count(), 2);
    }

    #[test]
    fn an_empty_message_is_still_listed() {
        let md = notes(&[commit('a', "Ann", "")], &Links::default());
        assert!(
            md.contains("- (empty message) (`aaaaaaa`) — *not a Conventional Commit"),
            "{md}"
        );
    }

    #[test]
    fn git_style_reverts_are_listed_and_flagged_as_reverts_not_non_conforming() {
        let md = notes(
            &[commit(
                'a',
                "Ann",
                "Revert \"feat: gift cards\"\n\nThis reverts commit 1234567890abcdef.",
            )],
            &Links::default(),
        );
        assert!(
            md.contains("### Reverts\n\n- revert \"feat: gift cards\" (`aaaaaaa`)\n"),
            "{md}"
        );
        assert!(!md.contains("not a Conventional Commit"));
    }

    #[test]
    fn cancelled_reverts_are_left_out_everywhere() {
        let commits = [
            commit(
                'a',
                "Reverter",
                "Revert \"feat: shiny\"\n\nThis reverts commit bbbbbbbbbb.",
            ),
            commit('b', "Shiny Author", "feat: shiny"),
            commit('c', "Ann", "fix: typo"),
        ];
        let a = analyze(&commits);
        assert_eq!(a.cancelled.len(), 2);
        let md = generate(&heading("1.0.1", None), &commits, &a, &Links::default());
        assert_eq!(
            md,
            "## 1.0.1\n\n### Bug fixes\n\n- typo (`ccccccc`)\n\n### Contributors\n\nAnn\n"
        );

        // When everything cancels out there is nothing to tell.
        let md = generate(
            &heading("Unreleased", None),
            &commits[..2],
            &analyze(&commits[..2]),
            &Links::default(),
        );
        assert_eq!(md, "## Unreleased\n\nNo changes.\n");
    }

    #[test]
    fn breaking_changes_appear_only_under_breaking_changes_with_their_notes() {
        let md = notes(
            &[
                commit(
                    'a',
                    "Ann",
                    "feat(config): new format\n\nBREAKING CHANGE: the file format changed.\nRun `slipway migrate-config` to convert it.",
                ),
                commit('b', "Ann", "fix!: stop accepting tabs"),
                commit('c', "Ann", "feat: harmless"),
            ],
            &Links::default(),
        );
        let expected_breaking = "### Breaking changes

- **config:** new format (`aaaaaaa`)\\
  the file format changed.\\
  Run \\`slipway migrate-config\\` to convert it.
- stop accepting tabs (`bbbbbbb`)

### Features

- harmless (`ccccccc`)
";
        assert!(md.contains(expected_breaking), "{md}");
        assert_eq!(md.matches("new format").count(), 1);
        // `fix!:` only has its description as note: it is not repeated.
        assert_eq!(md.matches("stop accepting tabs").count(), 1);
        assert!(!md.contains("### Bug fixes"));
    }

    #[test]
    fn several_breaking_notes_each_get_continuation_lines() {
        let md = notes(
            &[commit(
                'a',
                "Ann",
                "feat!: v2\n\nBREAKING CHANGE: first note\nBREAKING-CHANGE: second note",
            )],
            &Links::default(),
        );
        assert!(
            md.contains("- v2 (`aaaaaaa`)\\\n  first note\\\n  second note\n"),
            "{md}"
        );
    }

    #[test]
    fn breaking_notes_cannot_start_blocks_inside_the_list_item() {
        let md = notes(
            &[commit(
                'a',
                "Ann",
                "feat!: v2\n\nBREAKING CHANGE: read this\n# Not a heading\n- not a list\n1. not ordered\n===\n+ plus\n> quote",
            )],
            &Links::default(),
        );
        assert!(
            md.contains(
                "  read this\\\n  \\# Not a heading\\\n  \\- not a list\\\n  1\\. not ordered\\\n  \\===\\\n  \\+ plus\\\n  &gt; quote\n"
            ),
            "{md}"
        );
    }

    #[test]
    fn contributors_are_listed_once_in_order_of_first_appearance() {
        let commits = [
            commit('a', "Bob Builder", "feat: a"),
            commit(
                'b',
                "Alice Example",
                "fix: b\n\nCo-authored-by: Carol Coder <carol@example.com>\nCo-authored-by: Bob Builder <bob@example.com>",
            ),
            commit('c', " Bob Builder ", "fix: c"),
            commit('d', "", "docs: nameless"),
            commit('e', "Alice Example", "perf: e"),
        ];
        let md = notes(&commits, &Links::default());
        assert!(
            md.ends_with("### Contributors\n\nBob Builder, Alice Example, Carol Coder\n"),
            "{md}"
        );
        // Email addresses are never published.
        assert!(!md.contains("example.com"));
    }

    #[test]
    fn authors_of_cancelled_commits_are_not_contributors() {
        let commits = [
            commit('a', "Ann", "revert: feat: x\n\nRefs: bbbbbbb"),
            commit('b', "Ben", "feat: x"),
            commit('c', "Cat", "fix: y"),
        ];
        let md = notes(&commits, &Links::default());
        assert!(md.ends_with("### Contributors\n\nCat\n"), "{md}");
    }

    // ---- links --------------------------------------------------------------

    #[test]
    fn link_building() {
        let links = github();
        assert_eq!(
            links.commit_url("abc1234def").as_deref(),
            Some("https://github.com/acme/shop/commit/abc1234def")
        );
        assert_eq!(
            links.reference_url(&Reference::Number(12)).as_deref(),
            Some("https://github.com/acme/shop/issues/12")
        );
        assert_eq!(
            links
                .reference_url(&Reference::Key("SHOP-7".into()))
                .as_deref(),
            Some("https://jira.example.com/browse/SHOP-7")
        );
        assert_eq!(
            links
                .reference_url(&Reference::Url("https://t.example.com/9".into()))
                .as_deref(),
            Some("https://t.example.com/9")
        );
        assert_eq!(
            links.reference_url(&Reference::Url("ftp://t.example.com/9".into())),
            None
        );
        assert_eq!(
            links.reference_url(&Reference::Url("javascript:alert(1)".into())),
            None
        );
        assert_eq!(
            links.reference_url(&Reference::Url("https://".into())),
            None
        );
    }

    #[test]
    fn no_links_without_a_web_address_or_issue_template() {
        let none = Links::default();
        assert_eq!(none.commit_url("abc"), None);
        assert_eq!(none.reference_url(&Reference::Number(1)), None);
        assert_eq!(none.reference_url(&Reference::Key("A-1".into())), None);
        // Addresses still link to themselves.
        assert!(none
            .reference_url(&Reference::Url("http://x.example.com".into()))
            .is_some());

        // A template without `{key}` cannot link a key.
        let no_placeholder = Links {
            web_url: None,
            issue_url: Some("https://jira.example.com/browse/".into()),
        };
        assert_eq!(
            no_placeholder.reference_url(&Reference::Key("A-1".into())),
            None
        );
    }

    #[test]
    fn only_web_addresses_are_linked() {
        for bad in ["javascript:alert(1)//", "data:text/html,x", "acme/shop", ""] {
            let links = Links {
                web_url: Some(bad.into()),
                issue_url: Some(format!("{bad}{{key}}")),
            };
            assert_eq!(links.commit_url("abc"), None, "{bad}");
            assert_eq!(links.reference_url(&Reference::Number(1)), None, "{bad}");
            assert_eq!(
                links.reference_url(&Reference::Key("A-1".into())),
                None,
                "{bad}"
            );
        }
        let upper = Links {
            web_url: Some("HTTPS://git.example.com/a/b".into()),
            issue_url: None,
        };
        assert!(upper.commit_url("abc").is_some());
    }

    #[test]
    fn without_a_web_address_short_ids_are_code_and_references_plain_text() {
        let md = notes(
            &[commit(
                'a',
                "Ann",
                "fix: crash (#4)\n\nSee https://status.example.com/i/1 and OPS-9.",
            )],
            &Links::default(),
        );
        assert!(
            md.contains("- crash (#4) (`aaaaaaa`), refs [https://status.example.com/i/1](https://status.example.com/i/1), OPS-9\n"),
            "{md}"
        );
    }

    #[test]
    fn with_a_web_address_everything_linkable_is_linked() {
        let links = Links {
            web_url: Some("https://gitea.example.com/acme/shop".into()),
            issue_url: None,
        };
        let md = notes(
            &[commit('a', "Ann", "fix: crash (#4)\n\nRefs: OPS-9, #4")],
            &links,
        );
        assert!(
            md.contains("- crash ([#4](https://gitea.example.com/acme/shop/issues/4)) ([aaaaaaa](https://gitea.example.com/acme/shop/commit/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa)), refs OPS-9\n"),
            "{md}"
        );
    }

    #[test]
    fn references_are_deduplicated() {
        let mut c = commit('a', "Ann", "fix: x (#4)");
        c.message.references = vec![
            Reference::Number(4),
            Reference::Key("OPS-9".into()),
            Reference::Number(4),
            Reference::Key("OPS-9".into()),
        ];
        let md = generate(
            &heading("1.0.0", None),
            &[c],
            &analyze(&[]),
            &Links::default(),
        );
        assert!(md.contains("- x (#4) (`aaaaaaa`), refs OPS-9\n"), "{md}");
    }

    // ---- escaping -----------------------------------------------------------

    #[test]
    fn html_in_commit_text_becomes_literal_text() {
        let commits = [
            commit('a', "Mallory", "feat: <script>alert(1)</script>"),
            commit(
                'b',
                "Mallory",
                "fix(<b>ui</b>): <img src=x onerror=alert(1)>",
            ),
            commit(
                'c',
                "<img src=x onerror=alert(2)>",
                "feat!: break\n\nBREAKING CHANGE: <iframe src=\"javascript:alert(3)\"></iframe>",
            ),
            commit('d', "Mallory", "<svg onload=alert(4)> & friends"),
        ];
        let md = notes(&commits, &github());
        assert!(!md.contains('<'), "{md}");
        assert!(!md.contains('>'), "{md}");
        assert!(md.contains("- &lt;script&gt;alert(1)&lt;/script&gt; ("));
        assert!(md.contains("- **&lt;b&gt;ui&lt;/b&gt;:** &lt;img src=x onerror=alert(1)&gt; ("));
        assert!(md.contains("  &lt;iframe src=\"javascript:alert(3)\"&gt;&lt;/iframe&gt;\n"));
        assert!(md.contains("- &lt;svg onload=alert(4)&gt; &amp; friends ("));
        assert!(md.contains("&lt;img src=x onerror=alert(2)&gt;\n"));
    }

    #[test]
    fn markdown_in_commit_text_becomes_literal_text() {
        let md = notes(
            &[
                commit('a', "Ann", "feat: [click](javascript:alert(1))"),
                commit('b', "Ann", "fix: **bold** _it_ `code` ~~gone~~ a|b \\n"),
                commit('c', "Ann", "![img](https://evil.example.com/x.png)"),
                commit('d', "Ann", "# Heading"),
                commit('e', "Ann", "1. first"),
                commit('f', "Ann", "2024.1 was fine"),
            ],
            &Links::default(),
        );
        assert!(md.contains("- \\[click\\](javascript:alert(1)) ("), "{md}");
        assert!(
            md.contains("- \\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~gone\\~\\~ a\\|b \\\\n ("),
            "{md}"
        );
        assert!(
            md.contains("- !\\[img\\](https://evil.example.com/x.png) ("),
            "{md}"
        );
        assert!(md.contains("- \\# Heading ("), "{md}");
        assert!(md.contains("- 1\\. first ("), "{md}");
        assert!(md.contains("- 2024.1 was fine ("), "{md}");
    }

    #[test]
    fn escaping_rules() {
        assert_eq!(escape("a & b < c > d"), "a &amp; b &lt; c &gt; d");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("line\nbreak\r\tand tab"), "line break  and tab");
        assert_eq!(escape("  padded  "), "padded");
        assert_eq!(escape("-x"), "\\-x");
        assert_eq!(escape("+x"), "\\+x");
        assert_eq!(escape("=x"), "\\=x");
        assert_eq!(escape("# x"), "\\# x");
        assert_eq!(escape("###"), "\\###");
        assert_eq!(escape("#4 and #x"), "#4 and #x");
        assert_eq!(escape("12) x"), "12\\) x");
        assert_eq!(escape("12."), "12\\.");
        assert_eq!(escape("1.4.0"), "1.4.0");
        assert_eq!(escape("a-b"), "a-b");
        assert_eq!(escape("café ☕"), "café ☕");
    }

    #[test]
    fn link_destinations_cannot_be_broken_out_of() {
        assert_eq!(
            destination("https://x.example.com/a b(c)<d>\"e'f\\g`h"),
            "https://x.example.com/a%20b%28c%29%3Cd%3E%22e%27f%5Cg%60h"
        );
        assert_eq!(
            destination("https://x.example.com/ü"),
            "https://x.example.com/ü"
        );
        let mut c = commit('a', "Ann", "fix: x");
        c.message.references = vec![Reference::Url(
            "https://x.example.com/a)<script>alert(1)</script>".into(),
        )];
        let md = generate(&heading("1.0.0", None), &[c], &analyze(&[]), &github());
        assert!(!md.contains('<') && !md.contains('>'), "{md}");
        assert!(md.contains("(https://x.example.com/a%29%3Cscript%3Ealert%281%29%3C/script%3E)"));
    }

    #[test]
    fn the_heading_is_escaped_too() {
        let md = generate(
            &heading("<b>1.0</b>", Some("2026-01-02")),
            &[],
            &analyze(&[]),
            &Links::default(),
        );
        assert_eq!(
            md,
            "## &lt;b&gt;1.0&lt;/b&gt; (2026-01-02)\n\nNo changes.\n"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Whatever the commits say, the notes contain no raw `<` or `>`
            /// (so no HTML) and every line outside list items is one of ours.
            #[test]
            fn generated_notes_never_contain_html(
                message in ".{0,80}(\n.{0,40}){0,4}",
                author in ".{0,30}",
                web in proptest::option::of(Just("https://github.com/acme/shop".to_owned())),
            ) {
                let commits = [
                    NoteCommit { id: sha('a'), message: parse(&message), author },
                    commit('b', "Ann", &format!("feat!: x\n\nBREAKING CHANGE: {message}")),
                ];
                let links = Links { web_url: web, issue_url: Some("https://j.example.com/{key}".into()) };
                let md = notes(&commits, &links);
                prop_assert!(!md.contains('<'), "{}", md);
                prop_assert!(!md.contains('>'), "{}", md);
                for line in md.lines() {
                    prop_assert!(
                        line.is_empty()
                            || line.starts_with("## ")
                            || line.starts_with("### ")
                            || line.starts_with("- ")
                            || line.starts_with("  ")
                            || line == "No changes."
                            || md.contains(&format!("### Contributors\n\n{line}")),
                        "unexpected line {:?} in\n{}", line, md
                    );
                }
            }
        }
    }

    // ---- changelog ----------------------------------------------------------

    #[test]
    fn changelog_assembly() {
        let sections = vec![
            "## 1.1.0\n\n### Features\n\n- b (`bbbbbbb`)\n".to_owned(),
            "## 1.0.0\n\nNo changes.\n\n\n".to_owned(),
            "\n".to_owned(),
            "## 0.9.0\n\nHand-written.".to_owned(),
        ];
        assert_eq!(
            changelog(&sections),
            "# Changelog\n\n## 1.1.0\n\n### Features\n\n- b (`bbbbbbb`)\n\n## 1.0.0\n\nNo changes.\n\n## 0.9.0\n\nHand-written.\n"
        );
        assert_eq!(changelog(&[]), "# Changelog\n");
    }

    #[test]
    fn changelog_of_generated_notes() {
        let one = notes(&[commit('a', "Ann", "fix: a")], &Links::default());
        let two = notes(&[commit('b', "Ann", "feat: b")], &Links::default());
        let log = changelog(&[two.clone(), one.clone()]);
        assert_eq!(log, format!("# Changelog\n\n{two}\n{one}"));
        assert!(log.ends_with("Ann\n") && !log.ends_with("\n\n"));
    }

    // ---- merging ------------------------------------------------------------

    /// Generates "Unreleased" notes without links, for merge tests.
    fn unreleased(commits: &[NoteCommit]) -> String {
        generate(
            &heading("Unreleased", None),
            commits,
            &analyze(commits),
            &Links::default(),
        )
    }

    #[test]
    fn without_edits_the_regenerated_text_wins() {
        let base = unreleased(&[commit('a', "Ann", "feat: a")]);
        let regenerated =
            unreleased(&[commit('b', "Ben", "fix: b"), commit('a', "Ann", "feat: a")]);
        assert_eq!(
            merge(&base, &base, &regenerated),
            clean(regenerated.clone())
        );
        // Even when the browser sent the text back with CRLF line endings.
        let crlf = base.replace('\n', "\r\n");
        assert_eq!(merge(&base, &crlf, &regenerated), clean(regenerated));
    }

    #[test]
    fn without_new_commits_the_edited_text_stays() {
        let base = unreleased(&[commit('a', "Ann", "feat: a")]);
        let edited = base.replace("- a (`aaaaaaa`)", "- A much better sentence (`aaaaaaa`)");
        assert_eq!(merge(&base, &edited, &base), clean(edited));
    }

    #[test]
    fn a_reworded_entry_survives_and_a_new_feature_appears_right_above_it() {
        let cart = commit('a', "Ann", "feat(cart): add coupons");
        let search = commit('b', "Ann", "feat: search by SKU");
        let base = unreleased(&[cart.clone(), search.clone()]);
        let reworded = "- **cart:** Coupons can now be applied at checkout (`aaaaaaa`)";
        let edited = base.replace("- **cart:** add coupons (`aaaaaaa`)", reworded);
        assert_ne!(edited, base);

        // A newer commit: its entry goes first in Features, directly above
        // the reworded entry; a new author joins the contributors.
        let wishlist = commit('c', "Ben", "feat: wishlists");
        let regenerated = unreleased(&[wishlist, cart, search]);
        // A plain line merge calls the neighbouring changes a conflict.
        assert!(diffy::merge(&base, &edited, &regenerated).is_err());

        let merged = merge(&base, &edited, &regenerated);
        assert_eq!(merged.conflicts, 0, "{}", merged.text);
        assert_eq!(
            merged.text,
            "## Unreleased

### Features

- wishlists (`ccccccc`)
- **cart:** Coupons can now be applied at checkout (`aaaaaaa`)
- search by SKU (`bbbbbbb`)

### Contributors

Ben, Ann
"
        );
    }

    #[test]
    fn a_new_entry_right_after_a_reworded_one_merges_cleanly() {
        // The adjacent-insert case: the new entry lands on the line right
        // after the one the person reworded. A plain line merge calls this a
        // conflict ...
        let base = "## 1.0.0\n\n### Features\n\n- a\n- b\n\n### Contributors\n\nAnn\n";
        let edited = "## 1.0.0\n\n### Features\n\n- a\n- B, reworded\n\n### Contributors\n\nAnn\n";
        let regenerated = "## 1.0.0\n\n### Features\n\n- a\n- b\n- c\n\n### Contributors\n\nAnn\n";
        assert!(diffy::merge(base, edited, regenerated).is_err());
        // ... but only one side changed the line: the other only added after it.
        let merged = merge(base, edited, regenerated);
        assert_eq!(
            merged,
            clean(
                "## 1.0.0\n\n### Features\n\n- a\n- B, reworded\n- c\n\n### Contributors\n\nAnn\n"
                    .into()
            )
        );
    }

    #[test]
    fn a_deleted_entry_stays_deleted() {
        let a = commit('a', "Ann", "fix: a");
        let b = commit('b', "Ann", "fix: b");
        let base = unreleased(&[a.clone(), b.clone()]);
        let edited = base.replace("- a (`aaaaaaa`)\n", "");
        let regenerated = unreleased(&[commit('c', "Ann", "fix: c"), a, b]);
        let merged = merge(&base, &edited, &regenerated);
        assert_eq!(merged.conflicts, 0, "{}", merged.text);
        assert_eq!(
            merged.text,
            "## Unreleased\n\n### Bug fixes\n\n- c (`ccccccc`)\n- b (`bbbbbbb`)\n\n### Contributors\n\nAnn\n"
        );
    }

    #[test]
    fn prose_added_at_the_top_stays_when_the_heading_changes() {
        let a = commit('a', "Ann", "feat: a");
        let base = unreleased(std::slice::from_ref(&a));
        let edited = base.replace(
            "## Unreleased\n\n",
            "## Unreleased\n\nOur biggest release yet.\nThanks to everyone who tested it!\n\n",
        );
        let released = generate(
            &heading("1.0.0", Some("2026-11-23")),
            &[commit('b', "Ben", "feat: b"), a],
            &analyze(&[]),
            &Links::default(),
        );
        let merged = merge(&base, &edited, &released);
        assert_eq!(merged.conflicts, 0, "{}", merged.text);
        assert_eq!(
            merged.text,
            "## 1.0.0 (2026-11-23)

Our biggest release yet.
Thanks to everyone who tested it!

### Features

- b (`bbbbbbb`)
- a (`aaaaaaa`)

### Contributors

Ben, Ann
"
        );
    }

    #[test]
    fn prose_added_in_a_new_section_stays_next_to_a_new_generated_section() {
        let base = "## 1.0.0\n\n### Features\n\n- a\n\n### Contributors\n\nAnn\n";
        let edited =
            "## 1.0.0\n\n### Features\n\n- a\n\n### Upgrading\n\nRestart twice.\n\n### Contributors\n\nAnn\n";
        let regenerated =
            "## 1.0.0\n\n### Features\n\n- a\n\n### Bug fixes\n\n- b\n\n### Contributors\n\nAnn\n";
        let merged = merge(base, edited, regenerated);
        assert_eq!(
            merged,
            clean("## 1.0.0\n\n### Features\n\n- a\n\n### Upgrading\n\nRestart twice.\n\n### Bug fixes\n\n- b\n\n### Contributors\n\nAnn\n".into())
        );
    }

    #[test]
    fn changing_a_line_that_regeneration_also_changes_is_a_conflict() {
        // The commit gained a link (the repository's address was configured)
        // while the person reworded the entry.
        let a = commit('a', "Ann", "feat: add coupons");
        let b = commit('b', "Ann", "fix: typo");
        let base = unreleased(&[a.clone(), b.clone()]);
        let edited = base.replace("- add coupons (", "- Coupons! (");
        let regenerated = generate(
            &heading("Unreleased", None),
            &[a, b],
            &analyze(&[]),
            &github(),
        );
        let merged = merge(&base, &edited, &regenerated);
        assert_eq!(merged.conflicts, 1, "{}", merged.text);
        assert_eq!(conflict_count(&merged.text), 1);
        let expected_block = format!(
            "<<<<<<< your edit\n- Coupons! (`aaaaaaa`)\n=======\n- add coupons ({})\n>>>>>>> regenerated\n",
            link('a')
        );
        assert!(merged.text.contains(&expected_block), "{}", merged.text);
        // The other, untouched change merges normally.
        assert!(merged.text.contains(&format!("- typo ({})\n", link('b'))));
    }

    #[test]
    fn conflict_blocks_leave_out_the_lines_both_sides_agree_on() {
        let base = "x\n- a\n- b\ny\n";
        let edited = "x\n- A!\n- b, too\ny\n";
        let regenerated = "x\n- a (new)\n- b, too\ny\n";
        let merged = merge(base, edited, regenerated);
        assert_eq!(
            merged,
            Merged {
                text: "x\n<<<<<<< your edit\n- A!\n=======\n- a (new)\n>>>>>>> regenerated\n- b, too\ny\n".into(),
                conflicts: 1,
            }
        );
    }

    #[test]
    fn several_conflicts_are_counted() {
        let base = "a\nkeep\nb\nkeep too\nc\n";
        let edited = "A1\nkeep\nB1\nkeep too\nc\n";
        let regenerated = "A2\nkeep\nB2\nkeep too\nc\n";
        let merged = merge(base, edited, regenerated);
        assert_eq!(merged.conflicts, 2, "{}", merged.text);
        assert_eq!(conflict_count(&merged.text), 2);
    }

    #[test]
    fn the_same_change_on_both_sides_is_not_a_conflict() {
        let base = "- a\n- b\n";
        let both = "- a\n- b, fixed\n";
        assert_eq!(merge(base, both, both), clean(both.into()));
    }

    #[test]
    fn both_sides_adding_at_the_same_place_keeps_both_yours_first() {
        let base = "## 1.0.0\n\n- a\n";
        let edited = "## 1.0.0\n\n- a\n- added by hand\n";
        let regenerated = "## 1.0.0\n\n- a\n- generated\n";
        assert_eq!(
            merge(base, edited, regenerated),
            clean("## 1.0.0\n\n- a\n- added by hand\n- generated\n".into())
        );
    }

    #[test]
    fn a_deleted_entry_next_to_a_new_one_stays_deleted() {
        let base = "### Fixes\n\n- a\n- b\n";
        let edited = "### Fixes\n\n- b\n";
        let regenerated = "### Fixes\n\n- new\n- a\n- b\n";
        assert_eq!(
            merge(base, edited, regenerated),
            clean("### Fixes\n\n- new\n- b\n".into())
        );
    }

    #[test]
    fn marker_like_lines_written_by_people_do_not_confuse_the_merge() {
        let base = "Title\n\n- a\n- b\n";
        let edited = "Title\n=======\n\n<<<<<<< ours\n>>>>>>> theirs\n- A\n- b\n";
        let regenerated = "Title\n\n- a (changed)\n- b\n";
        let merged = merge(base, edited, regenerated);
        assert_eq!(merged.conflicts, 1, "{}", merged.text);
        assert_eq!(
            merged.text,
            "Title\n=======\n\n<<<<<<< your edit\n<<<<<<< ours\n>>>>>>> theirs\n- A\n=======\n- a (changed)\n>>>>>>> regenerated\n- b\n"
        );
        // The person's own `<<<<<<< ours` line counts: it must be cleaned up too.
        assert_eq!(conflict_count(&merged.text), 2);
    }

    #[test]
    fn line_endings_and_final_newlines_do_not_cause_conflicts() {
        let base = "a\nb\nc\n";
        let edited = "a\r\nB\r\nc"; // from a browser textarea, no final newline
        let regenerated = "a\nb\nc\nd\n";
        assert_eq!(
            merge(base, edited, regenerated),
            clean("a\nB\nc\nd\n".into())
        );
    }

    #[test]
    fn counting_conflicts() {
        assert_eq!(conflict_count(""), 0);
        assert_eq!(conflict_count("a\n<<< not one\n <<<<<<< indented\n"), 0);
        assert_eq!(
            conflict_count(
                "<<<<<<< your edit\nx\n=======\ny\n>>>>>>> regenerated\n<<<<<<< your edit\r\n"
            ),
            2
        );
    }

    mod merge_properties {
        use super::*;
        use proptest::prelude::*;

        /// Short texts over few distinct lines, so that they overlap a lot.
        fn text() -> impl Strategy<Value = String> {
            proptest::collection::vec(
                prop_oneof![
                    Just(""),
                    Just("- a"),
                    Just("- b"),
                    Just("- c"),
                    Just("### X"),
                    Just("prose")
                ],
                0..12,
            )
            .prop_map(|lines| lines.iter().map(|l| format!("{l}\n")).collect())
        }

        proptest! {
            #[test]
            fn one_sided_changes_win(base in text(), other in text()) {
                prop_assert_eq!(merge(&base, &base, &other), clean(other.clone()));
                prop_assert_eq!(merge(&base, &other, &base), clean(other.clone()));
                prop_assert_eq!(merge(&base, &other, &other), clean(other));
            }

            #[test]
            fn conflicts_are_counted_and_marked(base in text(), edited in text(), regenerated in text()) {
                let merged = merge(&base, &edited, &regenerated);
                prop_assert_eq!(merged.conflicts, conflict_count(&merged.text));
                prop_assert_eq!(merged.text.matches(REGENERATED_MARKER).count(), merged.conflicts);
                prop_assert!(!merged.text.contains(" ours\n") && !merged.text.contains(" original\n"));
                if merged.conflicts == 0 {
                    prop_assert!(merged.text.is_empty() || merged.text.ends_with('\n'));
                }
            }
        }
    }

    // ---- revision diffs -----------------------------------------------------

    fn d(change: LineChange, text: &str) -> DiffLine {
        DiffLine {
            change,
            text: text.into(),
        }
    }

    #[test]
    fn diffing_identical_texts() {
        assert_eq!(
            diff_lines("a\nb\n", "a\r\nb"),
            vec![d(LineChange::Same, "a"), d(LineChange::Same, "b")]
        );
        assert_eq!(diff_lines("", ""), vec![]);
    }

    #[test]
    fn diffing_additions_removals_and_changes() {
        use LineChange::{Added, Removed, Same};
        assert_eq!(
            diff_lines("a\nb\nc\nd\n", "a\nc\nD\nd\ne\n"),
            vec![
                d(Same, "a"),
                d(Removed, "b"),
                d(Same, "c"),
                d(Added, "D"),
                d(Same, "d"),
                d(Added, "e"),
            ]
        );
        assert_eq!(
            diff_lines("", "x\n\ny"),
            vec![d(Added, "x"), d(Added, ""), d(Added, "y")]
        );
        assert_eq!(diff_lines("x\n", ""), vec![d(Removed, "x")]);
    }

    #[test]
    fn diffing_far_apart_changes_lists_every_line() {
        let old: String = (0..50).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 47\n", "");
        let diff = diff_lines(&old, &new);
        assert_eq!(diff.len(), 51);
        assert_eq!(
            diff.iter().filter(|l| l.change == LineChange::Same).count(),
            48
        );
        assert_eq!(diff[2], d(LineChange::Removed, "line 2"));
        assert_eq!(diff[3], d(LineChange::Added, "line two"));
        assert_eq!(diff[48], d(LineChange::Removed, "line 47"));
        assert_eq!(diff[50], d(LineChange::Same, "line 49"));
    }

    mod diff_properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The old text is the kept and removed lines, the new text the
            /// kept and added ones.
            #[test]
            fn a_diff_rebuilds_both_texts(
                old in proptest::collection::vec("[abc]{0,2}", 0..15),
                new in proptest::collection::vec("[abc]{0,2}", 0..15),
            ) {
                let (old_text, new_text) = (old.join("\n"), new.join("\n"));
                let diff = diff_lines(&old_text, &new_text);
                let side = |skip: LineChange| -> Vec<String> {
                    diff.iter().filter(|l| l.change != skip).map(|l| l.text.clone()).collect()
                };
                let expect = |t: &str| -> Vec<String> { t.lines().map(str::to_owned).collect() };
                prop_assert_eq!(side(LineChange::Added), expect(&old_text));
                prop_assert_eq!(side(LineChange::Removed), expect(&new_text));
            }
        }
    }

    #[test]
    fn diffing_a_merge() {
        let base = "## 1.0.0\n\n- a\n";
        let merged = merge(
            base,
            "## 1.0.0\n\nIntro.\n\n- a\n",
            "## 1.0.0\n\n- b\n- a\n",
        )
        .text;
        let added: Vec<String> = diff_lines(base, &merged)
            .into_iter()
            .filter(|l| l.change == LineChange::Added)
            .map(|l| l.text)
            .collect();
        assert_eq!(added, vec!["Intro.", "", "- b"]);
    }
}
