//! Projects: one product or service that Slipway releases.

use crate::environment::{validate_environments, EnvironmentDraft, ValidEnvironment};
use crate::validation::{bounded_multiline, bounded_text, FieldErrors};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

pub const NAME_MAX: usize = 100;
pub const SLUG_MAX: usize = 63;
pub const DESCRIPTION_MAX: usize = 2_000;
pub const URL_MAX: usize = 2_048;

/// A project's display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(input: &str) -> Result<Self, String> {
        bounded_text(input, "Name", 1, NAME_MAX).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The short identifier used in URLs and the CLI: lowercase letters, digits
/// and single hyphens, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Slug is required.".into());
        }
        let len = s.chars().count();
        if len > SLUG_MAX {
            return Err(format!(
                "Slug must be at most {SLUG_MAX} characters (this one has {len})."
            ));
        }
        if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("Slug must start with a lowercase letter (a-z).".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(
                "Slug may contain only lowercase letters (a-z), digits and hyphens.".into(),
            );
        }
        if s.ends_with('-') || s.contains("--") {
            return Err("Slug must not end with a hyphen or contain two in a row.".into());
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(format!("\"{s}\" is reserved; choose another slug."));
        }
        Ok(Self(s.to_owned()))
    }

    /// Suggests a slug from a name: "Payments API (EU)" -> "payments-api-eu".
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.trim().chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed = out.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-');
        let mut slug: String = trimmed.chars().take(SLUG_MAX).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        slug
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Slugs that would collide with the portal's own paths under `/projects/`.
const RESERVED_SLUGS: &[&str] = &["new", "archived", "edit"];

/// Parses an optional URL field: empty means "not set".
fn optional_url(input: &str, what: &str, schemes: &[&str]) -> Result<Option<String>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > URL_MAX {
        return Err(format!("{what} must be at most {URL_MAX} characters."));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{what} must not contain spaces."));
    }
    if crate::validation::url_has_credentials(s) {
        return Err(format!(
            "{what} must not contain a user name, password or token: Slipway's administrators configure credentials on the server."
        ));
    }
    let scheme_ok = schemes.iter().any(|scheme| {
        s.len() > scheme.len() + 3
            && s[..scheme.len()].eq_ignore_ascii_case(scheme)
            && s[scheme.len()..].starts_with("://")
    });
    // scp-like git remotes: git@host:group/repo.git
    let scp_like = schemes.contains(&"ssh")
        && s.contains('@')
        && s.contains(':')
        && !s.contains("://")
        && s.find('@') < s.find(':');
    if scheme_ok || scp_like {
        Ok(Some(s.to_owned()))
    } else {
        Err(format!(
            "{what} must start with {}.",
            schemes
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// What a person typed into the project form, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDraft {
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub repository_url: String,
    #[serde(default)]
    pub repository_web_url: String,
}

/// A project's details after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidProject {
    pub name: ProjectName,
    pub slug: ProjectSlug,
    pub description: String,
    pub repository_url: Option<String>,
    pub repository_web_url: Option<String>,
}

impl ProjectDraft {
    /// A new project may leave its slug empty: it is then derived from the
    /// name ("Payments API (EU)" -> "payments-api-eu").
    pub fn with_suggested_slug(mut self) -> Self {
        if self.slug.trim().is_empty() {
            self.slug = ProjectSlug::suggest(&self.name);
        }
        self
    }

    /// Validates every field and reports all problems at once.
    pub fn validate(&self) -> Result<ValidProject, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", ProjectName::parse(&self.name));
        let slug = errors.check("slug", ProjectSlug::parse(&self.slug));
        let description = errors.check(
            "description",
            bounded_multiline(&self.description, "Description", 0, DESCRIPTION_MAX),
        );
        let repository_url = errors.check(
            "repository_url",
            optional_url(
                &self.repository_url,
                "Repository URL",
                &["https", "http", "ssh", "git", "file"],
            ),
        );
        let repository_web_url = errors.check(
            "repository_web_url",
            optional_url(
                &self.repository_web_url,
                "Repository web URL",
                &["https", "http"],
            ),
        );
        match (name, slug, description, repository_url, repository_web_url) {
            (
                Some(name),
                Some(slug),
                Some(description),
                Some(repository_url),
                Some(repository_web_url),
            ) if errors.is_empty() => Ok(ValidProject {
                name,
                slug,
                description,
                repository_url,
                repository_web_url,
            }),
            _ => Err(errors),
        }
    }

    /// Validates the project together with its initial environments.
    pub fn validate_with_environments(
        &self,
        environments: &[EnvironmentDraft],
    ) -> Result<(ValidProject, Vec<ValidEnvironment>), FieldErrors> {
        let project = self.validate();
        let envs = validate_environments(environments);
        match (project, envs) {
            (Ok(p), Ok(e)) => Ok((p, e)),
            (p, e) => {
                let mut all = FieldErrors::new();
                if let Err(pe) = p {
                    all.0.extend(pe.0);
                }
                if let Err(ee) = e {
                    all.0.extend(ee.0);
                }
                Err(all)
            }
        }
    }
}

