#!/usr/bin/env python3
"""Generates a large, deterministic git repository for benchmarking the git engine.

    scripts/gen-repo.py DIR [--commits 100000] [--tags 1000] [--tail 500] [--seed 1]

History: one linear `main` branch. The first --commits commits carry --tags
lightweight release tags (v{major}.{minor}.{patch}, one every commits/tags
commits, the last one on commit number --commits); then --tail more commits
follow the last tag, so "last release..HEAD" (the typical release range) has
exactly --tail commits. Each commit changes one of about 350 small files and is
written by one of 20 people, 10 minutes after the previous one (from
2020-01-01), with a Conventional Commit message drawn from a realistic mix:
~40% fix, ~25% feat, some perf/docs/chore/refactor/test/ci/build, ~5% that do
not follow the convention, ~1% reverts (git's `Revert "..."` and `revert:`,
with or without the reverted id), ~0.1% breaking changes (`!` or a
`BREAKING CHANGE:` footer); bodies of one to four paragraphs, `Refs: SHOP-123`,
`Closes #123`, `Co-authored-by:` and `(#123)` pull-request references.

Version bumps between tags are drawn independently of the commits (mostly
patch, some minor, a few major); a major release's range always holds at least
one breaking change. The same arguments always give the same commit ids.

Everything goes through one `git fast-import` stream (git is never run per
commit), then the repository is garbage-collected: packed objects, packed refs
and a commit-graph, like a fresh clone (Slipway's own mirrors are packed too,
since they are filled by fetch). About 20 s for the defaults on a small machine.
"""

import argparse
import collections
import os
import random
import subprocess
import sys
import textwrap
import time

START = 1577836800  # 2020-01-01T00:00:00Z
STEP = 600  # ten minutes between commits

AUTHORS = [
    ("Alice Martin", "alice@shop.example", "+0100"),
    ("Bob Nguyen", "bob.nguyen@shop.example", "-0500"),
    ("Chloé Dubois", "chloe@shop.example", "+0100"),
    ("Dmitri Volkov", "dmitri@shop.example", "+0300"),
    ("Emma Schulz", "emma.schulz@shop.example", "+0100"),
    ("Farid Haddad", "farid@shop.example", "+0400"),
    ("Grace Okafor", "grace@shop.example", "+0000"),
    ("Hiroshi Tanaka", "hiroshi@shop.example", "+0900"),
    ("Isabel Costa", "isabel@shop.example", "-0300"),
    ("Jonas Berg", "jonas.berg@shop.example", "+0100"),
    ("Kavya Iyer", "kavya@shop.example", "+0530"),
    ("Liam O'Brien", "liam@shop.example", "+0000"),
    ("Mei Chen", "mei.chen@shop.example", "+0800"),
    ("Noah Williams", "noah@shop.example", "-0800"),
    ("Olga Nowak", "olga@shop.example", "+0100"),
    ("Pedro Alvarez", "pedro@shop.example", "-0600"),
    ("Quinn Taylor", "quinn@shop.example", "-0500"),
    ("Rania Youssef", "rania@shop.example", "+0200"),
    ("Sven Lindqvist", "sven@shop.example", "+0100"),
    ("Zoë Park", "zoe.park@users.noreply.github.example", "-0700"),
]
# A few people commit much more than others.
AUTHOR_WEIGHTS = [9, 8, 7, 7, 6, 5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1]

SCOPES = [
    "api", "auth", "billing", "cart", "catalog", "checkout", "cli", "config",
    "db", "email", "i18n", "inventory", "orders", "payments", "search",
    "shipping", "ui", "users", "webhooks", "worker",
]
MODULES = [
    "mod", "handlers", "models", "service", "repo", "routes", "views",
    "errors", "cache", "client", "validation", "events", "jobs", "util", "types",
]

# (type, weight in percent); "other" = not a Conventional Commit.
TYPES = [
    ("fix", 40), ("feat", 25), ("chore", 8), ("refactor", 7), ("docs", 6),
    ("perf", 4), ("test", 3), ("ci", 1), ("build", 1), ("other", 5),
]
REVERT_RATE = 0.008
BREAKING_RATE = 0.001

