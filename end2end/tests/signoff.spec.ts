import { test, expect, Browser, Page } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn } from './helpers';

const PASSWORD = 'a long enough password';
const SHA = '0123456789abcdef0123456789abcdef01234567';

async function createUser(page: Page, username: string, role: string) {
  const res = await page.request.post('/api/users/create', {
    headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' },
    form: { username, password: PASSWORD, role },
  });
  const body = await res.text();
  // Another test may have created them already.
  expect(res.status() === 200 || body.includes('already'), body).toBeTruthy();
}

async function as(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, username, PASSWORD);
  return page;
}

test('a product owner and a tech lead sign off; the author cannot approve their own release', async ({ page, browser }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await createUser(page, 'erin', 'engineer');
  await createUser(page, 'tess', 'tech_lead');
  await createUser(page, 'paula', 'product_owner');

  // Release managers (here: admin) set who must sign off for dev.
  await page.goto('/projects/demo/policies');
  await hydrated(page);
  const dev = page.getByTestId('policy').filter({ hasText: 'dev' }).first();
  await dev.getByLabel('Approvals required').fill('2');
  await dev.getByLabel('At least').first().fill('1');
  await dev.getByLabel('of these roles').first().fill('tech_lead');
  await dev.getByLabel('At least').nth(1).fill('1');
  await dev.getByLabel('of these roles').nth(1).fill('product_owner, sre');
  await dev.getByRole('button', { name: /Save the dev policy/ }).click();
  await expect(page.getByTestId('policy').first().getByTestId('policy-description')).toContainText('2 approvals');

  // An engineer creates a release and submits it.
  const erin = await as(browser, 'erin');
  await erin.goto('/projects/demo/releases');
  await hydrated(erin);
  await erin.getByText('Create a release').click();
  await erin.getByLabel('Version').fill('1.0.0');
  await erin.getByLabel(/^Title/).fill('Coupons');
  await erin.getByLabel(/^Commit \(artifact\)/).fill(SHA);
  await erin.getByTestId('create-release').click();
  await expect(erin).toHaveURL(/\/projects\/demo\/releases\/\d+$/);
  const releaseUrl = erin.url();
  await hydrated(erin);
  await erin.getByTestId('submit-release').click();
  await expect(erin.getByTestId('release-state')).toHaveText('Waiting for sign-off');

  // The author cannot approve: the page says why, and the server refuses a forged call.
  await expect(erin.getByTestId('cannot-decide')).toContainText('You authored this release');
  const id = releaseUrl.split('/').pop()!;
  const forged = await erin.request.post('/api/releases/decide', {
    headers: { Origin: new URL(releaseUrl).origin, Accept: 'application/json' },
    form: { slug: 'demo', id, decision: 'approve', seen_artifact: SHA, seen_revision: '0' },
  });
  expect(forged.status()).toBe(409);

  // The product owner finds it in their queue and approves.
  const paula = await as(browser, 'paula');
  await expect(paula.getByTestId('signoff-queue')).toContainText('Slipway demo 1.0.0');
  // (Other tests' releases may wait in the same queue: take this one.)
  await paula.getByTestId('signoff-queue').getByRole('listitem').filter({ hasText: 'Slipway demo 1.0.0' })
    .getByRole('link').first().click();
  await hydrated(paula);
  await expect(paula.getByTestId('approval-status')).toContainText('Needs 2 more');
  await paula.getByLabel(/Comment/).fill('Product side is happy');
  await paula.getByTestId('approve').click();
  await expect(paula.getByTestId('approval-status')).toContainText('Needs 1 more: a tech lead');

  // The tech lead approves: the release is approved for dev.
  const tess = await as(browser, 'tess');
  await tess.goto(releaseUrl);
  await hydrated(tess);
  await tess.getByTestId('approve').click();
  await expect(tess.getByTestId('release-state')).toHaveText('Approved');
  await expect(tess.getByTestId('decisions')).toContainText('paula');

  // The engineer promotes; the history records it.
  await erin.reload();
  await hydrated(erin);
  await erin.getByTestId('promote').click();
  await expect(erin.getByTestId('promoted')).toContainText('dev');
  await expect(erin.getByTestId('release-state')).toHaveText('Released');
  await expect(erin.getByTestId('timeline')).toContainText('deploying → released');
});

test('a decision appears live on another approver\'s open page', async ({ page, browser }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await createUser(page, 'erin', 'engineer');
  await createUser(page, 'tess', 'tech_lead');
  await createUser(page, 'paula', 'product_owner');
  const erin = await as(browser, 'erin');
  await erin.goto('/projects/demo/releases');
  await hydrated(erin);
  await erin.getByText('Create a release').click();
  await erin.getByLabel('Version').fill('2.0.0-live');
  await erin.getByLabel(/^Commit \(artifact\)/).fill(SHA);
  await erin.getByTestId('create-release').click();
  await expect(erin).toHaveURL(/\/projects\/demo\/releases\/\d+$/);
  await hydrated(erin);
  await erin.getByTestId('submit-release').click();
  await expect(erin.getByTestId('release-state')).toHaveText('Waiting for sign-off');
  const url = erin.url();

  const tess = await as(browser, 'tess');
  await tess.goto(url);
  await hydrated(tess);
  const paula = await as(browser, 'paula');
  await paula.goto(url);
  await hydrated(paula);
  await paula.getByTestId('approve').click();
  await expect(paula.getByTestId('decisions')).toContainText('paula');
  // Tess's page never reloads: the approval arrives by itself.
  await expect(tess.getByTestId('decisions')).toContainText('paula', { timeout: 3000 });
  await expect(erin.getByTestId('decisions')).toContainText('paula', { timeout: 3000 });
});
