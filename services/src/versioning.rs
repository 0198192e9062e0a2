//! The versioning engine, shared by the portal and the `slipway` command
//! line: from a repository and a release policy to the next version, its
//! explanation, the release notes, the whole changelog and the answer to
//! "which release has my change?".

use crate::git::{GitCommit, GitError, Repo, VersionTag};
use semver::Version;
use serde::Serialize;
use slipway_domain::conventional::{self, Reference};
use slipway_domain::notes::{self, Links, NoteCommit, NotesHeading};
use slipway_domain::tagging::{ReleasePolicy, Scheme};
use slipway_domain::version::{next_calver, Analysis, Bump, RangeCommit};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{0}")]
    Invalid(String),
}

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest<'a> {
    /// Branch, tag or commit the release would be made from.
    pub rev: &'a str,
    pub component: Option<&'a str>,
    /// Pre-release channel (`rc`, `beta`); `None` for a final release.
    pub channel: Option<&'a str>,
    /// Start the range here instead of at the last release (notes only:
    /// the version is still computed from the last release).
    pub since: Option<&'a str>,
    /// Today, for calendar versions.
    pub today: time::Date,
}

/// A release tag as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagInfo {
    pub name: String,
    pub version: String,
    pub commit: String,
}

impl From<&VersionTag> for TagInfo {
    fn from(t: &VersionTag) -> Self {
        Self {
            name: t.name.clone(),
            version: t.version.to_string(),
            commit: t.commit.to_string(),
        }
    }
}

/// The next release of a line, with everything that decided it.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub rev: String,
    /// The commit the release would be made from.
    pub tip: String,
    pub component: Option<String>,
    pub last_release: Option<TagInfo>,
    pub last_prerelease: Option<TagInfo>,
    /// Commits since the last release (merge commits left out), newest first.
    pub commits: Vec<NoteCommit>,
    /// Merge commits in the range (their pull-request references are carried
    /// over to the commits they brought in).
    pub merges: usize,
    pub analysis: Analysis,
    pub bump: Bump,
    pub next: Option<String>,
    pub next_tag: Option<String>,
    pub explanation: String,
    /// What the project's notes leave out.
    pub notes_policy: notes::NotesPolicy,
}

impl Plan {
    /// The markdown release notes for this plan.
    pub fn notes(&self, links: &Links, date: Option<String>) -> String {
        let title = self.next.clone().unwrap_or_else(|| "Unreleased".to_owned());
        self.notes_titled(links, title, date)
    }

    /// The notes of this range under a given title (a release that exists).
    pub fn notes_titled(&self, links: &Links, title: String, date: Option<String>) -> String {
        notes::generate_with(
            &NotesHeading { title, date },
            &self.commits,
            &self.analysis,
            links,
            &self.notes_policy,
        )
    }
}

/// Plans the next release of a line from `req.rev`.
pub fn plan(repo: &Repo, policy: &ReleasePolicy, req: &PlanRequest<'_>) -> Result<Plan, PlanError> {
    let line = policy.line(req.component).map_err(PlanError::Invalid)?;
    let tip = repo.resolve(req.rev)?;
    let tags = repo.version_tags(&line)?;
    // One walk answers both (it used to be a merge-base per newer tag, twice).
    let (last_final, last_any) = repo.latest_reachable_both(&tags, tip)?;
    let last_pre = last_any
        .filter(|t| !t.version.pre.is_empty() && last_final.is_none_or(|f| t.version > f.version));

    let base = match req.since {
        Some(since) => Some(repo.resolve(since)?),
        None => last_final.map(|t| t.commit),
    };
    let range = repo.range(tip, base, &line.paths)?;
    let (commits, merges) = note_commits(&range.iter().collect::<Vec<_>>());
    let range_commits: Vec<RangeCommit> = commits
        .iter()
        .map(|c| RangeCommit {
            id: c.id.clone(),
            message: c.message.clone(),
        })
        .collect();
    let analysis = policy.versioning.analyze(&range_commits);
    let last_final_version = last_final.map(|t| &t.version);

    let next: Option<Version> = match (policy.scheme, req.channel) {
        (Scheme::Calver, Some(_)) => {
            return Err(PlanError::Invalid(
                "Pre-release channels apply to SemVer; this policy uses calendar versions.".into(),
            ))
        }
        (Scheme::Calver, None) => {
            if analysis.bump == Bump::None {
                None
            } else {
                Some(
                    next_calver(
                        last_final_version,
                        req.today.year().clamp(0, 9999) as u16,
                        req.today.month() as u8,
                    )
                    .map_err(PlanError::Invalid)?,
                )
            }
        }
        (Scheme::Semver, None) => policy.versioning.next(last_final_version, analysis.bump),
        (Scheme::Semver, Some(channel)) => policy
            .versioning
            .next_prerelease(
                last_final_version,
                last_pre.map(|t| &t.version),
                analysis.bump,
                channel,
            )
            .map_err(PlanError::Invalid)?,
    };
    let mut explanation = policy.versioning.explain(next.as_ref(), &analysis);
    if let (Scheme::Calver, Some(v)) = (policy.scheme, &next) {
        explanation = format!(
            "{v}: calendar version for {}-{:02}, released because of {}.",
            req.today.year(),
            req.today.month() as u8,
            match analysis.bump {
                Bump::Major => "breaking changes",
                Bump::Minor => "new features",
                _ => "fixes",
            }
        );
    }
    if let Some(v) = &next {
        refuse_existing_or_backwards(v, &tags, last_any, req.channel)?;
    }
    Ok(Plan {
        rev: req.rev.to_owned(),
        tip: tip.to_string(),
        component: line.component.clone(),
        last_release: last_final.map(TagInfo::from),
        last_prerelease: last_pre.map(TagInfo::from),
        merges,
        bump: analysis.bump,
        next_tag: next.as_ref().map(|v| line.tag_for(v)),
        next: next.map(|v| v.to_string()),
        explanation,
        commits,
        analysis,
        notes_policy: policy.notes.clone(),
    })
}

