import { test, expect, ConsoleMessage, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import { BINARY } from '../paths';
import { ADMIN_PASSWORD, hydrated, projectWithRepository, Repo, signIn } from './helpers';

// Every page the router knows, walked in the release build as an admin, with
// zero console errors, page errors, failed requests or hydration panics.
//
// The list of routes comes from the binary itself (`slipway routes`), so a new
// page cannot be forgotten: the walk follows links from the dashboard and
// fails when any route was never reached. A page reached by no link is a
// finding too (users could not find it either).

/** A router path such as `/projects/{slug}/releases/{id}` as a matcher. */
interface Route {
  path: string;
  regex: RegExp;
  /** Static segments win over parameters: `/projects/new` is not a slug. */
  specificity: number;
}

function routes(): Route[] {
  const out = execFileSync(BINARY, ['routes'], { env: { ...process.env, SLIPWAY_LOG: 'error' } }).toString();
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/'))
    .map((p) => {
      const segments = p.split('/').filter(Boolean);
      const pattern = segments.map((s) => (s.startsWith('{') ? '[^/]+' : s.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
      return {
        path: p,
        regex: new RegExp(`^/${pattern}/?$`),
        specificity: segments.filter((s) => !s.startsWith('{')).length,
      };
    });
}

function routeOf(all: Route[], pathname: string): Route | undefined {
  return all
    .filter((r) => r.regex.test(pathname))
    .sort((a, b) => b.specificity - a.specificity)[0];
}

/** Watches a page for anything that would mean it is broken. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Navigating away aborts the page's live-update stream: not a failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().includes('/live/')) return;
    problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return problems;
}

test('every route hydrates in the release build with no console errors or failed requests', async ({ page, browser }) => {
  test.setTimeout(240_000);
  const all = routes();
  // Sanity: the binary knows the pages the walk must reach.
  expect(all.map((r) => r.path)).toEqual(expect.arrayContaining(['/', '/projects', '/projects/{slug}']));

  // Data that makes every page reachable: a project with a repository,
  // release notes and a release.
  await signIn(page, 'admin', ADMIN_PASSWORD);
  const repo = new Repo();
  repo.commit('feat: first release');
  repo.git('tag', 'v1.0.0');
  repo.git('push', '-q', 'origin', 'v1.0.0');
  repo.commit('feat(cart): add coupons\n\nRefs: SHOP-12');
  repo.commit('fix: rounding of totals (#7)');
  await projectWithRepository(page, 'Route walk', repo);
  await page.goto('/projects/route-walk/releases');
  await hydrated(page);
  await page.getByTestId('draft-notes').click();
  await expect(page).toHaveURL(/\/projects\/route-walk\/notes\/\d+$/);
  await page.goto('/projects/route-walk/releases');
  await hydrated(page);
  await page.getByText('Create a release').click();
  await page.getByLabel('Version').fill('1.1.0');
  await page.getByLabel(/^Title/).fill('Coupons');
  await page.getByLabel(/^Commit \(artifact\)/).fill(repo.git('rev-parse', 'HEAD'));
  await page.getByTestId('create-release').click();
  await expect(page).toHaveURL(/\/projects\/route-walk\/releases\/\d+$/);

  // Signed out first (the sign-in page and what anonymous visitors see),
  // then as admin.
  const anonymous = await browser.newContext();
  const signedOut = await walk(await anonymous.newPage(), all);
  await anonymous.close();
  const signedIn = await walk(page, all);
  const visited = [...signedOut.visited, ...signedIn.visited];
  const failures = [...signedOut.failures.map((f) => `(signed out) ${f}`), ...signedIn.failures];
  const origin = new URL(page.url()).origin;
  const reached = new Set(visited.map((v) => routeOf(all, new URL(v, origin).pathname)?.path));
  const unreached = all.map((r) => r.path).filter((p) => !reached.has(p));
  expect(failures, `pages with problems (${visited.length} visited)`).toEqual([]);
  expect(unreached, `routes no link led to (visited: ${visited.join(', ')})`).toEqual([]);
});

/** Breadth-first from the dashboard over same-origin links to router pages. */
async function walk(page: Page, all: Route[]): Promise<{ visited: string[]; failures: string[] }> {
  const perRoute = new Map<string, number>();
  const queue: string[] = ['/'];
  const seen = new Set<string>(queue);
  const failures: string[] = [];
  const visited: string[] = [];
  while (queue.length > 0) {
    const url = queue.shift()!;
    const problems = watch(page);
    await page.goto(url);
    const origin = new URL(page.url()).origin;
    // Only hydration sets this (an effect that runs in the browser).
    try {
      await hydrated(page);
    } catch {
      problems.push('did not hydrate');
    }
    // Let late requests (resources, live updates) settle before judging.
    await page.waitForLoadState('networkidle').catch(() => undefined);
    visited.push(url);
    page.removeAllListeners('console');
    page.removeAllListeners('pageerror');
    page.removeAllListeners('requestfailed');
    page.removeAllListeners('response');
    if (problems.length > 0) failures.push(`${url}\n    ${problems.join('\n    ')}`);

    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    for (const href of hrefs) {
      const u = new URL(href);
      if (u.origin !== origin) continue;
      const route = routeOf(all, u.pathname);
      if (!route) continue;
      const key = u.pathname + u.search;
      if (seen.has(key)) continue;
      // A few URLs per route cover its variants (query strings, other ids)
      // without walking every month of the calendar.
      const n = perRoute.get(route.path) ?? 0;
      if (n >= 3) continue;
      perRoute.set(route.path, n + 1);
      seen.add(key);
      queue.push(key);
    }
  }
  return { visited, failures };
}
