//! Reading history with gix.

use super::GitError;
use gix::hash::ObjectId;
use semver::Version;
use slipway_domain::tagging::ReleaseLine;
use std::collections::HashMap;
use std::path::Path;

/// An open repository (working copy or bare mirror).
pub struct Repo {
    inner: gix::Repository,
}

/// A commit as release notes need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCommit {
    pub id: String,
    pub parents: usize,
    pub parent_ids: Vec<String>,
    pub author: String,
    /// Seconds since the epoch (committer time).
    pub time: i64,
    pub message: String,
}

/// A release tag on a release line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTag {
    pub name: String,
    pub version: Version,
    pub commit: ObjectId,
}

impl Repo {
    pub fn open(path: &Path) -> Result<Self, GitError> {
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(GitError::NotARepository(format!(
                "{shown} (no such directory)"
            )));
        }
        let mut inner = gix::open(path).map_err(|_| GitError::NotARepository(shown))?;
        inner.object_cache_size_if_unset(16 * 1024 * 1024);
        Ok(Self { inner })
    }

    /// The commit a ref (branch, tag, `HEAD`, full or short id) points to.
    pub fn resolve(&self, rev: &str) -> Result<ObjectId, GitError> {
        if rev.trim().is_empty() || rev.starts_with('-') {
            return Err(GitError::UnknownRef(rev.to_owned()));
        }
        match self.inner.rev_parse_single(rev) {
            Ok(id) => id
                .object()
                .and_then(|o| o.peel_to_commit())
                .map(|c| c.id)
                .map_err(|_| GitError::UnknownRef(rev.to_owned())),
            Err(_) => {
                if rev == "HEAD" && self.is_empty()? {
                    Err(GitError::Empty)
                } else {
                    Err(GitError::UnknownRef(rev.to_owned()))
                }
            }
        }
    }

    /// A commit's committer time, seconds since the epoch.
    pub fn commit_time(&self, id: ObjectId) -> Result<i64, GitError> {
        let commit = self.inner.find_commit(id).map_err(GitError::read)?;
        let decoded = commit.decode().map_err(GitError::read)?;
        Ok(decoded.time().map(|t| t.seconds).unwrap_or_default())
    }

    /// True when no branch or tag points at a commit.
    pub fn is_empty(&self) -> Result<bool, GitError> {
        let refs = self.inner.references().map_err(GitError::read)?;
        let mut all = refs.all().map_err(GitError::read)?;
        Ok(!all.any(|r| r.is_ok()))
    }

    /// Full hex id of the commit a short id or ref names.
    pub fn full_id(&self, rev: &str) -> Result<String, GitError> {
        self.resolve(rev).map(|id| id.to_string())
    }

    /// The line's release tags, newest version first. Tags that do not
    /// parse as a version of this line are ignored.
    pub fn version_tags(&self, line: &ReleaseLine) -> Result<Vec<VersionTag>, GitError> {
        let refs = self.inner.references().map_err(GitError::read)?;
        let mut tags = Vec::new();
        for r in refs.tags().map_err(GitError::read)? {
            let Ok(mut r) = r else { continue };
            let name = r.name().shorten().to_string();
            let Some(version) = line.version_of(&name) else {
                continue;
            };
            // A tag on a tree or blob is not a release.
            let Ok(commit) = r.peel_to_commit() else {
                continue;
            };
            tags.push(VersionTag {
                name,
                version,
                commit: commit.id,
            });
        }
        tags.sort_by(|a, b| b.version.cmp(&a.version).then_with(|| a.name.cmp(&b.name)));
        Ok(tags)
    }

    /// Whether `ancestor` is reachable from `descendant` (or is it).
    pub fn is_ancestor(&self, ancestor: ObjectId, descendant: ObjectId) -> Result<bool, GitError> {
        if ancestor == descendant {
            return Ok(true);
        }
        match self.inner.merge_base(ancestor, descendant) {
            Ok(Some(base)) => Ok(base.detach() == ancestor),
            Ok(None) => Ok(false),
            Err(e) => Err(GitError::read(e)),
        }
    }

    /// The newest tag (by version) in `tags` reachable from `tip`;
    /// `finals_only` skips pre-releases. `tags` must be newest first.
    pub fn latest_reachable<'t>(
        &self,
        tags: &'t [VersionTag],
        tip: ObjectId,
        finals_only: bool,
    ) -> Result<Option<&'t VersionTag>, GitError> {
        let (final_, any) = self.latest_reachable_both(tags, tip)?;
        Ok(if finals_only { final_ } else { any })
    }

    /// The newest final release tag and the newest tag of any kind
    /// reachable from `tip`, in one walk. `tags` must be newest first.
    ///
    /// The walk goes from `tip` towards older commits and stops as soon as
    /// every tag newer than the answers is decided. With a commit-graph
    /// (every mirror has one) it goes in order of generation number, so a
    /// tag whose generation is above everything left to visit is decided
    /// unreachable at once (an ancestor's generation is always lower): tags
    /// on release branches that main never reached cost nothing each.
    /// Without one, unreachable tags are known only at the end of the walk,
    /// which then covers the history once (no longer a merge-base per tag).
    pub fn latest_reachable_both<'t>(
        &self,
        tags: &'t [VersionTag],
        tip: ObjectId,
    ) -> Result<(Option<&'t VersionTag>, Option<&'t VersionTag>), GitError> {
        let mut search = TagSearch::new(tags);
        if let Some(found) = self.search_by_generation(&mut search, tip) {
            return Ok(found);
        }
        let mut search = TagSearch::new(tags);
        let mut tag_at: HashMap<ObjectId, Vec<usize>> = HashMap::new();
        for (i, t) in tags.iter().enumerate() {
            tag_at.entry(t.commit).or_default().push(i);
        }
        if search.floor(|_| 0).is_some() {
            for info in self.inner.rev_walk([tip]).all().map_err(GitError::read)? {
                let info = info.map_err(GitError::read)?;
                if let Some(at) = tag_at.get(&info.id) {
                    at.iter().for_each(|&i| search.hit(i));
                    if search.floor(|_| 0).is_none() {
                        break;
                    }
                }
            }
        }
        Ok(search.answers())
    }

    /// [`Repo::latest_reachable_both`] on the commit-graph; `None` when the
    /// graph is missing, disabled, or does not hold `tip` or every tag.
    #[allow(clippy::type_complexity)]
    fn search_by_generation<'t>(
        &self,
        search: &mut TagSearch<'t>,
        tip: ObjectId,
    ) -> Option<(Option<&'t VersionTag>, Option<&'t VersionTag>)> {
        use gix::commitgraph::Position;
        let graph = self.inner.commit_graph_if_enabled().ok().flatten()?;
        let tip_pos = graph.lookup(tip)?;
        let mut tag_at: HashMap<u32, Vec<usize>> = HashMap::new();
        let mut generation = Vec::with_capacity(search.tags.len());
        for (i, t) in search.tags.iter().enumerate() {
            let pos = graph.lookup(t.commit)?;
            let g = graph.commit_at(pos).generation();
            if g == 0 {
                return None; // generation numbers not computed
            }
            generation.push(g);
            tag_at.entry(pos.0).or_default().push(i);
        }
        let mut floor = search.floor(|i| generation[i]);
        let mut visited = vec![false; graph.num_commits() as usize];
        let mut heap = std::collections::BinaryHeap::new();
        visited[tip_pos.0 as usize] = true;
        heap.push((graph.commit_at(tip_pos).generation(), tip_pos.0));
        while let Some(limit) = floor {
            let Some(&(g, pos)) = heap.peek() else { break };
            if g < limit {
                break; // every undecided tag is above everything left: unreachable
            }
            heap.pop();
            if let Some(at) = tag_at.get(&pos) {
                at.iter().for_each(|&i| search.hit(i));
                floor = search.floor(|i| generation[i]);
            }
            for parent in graph.commit_at(Position(pos)).iter_parents() {
                let parent = parent.ok()?;
                if let Some(seen) = visited.get_mut(parent.0 as usize) {
                    if !*seen {
                        *seen = true;
                        heap.push((graph.commit_at(parent).generation(), parent.0));
                    }
                }
            }
        }
        Some(search.answers())
    }

    /// Commits reachable from `tip` and not from `hidden`, newest first,
    /// keeping only those that touch `paths` (all when empty). Merge
    /// commits are included (with their parent count) for the caller to
    /// judge.
    pub fn range(
        &self,
        tip: ObjectId,
        hidden: Option<ObjectId>,
        paths: &[String],
    ) -> Result<Vec<GitCommit>, GitError> {
        let walk = self
            .inner
            .rev_walk([tip])
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                Default::default(),
            ));
        let walk = match hidden {
            Some(h) => walk.with_hidden([h]),
            None => walk,
        };
        let mut out = Vec::new();
        for info in walk.all().map_err(GitError::read)? {
            let info = info.map_err(GitError::read)?;
            let commit = info.object().map_err(GitError::read)?;
            if !paths.is_empty() && !self.touches(&commit, paths)? {
                continue;
            }
            out.push(to_git_commit(&commit, &info.parent_ids)?);
        }
        Ok(out)
    }

    /// [`Repo::touches`] for a commit id.
    pub fn touches_id(&self, id: &str, paths: &[String]) -> Result<bool, GitError> {
        if paths.is_empty() {
            return Ok(true);
        }
        let oid = ObjectId::from_hex(id.as_bytes()).map_err(GitError::read)?;
        let commit = self.inner.find_commit(oid).map_err(GitError::read)?;
        self.touches(&commit, paths)
    }

    /// Whether a commit changes anything under `paths`, compared with its
    /// first parent (merges: the first parent is the line they land on).
    fn touches(&self, commit: &gix::Commit<'_>, paths: &[String]) -> Result<bool, GitError> {
        let tree = commit.tree().map_err(GitError::read)?;
        let parent_tree = match commit.parent_ids().next() {
            Some(p) => Some(
                p.object()
                    .map_err(GitError::read)?
                    .into_commit()
                    .tree()
                    .map_err(GitError::read)?,
            ),
            None => None,
        };
        for p in paths {
            let now = tree
                .lookup_entry_by_path(p.as_str())
                .map_err(GitError::read)?
                .map(|e| e.object_id());
            let before = match &parent_tree {
                Some(t) => t
                    .lookup_entry_by_path(p.as_str())
                    .map_err(GitError::read)?
                    .map(|e| e.object_id()),
                None => None,
            };
            if now != before {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Every commit reachable from `tips`, loaded once, for whole-history
    /// questions (the full changelog, "which release has my change?").
    /// The walk only collects ids and parents; reading and decoding the
    /// commits, the expensive part, is spread over the available cores.
    pub fn graph(&self, tips: &[ObjectId]) -> Result<Graph, GitError> {
        let mut graph = Graph::default();
        if tips.is_empty() {
            return Ok(graph);
        }
        let mut ids: Vec<ObjectId> = Vec::new();
        let mut parents_raw: Vec<gix::traverse::commit::ParentIds> = Vec::new();
        // Without a commit-graph file the walk itself reads every commit:
        // decode them right there (from the object cache) instead of twice.
        let has_commit_graph = matches!(self.inner.commit_graph_if_enabled(), Ok(Some(_)));
        for info in self
            .inner
            .rev_walk(tips.iter().copied())
            .all()
            .map_err(GitError::read)?
        {
            let info = info.map_err(GitError::read)?;
            graph.index.insert(info.id, ids.len() as u32);
            ids.push(info.id);
            if !has_commit_graph {
                let commit = info.object().map_err(GitError::read)?;
                graph
                    .commits
                    .push(to_git_commit(&commit, &info.parent_ids)?);
            }
            parents_raw.push(info.parent_ids);
        }
        if !has_commit_graph {
            graph.parents = link_parents(&graph.index, parents_raw);
            return Ok(graph);
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let chunk = ids.len().div_ceil(threads).max(1);
        let shared = self.inner.clone().into_sync();
        let decoded: Vec<Result<Vec<GitCommit>, GitError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = ids
                .chunks(chunk)
                .zip(parents_raw.chunks(chunk))
                .map(|(ids, parents)| {
                    let shared = &shared;
                    scope.spawn(move || {
                        let mut repo = shared.to_thread_local();
                        repo.object_cache_size_if_unset(4 * 1024 * 1024);
                        ids.iter()
                            .zip(parents)
                            .map(|(id, ps)| {
                                let commit = repo.find_commit(*id).map_err(GitError::read)?;
                                to_git_commit(&commit, ps)
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(GitError::Read("a reader thread failed".into())))
                })
                .collect()
        });
        graph.commits.reserve(ids.len());
        for part in decoded {
            graph.commits.extend(part?);
        }
        graph.parents = link_parents(&graph.index, parents_raw);
        Ok(graph)
    }

    pub fn path(&self) -> &Path {
        self.inner.path()
    }
}

fn link_parents(
    index: &HashMap<ObjectId, u32>,
    parents: Vec<gix::traverse::commit::ParentIds>,
) -> Vec<Vec<u32>> {
    parents
        .into_iter()
        .map(|ps| ps.iter().filter_map(|p| index.get(p).copied()).collect())
        .collect()
}

fn to_git_commit(commit: &gix::Commit<'_>, parents: &[ObjectId]) -> Result<GitCommit, GitError> {
    // Decode once; the accessors on `gix::Commit` would decode per call.
    let decoded = commit.decode().map_err(GitError::read)?;
    let author = decoded
        .author()
        .map(|a| a.name.to_string())
        .unwrap_or_default();
    let time = decoded.time().map(|t| t.seconds).unwrap_or_default();
    Ok(GitCommit {
        id: commit.id.to_string(),
        parents: parents.len(),
        parent_ids: parents.iter().map(ToString::to_string).collect(),
        author,
        time,
        message: decoded.message.to_string(),
    })
}

/// The bookkeeping of [`Repo::latest_reachable_both`]: which tags (newest
/// first) were found reachable, and which are still undecided — newer than
/// the answers found so far (the newest reachable final, the newest
/// reachable tag) and not found themselves.
struct TagSearch<'t> {
    tags: &'t [VersionTag],
    found: Vec<bool>,
    first_final: Option<usize>,
    first_any: Option<usize>,
}

impl<'t> TagSearch<'t> {
    fn new(tags: &'t [VersionTag]) -> Self {
        Self {
            tags,
            found: vec![false; tags.len()],
            first_final: None,
            first_any: None,
        }
    }

    fn is_final(&self, i: usize) -> bool {
        self.tags[i].version.pre.is_empty()
    }

    /// Tag `i` is reachable.
    fn hit(&mut self, i: usize) {
        self.found[i] = true;
        if self.first_any.is_none_or(|a| i < a) {
            self.first_any = Some(i);
        }
        if self.is_final(i) && self.first_final.is_none_or(|f| i < f) {
            self.first_final = Some(i);
        }
    }

    /// The lowest `rank` among undecided tags; `None` when none is left.
    fn floor(&self, rank: impl Fn(usize) -> u32) -> Option<u32> {
        let (ff, fa) = (
            self.first_final.unwrap_or(usize::MAX),
            self.first_any.unwrap_or(usize::MAX),
        );
        (0..self.tags.len())
            .filter(|&i| !self.found[i] && (i < fa || (self.is_final(i) && i < ff)))
            .map(rank)
            .min()
    }

    fn answers(&self) -> (Option<&'t VersionTag>, Option<&'t VersionTag>) {
        (
            self.first_final.map(|i| &self.tags[i]),
            self.first_any.map(|i| &self.tags[i]),
        )
    }
}

/// A loaded commit graph: commits newest first (as walked) with parent
/// links by index.
#[derive(Debug, Default)]
pub struct Graph {
    pub commits: Vec<GitCommit>,
    pub parents: Vec<Vec<u32>>,
    index: HashMap<ObjectId, u32>,
}

impl Graph {
    pub fn index_of(&self, id: ObjectId) -> Option<usize> {
        self.index.get(&id).map(|i| *i as usize)
    }

    /// For each commit, the index (into `tags`) of the release that first
    /// shipped it. `tags` must be in ascending version order: each tag
    /// claims its ancestors not already claimed by a lower version.
    pub fn first_release(&self, tags: &[VersionTag]) -> Vec<Option<u32>> {
        let mut owner: Vec<Option<u32>> = vec![None; self.commits.len()];
        let mut stack: Vec<u32> = Vec::new();
        for (ti, tag) in tags.iter().enumerate() {
            let Some(start) = self.index.get(&tag.commit) else {
                continue;
            };
            stack.clear();
            stack.push(*start);
            while let Some(c) = stack.pop() {
                let slot = &mut owner[c as usize];
                if slot.is_some() {
                    continue;
                }
                *slot = Some(ti as u32);
                stack.extend(
                    self.parents[c as usize]
                        .iter()
                        .filter(|p| owner[**p as usize].is_none()),
                );
            }
        }
        owner
    }

    /// Indexes of the commits reachable from `start` (inclusive).
    pub fn reachable(&self, start: ObjectId) -> Vec<bool> {
        let mut seen = vec![false; self.commits.len()];
        let Some(s) = self.index.get(&start) else {
            return seen;
        };
        let mut stack = vec![*s];
        while let Some(c) = stack.pop() {
            if std::mem::replace(&mut seen[c as usize], true) {
                continue;
            }
            stack.extend(
                self.parents[c as usize]
                    .iter()
                    .filter(|p| !seen[**p as usize]),
            );
        }
        seen
    }
}