/// Never proposes a version that already exists (a tag elsewhere, on a
/// release branch say) or that goes backwards (below a reachable
/// pre-release): the rule is [`slipway_domain::version::check_proposal`].
fn refuse_existing_or_backwards(
    v: &Version,
    tags: &[VersionTag],
    last_any: Option<&VersionTag>,
    channel: Option<&str>,
) -> Result<(), PlanError> {
    let existing = tags
        .iter()
        .find(|t| &t.version == v)
        .map(|t| t.name.as_str());
    let newest_pre = last_any
        .filter(|t| !t.version.pre.is_empty())
        .map(|t| (t.name.as_str(), &t.version));
    slipway_domain::version::check_proposal(v, existing, newest_pre, channel)
        .map_err(PlanError::Invalid)
}

/// Turns a range (newest first) into note commits: merge commits are left
/// out, and the pull-request references in their messages ("Merge pull
/// request #12 from ...") are added to the commits each merge brought in,
/// so merge-commit and squash-merge workflows both link their PRs.
fn note_commits(range: &[&GitCommit]) -> (Vec<NoteCommit>, usize) {
    let by_id: HashMap<&str, &GitCommit> = range.iter().map(|c| (c.id.as_str(), *c)).collect();
    let mut extra_refs: HashMap<String, Vec<Reference>> = HashMap::new();
    let mut merges = 0;
    for m in range.iter().filter(|c| c.parents > 1) {
        merges += 1;
        let refs = conventional::parse(&m.message).references;
        if refs.is_empty() {
            continue;
        }
        let first_side = reachable_within(&by_id, &m.parent_ids[..1]);
        for id in reachable_within(&by_id, &m.parent_ids[1..]) {
            if !first_side.contains(&id) {
                extra_refs
                    .entry(id)
                    .or_default()
                    .extend(refs.iter().cloned());
            }
        }
    }
    let commits = range
        .iter()
        .filter(|c| c.parents <= 1)
        .map(|c| {
            let mut message = conventional::parse(&c.message);
            for r in extra_refs.remove(&c.id).unwrap_or_default() {
                if !message.references.contains(&r) {
                    message.references.push(r);
                }
            }
            NoteCommit {
                id: c.id.clone(),
                message,
                author: c.author.clone(),
            }
        })
        .collect();
    (commits, merges)
}

/// Commit ids reachable from `starts` without leaving the range.
fn reachable_within(by_id: &HashMap<&str, &GitCommit>, starts: &[String]) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut stack: Vec<&str> = starts.iter().map(String::as_str).collect();
    while let Some(id) = stack.pop() {
        let Some(c) = by_id.get(id) else { continue };
        if seen.insert(id.to_owned()) {
            stack.extend(c.parent_ids.iter().map(String::as_str));
        }
    }
    seen
}

fn date_of(seconds: i64) -> Option<String> {
    Some(crate::clock::format_date_ms(seconds.checked_mul(1000)?))
}