THINGS = [
    "empty basket", "expired session", "duplicate webhook", "missing price",
    "rounding error", "stale cache entry", "concurrent checkout", "timezone offset",
    "missing translation", "double submit", "trailing slash", "unicode email address",
    "negative stock", "slow report query", "retry storm", "pagination cursor",
    "invalid coupon", "currency conversion", "partial refund", "guest account",
    "shipping estimate", "tax calculation", "password reset link", "order export",
    "search index", "image upload", "VAT number", "discount code", "session cookie",
    "rate limiter",
]
FEATURES = [
    "gift cards", "saved addresses", "bulk export", "CSV import", "dark mode",
    "order notes", "webhook retries", "TOTP two-factor login", "partial refunds",
    "search suggestions", "wishlist sharing", "per-store currency", "audit log",
    "SSO login", "invoice PDFs", "low-stock alerts", "API tokens", "delivery slots",
    "loyalty points", "product bundles", "abandoned cart emails", "multi-warehouse stock",
    "customer groups", "scheduled price changes", "returns portal",
]
WHEN = [
    "", "", "", " when the cart is empty", " on first login", " for guest users",
    " after a failed payment", " under load", " in the admin view", " on mobile",
    " during migrations", " for EU customers", " on retry", " at midnight UTC",
]
FIX_VERBS = [
    "handle", "avoid panic on", "prevent", "correct", "guard against bad",
    "stop leaking", "restore", "respect", "validate", "escape", "retry", "reject",
]
FEAT_VERBS = ["add", "support", "introduce", "allow", "expose", "enable", "show"]
DEPS = [
    "serde", "tokio", "axum", "sqlx", "tracing", "reqwest", "clap", "chrono",
    "uuid", "rand", "regex", "hyper", "tower", "thiserror", "anyhow",
]
OTHER_SUBJECTS = [
    "Update README", "WIP", "fix tests", "Fix build", "typo", "Cleanup",
    "Address review comments", "More {thing} work", "Update {path}", "Bump version",
    "small fixes", "Merge branch 'hotfix/{scope}'",
]
SENTENCES = [
    "The {thing} path was never exercised by the integration tests.",
    "Customers reported this through support ({key}).",
    "Before this change the {scope} module assumed the {thing} was always present.",
    "This keeps the behaviour the same for existing stores.",
    "We now log a warning instead of failing the whole request.",
    "The old code path is kept behind a flag until the next release.",
    "Measured on the staging data set this is about {n}% faster.",
    "See the discussion in #{pr} for the alternatives we considered.",
    "The {scope} service now owns the {thing} and the worker only reads it.",
    "No migration is needed; the column already exists.",
    "The retry uses exponential backoff capped at {n} seconds.",
    "This also removes a clone that showed up in profiles.",
    "Tests cover the {thing} with and without a logged-in user.",
    "The {feature} screen links to it from the order page.",
    "Nothing changes for API clients that already send the header.",
    "The previous fix in #{pr} only covered the happy path.",
    "Operators can turn it off with SHOP_{upper}_DISABLED=1.",
    "The query plan now uses the index on ({scope}_id, created_at).",
]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.pr = 1  # pull-request numbers only grow
        self.type_names = [t for t, _ in TYPES]
        self.type_weights = [w for _, w in TYPES]
        self.src_files = [f"src/{s}/{m}.rs" for s in SCOPES for m in MODULES]

    def fill(self, s):
        r = self.r
        scope = r.choice(SCOPES)
        return s.format(
            thing=r.choice(THINGS), feature=r.choice(FEATURES), scope=scope,
            upper=scope.upper(), n=r.randint(2, 60), pr=r.randint(1, max(1, self.pr)),
            key=f"SHOP-{r.randint(1, 9999)}", path=self.src_files[r.randrange(len(self.src_files))],
        )

    def body(self):
        r = self.r
        paras = []
        for _ in range(r.choice([1, 1, 1, 2, 2, 3, 4])):
            text = " ".join(self.fill(r.choice(SENTENCES)) for _ in range(r.randint(1, 4)))
            paras.append(textwrap.fill(text, 72))
        return "\n\n".join(paras)

    def path_for(self, kind, scope):
        r = self.r
        if kind == "docs":
            return r.choice([f"docs/{scope}.md", "README.md", "CONTRIBUTING.md", "docs/api.md"])
        if kind == "ci":
            return r.choice([".github/workflows/ci.yml", ".github/workflows/release.yml"])
        if kind == "build":
            return r.choice(["Cargo.toml", "build.rs", "Dockerfile"])
        if kind == "test":
            return f"tests/{scope}.rs"
        if kind == "chore" and r.random() < 0.4:
            return "Cargo.lock"
        return f"src/{scope}/{r.choice(MODULES)}.rs"

    def subject(self, kind, scope):
        r = self.r
        if kind == "fix":
            d = f"{r.choice(FIX_VERBS)} {r.choice(THINGS)}{r.choice(WHEN)}"
        elif kind == "feat":
            d = f"{r.choice(FEAT_VERBS)} {r.choice(FEATURES)}"
        elif kind == "perf":
            d = r.choice(["cache", "batch queries for", "avoid N+1 queries in", "stream",
                          "index lookups of", "precompute"]) + " " + r.choice(THINGS)
        elif kind == "docs":
            d = r.choice(["document", "fix typo in the guide to", "update examples for",
                          "explain"]) + " " + r.choice(FEATURES)
        elif kind == "chore":
            d = r.choice([
                f"bump {r.choice(DEPS)} to {r.randint(0, 4)}.{r.randint(0, 40)}.{r.randint(0, 9)}",
                "update dependencies", f"remove unused {scope} helpers", "tidy imports",
                f"rename {r.choice(MODULES)} module",
            ])
        elif kind == "refactor":
            d = r.choice(["extract", "split", "simplify", "move", "inline"]) + f" {scope} {r.choice(MODULES)}"
        elif kind == "test":
            d = r.choice(["cover", "add regression test for", "stabilize flaky test of"]) + " " + r.choice(THINGS)
        elif kind == "ci":
            d = r.choice(["cache cargo registry", "run clippy with -D warnings", "pin the toolchain",
                          "split the test job", "upload coverage"])
        else:  # build
            d = r.choice(["enable LTO in release", "drop the openssl feature", "slim the image",
                          "build with the stable toolchain"])
        return d

    def message(self, kind, scope, breaking):
        """Returns (subject, full message) for a regular commit."""
        r = self.r
        self.pr += r.randint(0, 2)
        if kind == "other":
            subj = self.fill(r.choice(OTHER_SUBJECTS))
            body = self.body() if r.random() < 0.2 else None
            return subj, subj + ("\n\n" + body if body else "") + "\n"
        desc = self.subject(kind, scope)
        bang = breaking and r.random() < 0.5
        scoped = f"({scope})" if r.random() < 0.8 else ""
        subj = f"{kind}{scoped}{'!' if bang else ''}: {desc}"
        if r.random() < 0.3:
            subj += f" (#{self.pr})"
        parts = [subj]
        if r.random() < 0.35 or breaking:
            parts.append(self.body())
        footers = []
        if breaking and not bang:
            footers.append(
                f"BREAKING CHANGE: the {scope} API no longer accepts {r.choice(THINGS)}s;\n"
                f"clients must send {r.choice(FEATURES)} settings explicitly."
            )
        if r.random() < 0.2:
            footers.append(f"Refs: SHOP-{r.randint(1, 9999)}")
        if r.random() < 0.08:
            footers.append(f"Closes #{r.randint(1, max(1, self.pr))}")
        if r.random() < 0.03:
            name, email, _ = r.choice(AUTHORS)
            footers.append(f"Reviewed-by: {name} <{email}>")
        if r.random() < 0.06:
            name, email, _ = r.choice(AUTHORS)
            footers.append(f"Co-authored-by: {name} <{email}>")
        if footers:
            parts.append("\n".join(footers))
        return subj, "\n\n".join(parts) + "\n"

    def next_version(self, v, first):
        if first:
            return (0, 1, 0), "minor"
        x = self.r.random()
        if x < 0.005:
            return (v[0] + 1, 0, 0), "major"
        if x < 0.2:
            return (v[0], v[1] + 1, 0), "minor"
        return (v[0], v[1], v[2] + 1), "patch"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--commits", type=int, default=100_000, help="commits up to and including the last tag")
    ap.add_argument("--tags", type=int, default=1000, help="release tags, evenly spread over --commits")
    ap.add_argument("--tail", type=int, default=500, help="commits after the last tag")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.commits < 1 or a.tags < 0 or a.tail < 0 or a.tags > a.commits:
        ap.error("need --commits >= 1, 0 <= --tags <= --commits and --tail >= 0")
    if os.path.exists(a.dir) and (not os.path.isdir(a.dir) or os.listdir(a.dir)):
        sys.exit(f"{a.dir} exists and is not empty; remove it first")

    t0 = time.monotonic()
    g = Gen(a.seed)
    r = g.r

    # Releases: tag k (1-based) on commit number k*commits//tags; versions drawn up front
    # so that each major release's range can be given a breaking change.
    tag_at = {}
    forced_breaking = set()
    v, prev = (0, 0, 0), 0
    for k in range(1, a.tags + 1):
        pos = k * a.commits // a.tags
        v, bump = g.next_version(v, k == 1)
        tag_at[pos] = "v%d.%d.%d" % v
        if bump == "major":
            forced_breaking.add(r.randint(prev + 1, pos))
        prev = pos
    total = a.commits + a.tail

    subprocess.run(["git", "init", "-q", "-b", "main", a.dir], check=True)
    fi = subprocess.Popen(
        ["git", "-C", a.dir, "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    out = []
    size = 0

    def flush():
        nonlocal out, size
        fi.stdin.write(b"".join(out))
        fi.stdin.flush()
        out, size = [], 0

    def emit(b):
        nonlocal size
        out.append(b)
        size += len(b)
        if size > 1 << 20:
            flush()

    def sha_of(mark):
        # fast-import answers `get-mark` on its cat-blob fd (our stdout pipe).
        emit(b"get-mark :%d\n" % mark)
        flush()
        return fi.stdout.readline().decode().strip()

    emit(b"feature done\n")
    revisions = collections.Counter()  # per-file counter, the blob content
    recent = collections.deque(maxlen=150)  # (mark, subject) of revertable commits
    n_breaking = n_revert = n_other = 0
    for n in range(1, total + 1):
        name, email, tz = r.choices(AUTHORS, AUTHOR_WEIGHTS)[0]
        scope = r.choice(SCOPES)
        breaking = n in forced_breaking or r.random() < BREAKING_RATE
        if breaking:
            kind = r.choice(["feat", "feat", "fix", "refactor"])
        elif recent and r.random() < REVERT_RATE:
            kind = "revert"
        else:
            kind = r.choices(g.type_names, g.type_weights)[0]

        if kind == "revert":
            n_revert += 1
            # Mostly something from the same release range (they cancel out),
            # sometimes something already released (counts as a fix).
            mark, target = recent[-r.randint(1, min(len(recent), 40))] if r.random() < 0.7 \
                else recent[0]
            style = r.random()
            if style < 0.4:  # what `git revert` writes
                msg = f'Revert "{target}"\n\nThis reverts commit {sha_of(mark)}.\n'
            elif style < 0.7:
                msg = f"revert: {target}\n\nThis reverts commit {sha_of(mark)}.\n"
            else:  # matched by subject only
                msg = f"revert: {target}\n\nRefs: SHOP-{r.randint(1, 9999)}\n"
            path = f"src/{scope}/{r.choice(MODULES)}.rs"
        else:
            subj, msg = g.message(kind, scope, breaking)
            path = g.path_for(kind, scope)
            n_breaking += breaking
            n_other += kind == "other"
            if kind != "other":
                recent.append((n, subj))

        revisions[path] += 1
        when = START + n * STEP
        blob = ("// %s\n// revision %d\npub const REVISION: u32 = %d;\n"
                % (path, revisions[path], revisions[path])).encode()
        m = msg.encode()
        who = f"{name} <{email}> {when} {tz}".encode()
        emit(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
             b"M 100644 inline %s\ndata %d\n%s\n"
             % (n, who, who, len(m), m, path.encode(), len(blob), blob))
        if n in tag_at:
            emit(b"reset refs/tags/%s\nfrom :%d\n\n" % (tag_at[n].encode(), n))
    emit(b"done\n")
    flush()
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    t1 = time.monotonic()

    # Like a clone: one pack with deltas, packed refs, a commit-graph (gc writes it by
    # default; written explicitly in case gc.writeCommitGraph is off), and a checkout.
    git = ["git", "-C", a.dir]
    subprocess.run(git + ["gc", "--quiet"], check=True)
    subprocess.run(git + ["commit-graph", "write", "--reachable"], check=True)
    subprocess.run(git + ["reset", "-q", "--hard"], check=True)
    t2 = time.monotonic()

    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    last = tag_at[a.commits] if a.tags else "(none)"
    majors = sum(1 for t in tag_at.values() if t.endswith(".0.0"))
    print(f"{a.dir}: {total} commits ({a.commits} tagged + {a.tail} after the last tag), "
          f"{a.tags} tags (v0.1.0 .. {last}, {majors} x.0.0), HEAD {head[:12]}")
    print(f"  {n_breaking} breaking, {n_revert} reverts, {n_other} non-conforming, "
          f"{len(revisions)} files, {len(set(AUTHORS))} authors")
    print(f"  fast-import {t1 - t0:.1f} s, gc {t2 - t1:.1f} s, total {t2 - t0:.1f} s")


if __name__ == "__main__":
    main()