/// The form field that dependency errors belong to.
pub const DEPENDENCIES_FIELD: &str = "depends_on";

/// Which projects depend on which: "Shop depends on Blog" means Shop needs
/// Blog (its API, its data, its releases) to work, so releasing both on the
/// same day is a risk the calendar points out.
///
/// Rules (checked by [`choose_dependencies`]): a project cannot depend on
/// itself; it can only depend on projects that exist (and that the person
/// choosing can see) and are not archived; and there are no loops. A loop
/// (Shop → Blog → Shop) is refused rather than allowed, because "depends on"
/// would then mean nothing: every project in the loop would need every other
/// one first. Dependencies count transitively: when Shop depends on Blog and
/// Blog on API, Shop depends on API too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependencyGraph {
    /// project id → the ids it depends on directly.
    edges: BTreeMap<i64, BTreeSet<i64>>,
}

impl DependencyGraph {
    /// From `(project, depends_on)` pairs.
    pub fn new(edges: impl IntoIterator<Item = (i64, i64)>) -> Self {
        let mut g = Self::default();
        for (from, to) in edges {
            g.edges.entry(from).or_default().insert(to);
        }
        g
    }

    /// What `project` depends on directly.
    pub fn direct(&self, project: i64) -> BTreeSet<i64> {
        self.edges.get(&project).cloned().unwrap_or_default()
    }

    /// What depends on `project` directly.
    pub fn dependents(&self, project: i64) -> BTreeSet<i64> {
        self.edges
            .iter()
            .filter(|(_, to)| to.contains(&project))
            .map(|(from, _)| *from)
            .collect()
    }

    /// Everything `project` depends on, directly or through others.
    pub fn all_dependencies(&self, project: i64) -> BTreeSet<i64> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<i64> = self.direct(project).into_iter().collect();
        while let Some(next) = queue.pop_front() {
            if next != project && seen.insert(next) {
                queue.extend(self.direct(next));
            }
        }
        seen
    }

    /// Everything that depends on `project`, directly or through others.
    pub fn all_dependents(&self, project: i64) -> BTreeSet<i64> {
        self.edges
            .keys()
            .copied()
            .filter(|p| *p != project && self.path(*p, project).is_some())
            .collect()
    }

    /// The shortest chain by which `from` depends on `to`, both included
    /// (`[shop, blog, api]`: Shop depends on Blog, which depends on API);
    /// `None` when it does not.
    pub fn path(&self, from: i64, to: i64) -> Option<Vec<i64>> {
        let mut came_from: BTreeMap<i64, i64> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            for next in self.direct(at) {
                if next == from || came_from.contains_key(&next) {
                    continue;
                }
                came_from.insert(next, at);
                if next == to {
                    let mut chain = vec![to];
                    let mut step = to;
                    while let Some(prev) = came_from.get(&step) {
                        chain.push(*prev);
                        if *prev == from {
                            break;
                        }
                        step = *prev;
                    }
                    chain.reverse();
                    return Some(chain);
                }
                queue.push_back(next);
            }
        }
        None
    }

    /// The same graph with `project`'s direct dependencies replaced.
    pub fn with_dependencies(&self, project: i64, depends_on: &BTreeSet<i64>) -> Self {
        let mut g = self.clone();
        if depends_on.is_empty() {
            g.edges.remove(&project);
        } else {
            g.edges.insert(project, depends_on.clone());
        }
        g
    }
}

/// A project as the dependency rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub archived: bool,
}