/// The release a ref names, when it is one of the line's release tags (by
/// tag name, or by version): its version and the date of its commit. A
/// changelog up to a release is titled with that release, not the next one.
pub fn release_at(
    repo: &Repo,
    policy: &ReleasePolicy,
    component: Option<&str>,
    rev: &str,
) -> Result<Option<(String, Option<String>)>, PlanError> {
    let line = policy.line(component).map_err(PlanError::Invalid)?;
    let tags = repo.version_tags(&line)?;
    let Some(tag) = tags
        .iter()
        .find(|t| t.name == rev || t.version.to_string() == rev)
    else {
        return Ok(None);
    };
    let date = date_of(repo.commit_time(tag.commit)?);
    Ok(Some((tag.version.to_string(), date)))
}

/// The whole CHANGELOG.md of a line as seen from `rev`: a section per
/// release tag reachable from it, newest first, plus Unreleased.
pub fn changelog_all(
    repo: &Repo,
    policy: &ReleasePolicy,
    component: Option<&str>,
    rev: &str,
    links: &Links,
) -> Result<String, PlanError> {
    let line = policy.line(component).map_err(PlanError::Invalid)?;
    let tip = repo.resolve(rev)?;
    let graph = repo.graph(&[tip])?;
    let mut tags: Vec<VersionTag> = repo
        .version_tags(&line)?
        .into_iter()
        .filter(|t| graph.index_of(t.commit).is_some())
        .collect();
    tags.reverse(); // ascending versions
    let owner = graph.first_release(&tags);
    let mut per_tag: Vec<Vec<usize>> = vec![Vec::new(); tags.len()];
    let mut unreleased = Vec::new();
    for (i, o) in owner.iter().enumerate() {
        match o {
            Some(t) => per_tag[*t as usize].push(i),
            None => unreleased.push(i),
        }
    }
    // One section per release (and Unreleased), each from its own commits.
    let mut jobs: Vec<(String, Option<String>, &[usize])> = Vec::with_capacity(tags.len() + 1);
    if !unreleased.is_empty() {
        jobs.push(("Unreleased".into(), None, &unreleased));
    }
    for (ti, tag) in tags.iter().enumerate().rev() {
        let date = graph
            .index_of(tag.commit)
            .and_then(|i| date_of(graph.commits[i].time));
        jobs.push((tag.version.to_string(), date, &per_tag[ti]));
    }
    let section = |commits: Vec<&GitCommit>, title: &str, date: &Option<String>| -> String {
        let (commits, _) = note_commits(&commits);
        let rc: Vec<RangeCommit> = commits.iter().map(NoteCommit::to_range_commit).collect();
        let analysis = policy.versioning.analyze(&rc);
        notes::generate_with(
            &NotesHeading {
                title: title.to_owned(),
                date: date.clone(),
            },
            &commits,
            &analysis,
            links,
            &policy.notes,
        )
    };
    let sections: Vec<String> = if line.paths.is_empty() {
        // Sections are independent: build them on every core.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let next = AtomicUsize::new(0);
        let done: Vec<Vec<(usize, String)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let j = next.fetch_add(1, Ordering::Relaxed);
                            let Some((title, date, idx)) = jobs.get(j) else {
                                break;
                            };
                            let commits = idx.iter().map(|&i| &graph.commits[i]).collect();
                            mine.push((j, section(commits, title, date)));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_default())
                .collect()
        });
        let mut out: Vec<Option<String>> = vec![None; jobs.len()];
        for (j, text) in done.into_iter().flatten() {
            out[j] = Some(text);
        }
        if out.iter().any(Option::is_none) {
            return Err(PlanError::Git(GitError::Read(
                "a changelog worker failed".into(),
            )));
        }
        out.into_iter().flatten().collect()
    } else {
        // Path filters read trees through the (single-threaded) repository.
        let mut sections = Vec::with_capacity(jobs.len());
        for (title, date, idx) in &jobs {
            let mut commits = Vec::with_capacity(idx.len());
            for &i in *idx {
                let c = &graph.commits[i];
                if c.parents > 1 || repo.touches_id(&c.id, &line.paths)? {
                    commits.push(c);
                }
            }
            sections.push(section(commits, title, date));
        }
        sections
    };
    Ok(notes::changelog(&sections))
}

/// One commit found by "where is my change?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Found {
    pub id: String,
    pub subject: String,
    pub author: String,
    /// The release that first shipped it (tag name), if any.
    pub first_release: Option<String>,
    /// Every release tag that contains it, oldest first.
    pub releases: Vec<String>,
}

