#!/usr/bin/env python3
"""Seeds the data set the page benchmarks need, over HTTP, like a browser.

    scripts/bench-seed.py BASE_URL ADMIN_PASSWORD [--month YYYY-MM]

Run once against a fresh data directory of `slipway serve --seed-demo`
(scripts/bench.sh does). Creates, through the server functions people use:

- users: `bench-rm` (release manager, every project) who creates the
  releases; `bench-approver` (product owner, granted on each project) whose
  dashboard is measured; `bench-approver-2` ... `-6` (tech leads) who add
  decisions to the sign-off release. Password: BENCH_USER_PASSWORD below.
- 10 projects with dev -> staging -> prod: the demo project and 9 more.
  Approval policies: dev 1 approval, staging 1, prod 2.
- 50 releases, 5 per project, submitted for sign-off (candidate, dev needs
  1 approval, nobody decided): all of them wait for bench-approver. Their
  planned dates are spread over MONTH, with a global freeze, a weekly
  freeze and a weekly train in it, so the month view shows 50 planned
  releases plus the freezes and train runs.
- one more release (project `checkout`, whose checklist template has 10
  items) with 20 decisions and 30 timeline entries: 14 rounds of approve
  (-> approved) and revoke (-> candidate), a final approval, and 5 more
  approvals while approved. It is approved, so it is not in the queue.

Then checks the counts on the pages themselves and prints shell lines
(`eval "$(scripts/bench-seed.py ...)"`): SIGNOFF_URL, DASHBOARD_URL,
CALENDAR_URL, APPROVER_COOKIE, ADMIN_COOKIE. Progress goes to stderr.
Standard library only.
"""

import argparse
import calendar
import hashlib
import html.parser
import http.cookiejar
import json
import shlex
import sys
import urllib.error
import urllib.parse
import urllib.request

BENCH_USER_PASSWORD = "bench user password 123"
SESSION_COOKIE = "slipway_session"

PROJECTS = [
    # (slug, name); the demo project exists already (`serve --seed-demo`).
    ("demo", "Slipway demo"),
    ("checkout", "Checkout"),
    ("payments-api", "Payments API"),
    ("search", "Search"),
    ("mobile-app", "Mobile app"),
    ("identity", "Identity"),
    ("billing", "Billing"),
    ("notifications", "Notifications"),
    ("web-shop", "Web shop"),
    ("data-pipeline", "Data pipeline"),
]
RELEASES_PER_PROJECT = 5
EXTRA_APPROVERS = 5  # bench-approver-2 .. bench-approver-6
SIGNOFF_PROJECT = "checkout"
SIGNOFF_ROUNDS = 14  # approve + revoke, two timeline entries each
CHECKLIST = [
    ("qa-scope", "QA scope agreed", "staging"),
    ("migrations-dry-run", "Migrations dry-run", "staging"),
    ("feature-flags", "Feature-flag defaults reviewed", "production"),
    ("config-diff", "Config diff reviewed", "production"),
    ("load-smoke", "Load/perf smoke for risky changes", ""),
    ("rollback-plan", "Rollback plan written", "production"),
    ("communications", "Customers and support told", ""),
    ("hotfix-path", "Hotfix path known", ""),
    ("security-review", "Security review of new endpoints", "production"),
    ("docs-updated", "Documentation updated", ""),
]


class Failed(Exception):
    pass


