import { test, expect, Page } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn } from './helpers';

const PASSWORD = 'a long enough password';
const SHA = '1234567890abcdef1234567890abcdef12345678';

async function api(page: Page, path: string, form: Record<string, string>) {
  const res = await page.request.post(path, {
    headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' },
    form,
  });
  return { status: res.status(), body: await res.text() };
}

test('evidence ticks the checklist, and a sign-off request reaches the approver\'s dashboard', async ({ page, browser }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  for (const [u, role] of [['ezra', 'engineer'], ['tina', 'tech_lead']]) {
    const r = await api(page, '/api/users/create', { username: u, password: PASSWORD, role });
    expect(r.status === 200 || r.body.includes('already'), r.body).toBeTruthy();
  }
  const ezra = await (await browser.newContext()).newPage();
  await signIn(ezra, 'ezra', PASSWORD);
  const created = await api(ezra, '/api/releases/create', { slug: 'demo', version: '9.1.0', title: 'Gift cards', artifact: SHA });
  expect(created.status, created.body).toBe(200);
  const id = created.body.trim();
  expect((await api(ezra, '/api/releases/transition', { slug: 'demo', id, action: 'submit' })).status).toBe(200);

  await ezra.goto(`/projects/demo/releases/${id}`);
  await hydrated(ezra);
  const evidence = ezra.getByTestId('evidence');
  await expect(evidence).toContainText('No evidence recorded yet.');
  await evidence.getByText('Record evidence').click();
  // Bad input: explained next to the field, nothing recorded.
  await evidence.getByLabel('Kind').fill('Smoke Tests');
  await evidence.getByLabel('What it shows').fill('12 smoke tests passed in staging');
  await evidence.getByRole('button', { name: 'Record' }).click();
  await expect(evidence.getByTestId('field-error')).toContainText('lower case with dashes');
  await expect(evidence).toContainText('No evidence recorded yet.');
  // Passed smoke tests tick the item that waits for them, and say so.
  await evidence.getByLabel('Kind').fill('smoke-tests');
  await evidence.getByLabel(/^Link to the report/).fill('https://ci.example.com/runs/7');
  await evidence.getByRole('button', { name: 'Record' }).click();
  await expect(ezra.getByTestId('evidence-recorded')).toContainText('ticked Load/performance smoke for risky changes');
  await expect(ezra.getByTestId('evidence-list')).toContainText('smoke-tests: 12 smoke tests passed in staging');
  await expect(ezra.getByTestId('evidence-list').getByRole('link', { name: 'report' })).toHaveAttribute('href', 'https://ci.example.com/runs/7');
  await expect(ezra.getByTestId('checklist').locator('li').filter({ hasText: 'Load/performance smoke' }))
    .toContainText('Ticked automatically from smoke-tests');

  // Ezra asks Tina for her sign-off; she finds it on her dashboard.
  await ezra.getByText('Send a sign-off link').click();
  await ezra.getByLabel("Approver's username").fill('tina');
  await ezra.getByRole('button', { name: 'Create link' }).click();
  await expect(ezra.getByTestId('sign-link')).toContainText('Sent to their dashboard');
  await expect(ezra.getByTestId('sign-link').getByRole('link')).toHaveAttribute('href', /^\/sign\/[0-9a-f]{64}$/);

  const tina = await (await browser.newContext()).newPage();
  await signIn(tina, 'tina', PASSWORD);
  await tina.goto('/');
  await hydrated(tina);
  const inbox = tina.getByTestId('inbox');
  await expect(inbox.getByTestId('unread')).toHaveText('1 new');
  const request = inbox.getByTestId('notification').filter({ hasText: 'Sign-off requested: Slipway demo 9.1.0' });
  await expect(request).toContainText('ezra asks you to sign off Slipway demo 9.1.0 (Gift cards)');
  await inbox.getByTestId('mark-all-read').click();
  await expect(inbox.getByTestId('unread')).toHaveCount(0);
  await request.getByRole('link').click();
  await expect(tina).toHaveURL(new RegExp(`/projects/demo/releases/${id}#decision$`));
  await hydrated(tina);
  await expect(tina.getByTestId('evidence-list')).toContainText('12 smoke tests passed');
});