/// What a "where is my change?" query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeQuery {
    Commit(String),
    Reference(Reference),
    Text(String),
}

impl ChangeQuery {
    pub fn parse(q: &str) -> Result<Self, String> {
        let q = q.trim();
        if q.is_empty() {
            return Err("Type a commit id, an issue or PR reference (#123, SHOP-42) or words from a commit message.".into());
        }
        if q.len() > 200 {
            return Err("That search is too long (at most 200 characters).".into());
        }
        if (7..=40).contains(&q.len()) && q.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(ChangeQuery::Commit(q.to_ascii_lowercase()));
        }
        if let Some(n) = q.strip_prefix('#').and_then(|n| n.parse::<u64>().ok()) {
            return Ok(ChangeQuery::Reference(Reference::Number(n)));
        }
        if q.starts_with("http://") || q.starts_with("https://") {
            return Ok(ChangeQuery::Reference(Reference::Url(q.to_owned())));
        }
        if let Some((key, num)) = q.split_once('-') {
            if !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && key.starts_with(|c: char| c.is_ascii_uppercase())
                && !num.is_empty()
                && num.chars().all(|c| c.is_ascii_digit())
            {
                return Ok(ChangeQuery::Reference(Reference::Key(q.to_owned())));
            }
        }
        Ok(ChangeQuery::Text(q.to_lowercase()))
    }
}

/// Finds the commits matching `query` on `rev` and every release branch or
/// tag, and the releases that contain each (by tag reachability). At most
/// `limit` commits, newest first.
pub fn find_change(
    repo: &Repo,
    policy: &ReleasePolicy,
    component: Option<&str>,
    rev: &str,
    query: &ChangeQuery,
    limit: usize,
) -> Result<Vec<Found>, PlanError> {
    let line = policy.line(component).map_err(PlanError::Invalid)?;
    let mut tags = repo.version_tags(&line)?;
    tags.reverse();
    let mut tips = vec![repo.resolve(rev)?];
    tips.extend(tags.iter().map(|t| t.commit));
    let graph = repo.graph(&tips)?;
    let owner = graph.first_release(&tags);
    let matches = |c: &GitCommit| -> bool {
        match query {
            ChangeQuery::Commit(prefix) => c.id.starts_with(prefix.as_str()),
            ChangeQuery::Reference(r) => {
                let needle = match r {
                    Reference::Number(n) => format!("#{n}"),
                    Reference::Key(k) => k.clone(),
                    Reference::Url(u) => u.clone(),
                };
                c.message.contains(&needle)
                    && conventional::parse(&c.message).references.contains(r)
            }
            ChangeQuery::Text(t) => c.message.to_lowercase().contains(t.as_str()),
        }
    };
    let tag_at: HashMap<usize, Vec<usize>> =
        tags.iter()
            .enumerate()
            .fold(HashMap::new(), |mut m, (ti, t)| {
                if let Some(i) = graph.index_of(t.commit) {
                    m.entry(i).or_default().push(ti);
                }
                m
            });
    let mut children: Option<Vec<Vec<u32>>> = None;
    let mut found = Vec::new();
    for (i, c) in graph.commits.iter().enumerate() {
        if found.len() >= limit {
            break;
        }
        if !matches(c) {
            continue;
        }
        let children = children.get_or_insert_with(|| {
            let mut ch = vec![Vec::new(); graph.commits.len()];
            for (ci, ps) in graph.parents.iter().enumerate() {
                for p in ps {
                    ch[*p as usize].push(ci as u32);
                }
            }
            ch
        });
        // Every tag whose commit descends from this one contains it.
        let mut seen = vec![false; graph.commits.len()];
        let mut stack = vec![i];
        let mut containing: Vec<usize> = Vec::new();
        while let Some(x) = stack.pop() {
            if std::mem::replace(&mut seen[x], true) {
                continue;
            }
            if let Some(ts) = tag_at.get(&x) {
                containing.extend(ts);
            }
            stack.extend(
                children[x]
                    .iter()
                    .map(|c| *c as usize)
                    .filter(|c| !seen[*c]),
            );
        }
        containing.sort_unstable();
        found.push(Found {
            id: c.id.clone(),
            subject: c.message.lines().next().unwrap_or_default().to_owned(),
            author: c.author.clone(),
            first_release: owner[i].map(|t| tags[t as usize].name.clone()),
            releases: containing.iter().map(|t| tags[*t].name.clone()).collect(),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