def log(msg):
    print(f"bench-seed: {msg}", file=sys.stderr, flush=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Server functions answer 200 with a `Location` for the browser; a
    real redirect would mean something went wrong, so it is not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One signed-in person: a cookie jar and the same-origin header that
    state-changing requests must carry."""

    def __init__(self, base, username, password):
        self.base = base
        self.username = username
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect
        )
        self.call("session/login", username=username, password=password)
        if not self.cookie():
            raise Failed(f"signing in as {username} set no session cookie")

    def cookie(self):
        for c in self.jar:
            if c.name == SESSION_COOKIE:
                return f"{c.name}={c.value}"
        return None

    def call(self, endpoint, fields=None, **kwargs):
        """POSTs a server function; `fields` for repeated or nested keys
        (a list of pairs), keyword arguments for plain ones."""
        pairs = list(fields or []) + list(kwargs.items())
        body = urllib.parse.urlencode(pairs).encode()
        req = urllib.request.Request(
            f"{self.base}/api/{endpoint}",
            data=body,
            headers={
                "Origin": self.base,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with self.opener.open(req, timeout=60) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as e:
            raise Failed(
                f"{self.username}: POST /api/{endpoint} -> {e.code}: {e.read().decode()[:500]}"
            ) from None
        return json.loads(text) if text else None

    def page(self, path):
        req = urllib.request.Request(
            f"{self.base}{path}", headers={"Accept": "text/html"}
        )
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.read().decode()
        except urllib.error.HTTPError as e:
            raise Failed(f"{self.username}: GET {path} -> {e.code}") from None


class ItemCounter(html.parser.HTMLParser):
    """Counts the `<li>` children of every element with a `data-test`."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
            "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, data-test or None)
        self.items = {}
        self.marks = {}  # data-test -> how many elements carry it

    def handle_starttag(self, tag, attrs):
        test = dict(attrs).get("data-test")
        if test:
            self.marks[test] = self.marks.get(test, 0) + 1
        if tag == "li" and self.stack and self.stack[-1][1]:
            parent = self.stack[-1][1]
            self.items[parent] = self.items.get(parent, 0) + 1
        if tag not in self.VOID:
            self.stack.append((tag, test))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def count(html_text):
    p = ItemCounter()
    p.feed(html_text)
    return p


def artifact(*parts):
    return hashlib.sha1("/".join(parts).encode()).hexdigest()


def expect(what, got, want):
    if got != want:
        raise Failed(f"{what}: expected {want}, found {got}")
    log(f"ok: {what} = {got}")


def seed(base, admin_password, month):
    year, mon = (int(x) for x in month.split("-"))
    days = calendar.monthrange(year, mon)[1]

    admin = Client(base, "admin", admin_password)
    existing = {p["slug"] for p in admin.call("projects/list")}
    if existing - {"demo"}:
        raise Failed(f"already seeded (projects {sorted(existing)}): start from a fresh data directory")

    log("users")
    admin.call("users/create", username="bench-rm", display_name="Rita Release-Manager",
               password=BENCH_USER_PASSWORD, role="release_manager")
    approvers = ["bench-approver"] + [f"bench-approver-{i}" for i in range(2, 2 + EXTRA_APPROVERS)]
    for i, name in enumerate(approvers):
        admin.call("users/create", username=name,
                   display_name="Alex Approver" if i == 0 else f"Tech Lead {i + 1}",
                   password=BENCH_USER_PASSWORD)

    log("projects, grants, policies")
    for slug, name in PROJECTS:
        if slug not in existing:
            envs = [("dev", "development"), ("staging", "staging"), ("prod", "production")]
            fields = [("project[name]", name), ("project[slug]", slug),
                      ("project[description]", f"{name}: a project of the benchmark data set.")]
            for i, (env, tier) in enumerate(envs):
                fields += [(f"environments[{i}][name]", env), (f"environments[{i}][tier]", tier)]
            admin.call("projects/create", fields)
        admin.call("users/grant", username="bench-approver", role="product_owner", project=slug)
        for env, required in (("dev", 1), ("staging", 1), ("prod", 2)):
            admin.call("releases/policy", slug=slug, environment=env, required=str(required))
    for name in approvers[1:]:
        admin.call("users/grant", username=name, role="tech_lead", project=SIGNOFF_PROJECT)

    log(f"checklist template of {SIGNOFF_PROJECT}: {len(CHECKLIST)} items")
    fields = [("slug", SIGNOFF_PROJECT)]
    for i, (key, title, before) in enumerate(CHECKLIST):
        fields += [(f"items[{i}][key]", key), (f"items[{i}][title]", title),
                   (f"items[{i}][help]", f"What “{title.lower()}” means for this project."),
                   (f"items[{i}][required_before]", before)]
    admin.call("releases/checklist-template/save", fields)

    log(f"calendar: freezes and a train in {month}")
    admin.call("calendar/freezes/create", name="Mid-month freeze", kind="once",
               reason="Quarterly audit: nothing reaches production.",
               start=f"{month}-14T18:00", end=f"{month}-16T08:00", time_zone="Europe/Berlin")
    admin.call("calendar/freezes/create", project="payments-api", name="Weekend freeze",
               kind="weekly", reason="Nobody is on call for payments at weekends.",
               start_day="friday", start_time="16:00", end_day="monday", end_time="08:00",
               time_zone="Europe/Berlin")
    admin.call("calendar/trains/create", project="web-shop", name="Web shop weekly",
               first_release=f"{month}-01", every_weeks="1", release_time="10:00",
               cutoff_days_before="1", cutoff_time="15:00", time_zone="Europe/Berlin")

    rm = Client(base, "bench-rm", BENCH_USER_PASSWORD)
    total = len(PROJECTS) * RELEASES_PER_PROJECT
    log(f"{total} releases waiting for bench-approver")
    n = 0
    for r in range(RELEASES_PER_PROJECT):
        for slug, name in PROJECTS:
            version = f"1.{r}.0"
            day = 1 + n * days // total
            rid = rm.call("releases/create", slug=slug, version=version,
                          title=f"{name} {version}: the usual fixes and one new feature",
                          artifact=artifact(slug, version), planned=f"{month}-{day:02d}")
            rm.call("releases/transition", slug=slug, id=str(rid), action="submit")
            n += 1

    log("the sign-off release")
    slug = SIGNOFF_PROJECT
    rid = rm.call("releases/create", slug=slug, version="2.0.0",
                  title="Checkout 2.0.0: new payment flow",
                  artifact=artifact(slug, "2.0.0"), planned=f"{month}-{days // 2:02d}")
    rm.call("releases/transition", slug=slug, id=str(rid), action="submit")
    people = [Client(base, name, BENCH_USER_PASSWORD) for name in approvers]
    view = rm.call("releases/get", slug=slug, id=str(rid))
    seen = {"slug": slug, "id": str(rid), "seen_artifact": view["artifact"],
            "seen_revision": str(view["notes_revision"])}

    def approve(who, comment):
        who.call("releases/decide", decision="approve", comment=comment, **seen)

    for i in range(SIGNOFF_ROUNDS):
        who = people[i % 2]
        approve(who, f"Round {i + 1}: looks good.")
        who.call("releases/revoke", slug=slug, id=str(rid))
    approve(people[0], "Final: approved.")
    for who in people[1:]:
        approve(who, "Agreed.")

    log("checking the pages")
    approver = people[0]
    signoff_path = f"/projects/{slug}/releases/{rid}"
    view = approver.call("releases/get", slug=slug, id=str(rid))
    expect("sign-off release state", view["state"], "approved")
    page = count(approver.page(signoff_path))
    expect("decisions on the sign-off page", page.items.get("decisions"), 20)
    expect("checklist items on the sign-off page", page.items.get("checklist"), 10)
    expect("timeline entries on the sign-off page", page.items.get("timeline"), 30)

    waiting = approver.call("releases/waiting")
    expect("releases waiting for bench-approver", len(waiting), total)
    expect("projects with waiting releases", len({w["project_slug"] for w in waiting}), len(PROJECTS))
    # The queue's <li>s sit in an unmarked <ul> inside the marked section.
    queue = approver.page("/").split('data-test="signoff-queue"', 1)
    queue_items = queue[1].split("</section>", 1)[0].count("<li") if len(queue) == 2 else 0
    expect("dashboard: releases waiting for your sign-off", queue_items, total)

    calendar_path = f"/calendar?month={month}"
    cal = count(approver.page(calendar_path))
    events = cal.marks.get("cal-entry", 0)
    if events < 30:
        raise Failed(f"calendar {month}: {events} events, expected at least 30")
    log(f"ok: calendar {month} shows {events} events")

    print(f"SIGNOFF_URL={shlex.quote(base + signoff_path)}")
    print(f"DASHBOARD_URL={shlex.quote(base + '/')}")
    print(f"CALENDAR_URL={shlex.quote(base + calendar_path)}")
    print(f"APPROVER_COOKIE={shlex.quote(approver.cookie())}")
    print(f"ADMIN_COOKIE={shlex.quote(admin.cookie())}")


def month_arg(s):
    try:
        year, mon = (int(x) for x in s.split("-"))
        calendar.monthrange(year, mon)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a month like 2026-12") from None
    return f"{year:04d}-{mon:02d}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base_url", help="e.g. http://127.0.0.1:3990")
    ap.add_argument("admin_password")
    ap.add_argument("--month", default="2026-12", type=month_arg,
                    help="YYYY-MM the releases are planned in (default 2026-12, fixed so runs compare)")
    args = ap.parse_args()
    try:
        seed(args.base_url.rstrip("/"), args.admin_password, args.month)
    except Failed as e:
        print(f"bench-seed: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
