//! The demo's git repository: a small shop service with a realistic
//! Conventional Commits history and two release tags, so the Releases page
//! proposes the next version with its notes from the first minute.
//! Written with git2 (no `git` program needed on the server).

use git2::{IndexAddOption, Oid, Repository, Signature, Time};
use std::path::Path;

/// (author, message) of each commit, oldest first; `None` marks a tag on
/// the commit before.
const HISTORY: &[(&str, &str, Option<&str>)] = &[
    ("Ada Lovelace", "feat: product catalogue with search", None),
    ("Grace Hopper", "feat(cart): add items to the cart and change quantities", None),
    ("Ada Lovelace", "fix(cart): totals round half-cents the way the bank does\n\nCloses DEMO-3", None),
    ("Grace Hopper", "chore(release): 1.0.0", Some("v1.0.0")),
    ("Linus Torvalds", "feat(checkout): pay by card\n\nCloses DEMO-7", None),
    ("Ada Lovelace", "fix(search): match accented letters (\"café\" finds \"cafe\")\n\nCloses DEMO-9", None),
    ("Grace Hopper", "docs: how to run the shop locally", None),
    ("Grace Hopper", "chore(release): 1.1.0", Some("v1.1.0")),
    ("Ada Lovelace", "feat(checkout): coupons at checkout\n\nA coupon code field on the payment step; one coupon per order.\n\nCloses DEMO-12", None),
    ("Linus Torvalds", "fix(cart): keep the cart when the session expires\n\nCloses DEMO-15", None),
    ("Grace Hopper", "perf(search): answer from the index instead of scanning (p99 420 ms -> 35 ms)", None),
    ("Ada Lovelace", "docs: the coupon rules for support", None),
];

/// Creates the repository at `path` (a normal repository on `main`).
/// Returns the commit each tag points at.
pub fn create(path: &Path) -> Result<Vec<(String, Oid)>, git2::Error> {
    let repo = Repository::init(path)?;
    repo.set_head("refs/heads/main")?;
    let mut parent: Option<Oid> = None;
    let mut tags = Vec::new();
    // A fixed start, one hour per commit: the same history every time.
    let mut when: i64 = 1_764_576_000; // 2025-12-01T08:00:00Z
    for (i, (author, message, tag)) in HISTORY.iter().enumerate() {
        when += 3_600;
        let email = format!(
            "{}@shop.example",
            author.split(' ').next().unwrap_or("dev").to_lowercase()
        );
        let sig = Signature::new(author, &email, &Time::new(when, 0))?;
        if let Some(tag) = tag {
            if let Some(target) = parent {
                let object = repo.find_object(target, None)?;
                repo.tag(tag, &object, &sig, &format!("Release {}", &tag[1..]), false)?;
                tags.push(((*tag).to_owned(), target));
            }
            continue;
        }
        let file = path.join("CHANGES.txt");
        let previous = std::fs::read_to_string(&file).unwrap_or_default();
        std::fs::write(
            &file,
            format!(
                "{previous}{i}: {}\n",
                message.lines().next().unwrap_or_default()
            ),
        )
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
        let mut index = repo.index()?;
        index.add_all(["*"], IndexAddOption::DEFAULT, None)?;
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let parents = match parent {
            Some(p) => vec![repo.find_commit(p)?],
            None => Vec::new(),
        };
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        parent = Some(repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &refs)?);
    }
    Ok(tags)
}