/// Checks the dependencies someone chose for `project` (slugs, as the form
/// sends them) and returns the new set of direct dependencies by id.
///
/// `visible` are the projects the person can see (archived ones included);
/// `graph` holds every dependency as stored. Dependencies on projects the
/// person cannot see are kept as they are (the form does not show them).
/// An archived project may stay a dependency but cannot become a new one.
/// All problems are reported at once, in one message for the field.
pub fn choose_dependencies(
    project: &ProjectRef,
    chosen: &[String],
    visible: &[ProjectRef],
    graph: &DependencyGraph,
) -> Result<BTreeSet<i64>, FieldErrors> {
    let current = graph.direct(project.id);
    let mut problems: Vec<String> = Vec::new();
    let mut picked = BTreeSet::new();
    for slug in chosen.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if slug == project.slug {
            problems.push(format!(
                "{} cannot depend on itself: choose other projects.",
                project.name
            ));
            continue;
        }
        match visible.iter().find(|p| p.slug == slug) {
            None => problems.push(format!(
                "There is no project \"{slug}\" (or you cannot see it)."
            )),
            Some(p) if p.id == project.id => problems.push(format!(
                "{} cannot depend on itself: choose other projects.",
                project.name
            )),
            Some(p) if p.archived && !current.contains(&p.id) => problems.push(format!(
                "{} is archived: restore it before making {} depend on it.",
                p.name, project.name
            )),
            Some(p) => {
                picked.insert(p.id);
            }
        }
    }
    // Kept: dependencies on projects this person cannot see.
    picked.extend(
        current
            .iter()
            .filter(|id| !visible.iter().any(|p| p.id == **id)),
    );
    let name_of = |id: i64| {
        visible
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| "a project you cannot see".to_owned(), |p| p.name.clone())
    };
    let after = graph.with_dependencies(project.id, &picked);
    for dep in &picked {
        if let Some(back) = after.path(*dep, project.id) {
            let mut chain: Vec<String> = vec![project.name.clone()];
            chain.extend(back.iter().map(|id| name_of(*id)));
            problems.push(format!(
                "{} already depends on {}, so {} cannot depend on it: that would be a loop ({}).",
                name_of(*dep),
                project.name,
                project.name,
                chain.join(" → ")
            ));
        }
    }
    if problems.is_empty() {
        Ok(picked)
    } else {
        let mut errors = FieldErrors::new();
        errors.push(DEPENDENCIES_FIELD, problems.join(" "));
        Err(errors)
    }
}

/// A project on the other end of a dependency, for pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyLink {
    pub slug: String,
    pub name: String,
    pub archived: bool,
}

/// One checkbox of the "This project depends on" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyChoice {
    pub slug: String,
    pub name: String,
    pub checked: bool,
    pub archived: bool,
    /// Set when this project already depends on the one being edited, so
    /// choosing it would make a loop: "Blog depends on Shop already".
    pub loop_hint: Option<String>,
}

