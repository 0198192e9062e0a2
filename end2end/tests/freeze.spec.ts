import { test, expect, Page } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn } from './helpers';

const PASSWORD = 'a long enough password';
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';

async function api(page: Page, path: string, form: Record<string, string>) {
  const res = await page.request.post(path, {
    headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' },
    form,
  });
  return { status: res.status(), body: await res.text() };
}

function day(offset: number): string {
  const d = new Date(Date.now() + offset * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test('a freeze blocks production; break-glass promotes and opens a review on the dashboard', async ({ page, browser }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  for (const [u, role] of [['fiona', 'engineer'], ['sid', 'sre'], ['tom', 'tech_lead']]) {
    const r = await api(page, '/api/users/create', { username: u, password: PASSWORD, role });
    expect(r.status === 200 || r.body.includes('already'), r.body).toBeTruthy();
  }
  // The demo project's environments need no approvals in this scenario.
  for (const env of ['dev', 'staging', 'prod']) {
    const r = await api(page, '/api/releases/policy', { slug: 'demo', environment: env, required: '0' });
    expect(r.status, r.body).toBe(200);
  }
  // A year-end freeze in force now.
  const freeze = await api(page, '/api/calendar/freezes/create', {
    project: 'demo', name: 'Year-end freeze', reason: 'Holiday traffic', kind: 'once',
    start: `${day(-1)}T00:00`, end: `${day(2)}T00:00`, time_zone: 'UTC',
  });
  expect(freeze.status, freeze.body).toBe(200);

  // An engineer's release reaches staging.
  const fiona = await (await browser.newContext()).newPage();
  await signIn(fiona, 'fiona', PASSWORD);
  const created = await api(fiona, '/api/releases/create', { slug: 'demo', version: '9.0.0', artifact: SHA });
  expect(created.status, created.body).toBe(200);
  const id = created.body.trim();
  for (const [path, form] of [
    ['/api/releases/transition', { slug: 'demo', id, action: 'submit' }],
    ['/api/releases/tick', { slug: 'demo', id, key: 'qa-scope' }],
    ['/api/releases/promote', { slug: 'demo', id }],
    ['/api/releases/promote', { slug: 'demo', id }],
  ] as const) {
    const r = await api(fiona, path, form);
    expect(r.status, `${path}: ${r.body}`).toBe(200);
  }

  // The SRE sees why production is blocked, then breaks glass.
  const sid = await (await browser.newContext()).newPage();
  await signIn(sid, 'sid', PASSWORD);
  await sid.goto(`/projects/demo/releases/${id}`);
  await hydrated(sid);
  await expect(sid.getByTestId('gate-blockers')).toContainText('Production is frozen until');
  await expect(sid.getByTestId('gate-blockers')).toContainText('Holiday traffic');
  // The button says it is blocked and cannot be pressed; the server's gate
  // refuses a call all the same.
  await expect(sid.getByTestId('promote')).toBeDisabled();
  await expect(sid.getByTestId('promote-blocked')).toContainText('waits for');
  const refused = await api(sid, '/api/releases/promote', { slug: 'demo', id });
  expect(refused.status, refused.body).toBe(409);
  expect(refused.body).toContain('frozen');
  await sid.getByText('Break glass (emergency)').click();
  await sid.getByLabel('Reason').fill('Checkout is down, INC-77');
  // Without a named reviewer the server refuses, and nothing moves.
  await sid.getByTestId('break-glass').click();
  await expect(sid.getByTestId('break-glass-reviewers').getByTestId('field-error')).toContainText('Name at least one person');
  await expect(sid.getByTestId('timeline')).not.toContainText('break-glass');
  await sid.getByTestId('break-glass-reviewers').getByLabel('(tom)').check();
  await sid.getByTestId('break-glass').click();
  await expect(sid.getByTestId('release-state')).toHaveText('Released');
  await expect(sid.getByTestId('timeline')).toContainText('break-glass');

  // Tom, the named reviewer, is told; the review is on his dashboard until
  // he gives his conclusion.
  const tom = await (await browser.newContext()).newPage();
  await signIn(tom, 'tom', PASSWORD);
  await tom.goto('/');
  await hydrated(tom);
  await expect(tom.getByTestId('inbox')).toContainText('Review needed: Slipway demo 9.0.0 went to prod by break-glass');
  const review = tom.getByTestId('reviews').getByTestId('review').filter({ hasText: '9.0.0' });
  await expect(review).toContainText('Checkout is down, INC-77');
  await expect(review.getByTestId('reviewers')).toContainText('tom — has not concluded yet');
  await review.getByLabel('Your conclusion').fill('Right call; add a canary for checkout.');
  await review.getByRole('button', { name: 'Give my conclusion' }).click();
  await expect(tom.getByTestId('reviews').getByTestId('review').filter({ hasText: '9.0.0' })).toHaveCount(0);
});