/// A project's dependencies, as its pages show them. Only projects the
/// viewer can see are named; the others are counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDependencies {
    pub slug: String,
    pub name: String,
    /// Direct dependencies.
    pub depends_on: Vec<DependencyLink>,
    /// Dependencies of dependencies (and so on), not already direct.
    pub depends_on_indirectly: Vec<DependencyLink>,
    /// Projects that depend on this one directly.
    pub depended_on_by: Vec<DependencyLink>,
    /// Projects that depend on this one through others.
    pub depended_on_by_indirectly: Vec<DependencyLink>,
    /// Direct dependencies on projects the viewer cannot see (kept on save).
    pub hidden: usize,
    /// The form's checkboxes: every other project the viewer sees that is
    /// not archived, plus archived ones that are dependencies now.
    pub choices: Vec<DependencyChoice>,
    pub can_edit: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> ProjectDraft {
        ProjectDraft {
            name: "Payments API".into(),
            slug: "payments-api".into(),
            description: "Takes money.".into(),
            repository_url: "git@github.com:acme/payments.git".into(),
            repository_web_url: "https://github.com/acme/payments".into(),
        }
    }

    #[test]
    fn a_complete_draft_validates() {
        let valid = draft().validate().ok();
        assert_eq!(
            valid.map(|v| v.slug.as_str().to_owned()),
            Some("payments-api".to_owned())
        );
    }

    #[test]
    fn slugs_follow_the_rules() {
        assert!(ProjectSlug::parse("web-2").is_ok());
        for bad in [
            "", "Web", "2web", "web_app", "web-", "we--b", "new", "wéb", "a b",
        ] {
            assert!(ProjectSlug::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ProjectSlug::parse(&"a".repeat(SLUG_MAX)).is_ok());
        assert!(ProjectSlug::parse(&"a".repeat(SLUG_MAX + 1)).is_err());
    }

    #[test]
    fn slug_suggestion_is_a_valid_slug() {
        assert_eq!(ProjectSlug::suggest("Payments API (EU)"), "payments-api-eu");
        assert_eq!(ProjectSlug::suggest("  42 Things! "), "things");
        assert!(ProjectSlug::parse(&ProjectSlug::suggest("Über Service")).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let bad = ProjectDraft {
            name: " ".into(),
            slug: "Bad Slug".into(),
            description: "x".repeat(DESCRIPTION_MAX + 1),
            repository_url: "ftp://example.com/repo".into(),
            repository_web_url: "javascript:alert(1)".into(),
        };
        let errors = bad.validate().err().unwrap_or_default();
        for field in [
            "name",
            "slug",
            "description",
            "repository_url",
            "repository_web_url",
        ] {
            assert!(errors.get(field).is_some(), "no error for {field}");
        }
    }

    #[test]
    fn over_long_name_is_refused_with_its_length() {
        let mut d = draft();
        d.name = "n".repeat(NAME_MAX + 1);
        let errors = d.validate().err().unwrap_or_default();
        assert!(errors.get("name").unwrap_or("").contains("101"));
    }

    #[test]
    fn urls_are_optional_but_checked() {
        let mut d = draft();
        d.repository_url = String::new();
        d.repository_web_url = "  ".into();
        let v = d.validate().ok();
        assert_eq!(v.as_ref().map(|v| v.repository_url.clone()), Some(None));
        d.repository_web_url = "https://x y".into();
        assert!(d.validate().is_err());
    }

    #[test]
    fn urls_with_credentials_are_refused() {
        for (repo, web) in [
            ("https://bot:ghp_SECRET@github.com/acme/shop.git", ""),
            ("https://ghp_TOKEN@github.com/acme/shop.git", ""),
            ("", "https://user:pw@git.example.com/acme/shop"),
        ] {
            let mut d = draft();
            d.repository_url = repo.into();
            d.repository_web_url = web.into();
            let e = d.validate().unwrap_err();
            assert!(
                !e.to_string().contains("SECRET") && !e.to_string().contains("TOKEN"),
                "{e}"
            );
        }
        let mut d = draft();
        d.repository_url = "git@github.com:acme/shop.git".into();
        assert!(d.validate().is_ok());
    }

    #[test]
    fn an_empty_slug_is_derived_from_the_name_and_a_given_one_kept() {
        let draft = ProjectDraft {
            name: "Mobile App (iOS)".into(),
            ..ProjectDraft::default()
        };
        assert_eq!(draft.with_suggested_slug().slug, "mobile-app-ios");
        let draft = ProjectDraft {
            name: "Mobile".into(),
            slug: "mob".into(),
            ..ProjectDraft::default()
        };
        assert_eq!(draft.with_suggested_slug().slug, "mob");
    }

    fn project(id: i64, slug: &str, name: &str) -> ProjectRef {
        ProjectRef {
            id,
            slug: slug.into(),
            name: name.into(),
            archived: false,
        }
    }

    /// Shop (1), Blog (2), API (3), Old (4, archived), Secret (5, not visible).
    fn world() -> Vec<ProjectRef> {
        let mut old = project(4, "old", "Old");
        old.archived = true;
        vec![
            project(1, "shop", "Shop"),
            project(2, "blog", "Blog"),
            project(3, "api", "API"),
            old,
        ]
    }

    fn chosen(slugs: &[&str]) -> Vec<String> {
        slugs.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn dependencies_count_through_other_projects() {
        // Shop → Blog → API.
        let g = DependencyGraph::new([(1, 2), (2, 3)]);
        assert_eq!(g.path(1, 3), Some(vec![1, 2, 3]));
        assert_eq!(g.path(1, 2), Some(vec![1, 2]));
        assert_eq!(g.path(3, 1), None, "dependency has a direction");
        assert_eq!(g.path(1, 1), None);
        assert_eq!(g.all_dependencies(1), BTreeSet::from([2, 3]));
        assert_eq!(g.all_dependents(3), BTreeSet::from([1, 2]));
        assert_eq!(g.direct(1), BTreeSet::from([2]));
        assert_eq!(g.dependents(2), BTreeSet::from([1]));
        assert!(g.all_dependencies(3).is_empty());
    }

    #[test]
    fn the_shortest_chain_is_named() {
        // Shop → Blog → API and Shop → API directly.
        let g = DependencyGraph::new([(1, 2), (2, 3), (1, 3)]);
        assert_eq!(g.path(1, 3), Some(vec![1, 3]));
    }

    #[test]
    fn valid_dependencies_are_chosen_by_slug() {
        let w = world();
        let g = DependencyGraph::default();
        let ids = choose_dependencies(&w[0], &chosen(&["blog", " api ", "", "blog"]), &w, &g);
        assert_eq!(ids, Ok(BTreeSet::from([2, 3])));
        assert_eq!(
            choose_dependencies(&w[0], &[], &w, &g),
            Ok(BTreeSet::new()),
            "no boxes ticked: no dependencies"
        );
    }

    #[test]
    fn a_project_cannot_depend_on_itself_an_unknown_or_an_archived_one() {
        let w = world();
        let g = DependencyGraph::default();
        let e = choose_dependencies(&w[0], &chosen(&["shop", "nope", "old"]), &w, &g).unwrap_err();
        let m = e.get(DEPENDENCIES_FIELD).unwrap_or_default();
        assert!(m.contains("Shop cannot depend on itself"), "{m}");
        assert!(m.contains("no project \"nope\""), "{m}");
        assert!(m.contains("Old is archived"), "{m}");
        assert_eq!(e.0.len(), 1, "one message for the field");
    }

    #[test]
    fn an_archived_dependency_may_stay() {
        let w = world();
        let g = DependencyGraph::new([(1, 4)]);
        assert_eq!(
            choose_dependencies(&w[0], &chosen(&["old", "blog"]), &w, &g),
            Ok(BTreeSet::from([2, 4]))
        );
    }

    #[test]
    fn loops_are_refused_and_named() {
        let w = world();
        // Blog → API → Shop already; Shop → Blog would close the loop.
        let g = DependencyGraph::new([(2, 3), (3, 1)]);
        let e = choose_dependencies(&w[0], &chosen(&["blog"]), &w, &g).unwrap_err();
        let m = e.get(DEPENDENCIES_FIELD).unwrap_or_default();
        assert!(m.contains("Shop → Blog → API → Shop"), "{m}");
        assert!(m.contains("Blog already depends on Shop"), "{m}");
        // Directly: API → Shop, so Shop → API is a loop too.
        let e = choose_dependencies(&w[0], &chosen(&["api"]), &w, &g).unwrap_err();
        assert!(
            e.get(DEPENDENCIES_FIELD)
                .unwrap_or_default()
                .contains("Shop → API → Shop"),
            "{e:?}"
        );
        // Replacing a dependency is checked against the new set, not the old one:
        // API may drop Shop and depend on Blog... which depends on API: a loop.
        let e = choose_dependencies(&w[2], &chosen(&["blog"]), &w, &g).unwrap_err();
        assert!(
            e.get(DEPENDENCIES_FIELD)
                .unwrap_or_default()
                .contains("API → Blog → API"),
            "{e:?}"
        );
    }

    #[test]
    fn dependencies_on_projects_one_cannot_see_are_kept() {
        let w = world();
        // Shop depends on Secret (5), which this person cannot see.
        let g = DependencyGraph::new([(1, 5)]);
        assert_eq!(
            choose_dependencies(&w[0], &chosen(&["blog"]), &w, &g),
            Ok(BTreeSet::from([2, 5]))
        );
        // Secret depends on Shop: choosing... nothing visible loops, but
        // a loop through a hidden project is still refused without naming it.
        let g = DependencyGraph::new([(5, 1), (2, 5)]);
        let e = choose_dependencies(&w[0], &chosen(&["blog"]), &w, &g).unwrap_err();
        assert!(
            e.get(DEPENDENCIES_FIELD)
                .unwrap_or_default()
                .contains("Shop → Blog → a project you cannot see → Shop"),
            "{e:?}"
        );
    }
}
