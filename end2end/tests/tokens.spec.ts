import { test, expect, Page } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn } from './helpers';

// API tokens in the browser: a personal token made on the account page and
// used on the API until it is revoked there; a service token made on a
// project's page. Screenshots go to the test's output directory.

/**
 * Collects console errors and page errors, except the browser's own note of
 * the 422 answer that a form with a bad field gets on purpose.
 */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('status of 422')) errors.push(m.text());
  });
  return errors;
}

test('a personal token made on the account page works on the API until it is revoked there', async ({ page, request }, info) => {
  const errors = watch(page);
  // Unique, so that a retry finds its own row.
  const name = `Playwright CI ${Date.now()}`;
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/account');
  await hydrated(page);
  const section = page.getByTestId('personal-tokens');
  await expect(section.getByRole('heading', { name: 'Your API tokens' })).toBeVisible();
  // Reading is always on; the lifetime starts at 90 days.
  await expect(section.getByLabel(/^Read projects and releases/)).toBeChecked();
  await expect(section.getByLabel(/^Read projects and releases/)).toBeDisabled();
  await expect(section.getByLabel('Expires after')).toHaveValue('90d');

  // A name of blanks: the error sits next to the field, nothing is made.
  await section.getByLabel('Name', { exact: true }).fill('   ');
  await section.getByTestId('create-token').click();
  await expect(section.locator('#token-name-error')).toContainText('name');
  await expect(section.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(section.getByTestId('token').filter({ hasText: name })).toHaveCount(0);

  await section.getByLabel('Name', { exact: true }).fill(name);
  await section.getByLabel(/^Record evidence/).check();
  await section.getByLabel('Expires after').selectOption('30d');
  await page.screenshot({ path: info.outputPath('account-form.png'), fullPage: true });
  await section.getByTestId('create-token').click();

  // The secret, once, in a read-only field that takes the focus.
  const secretField = section.getByTestId('token-secret-value');
  await expect(secretField).toBeVisible();
  const secret = await secretField.inputValue();
  expect(secret).toMatch(/^slw_[0-9a-f]{64}$/);
  await expect(secretField).toHaveAttribute('readonly', '');
  await expect(secretField).toBeFocused();
  await expect(section.getByTestId('token-secret')).toContainText('will not be shown again');
  const row = section.getByTestId('token').filter({ hasText: name });
  await expect(row.getByTestId('token-hint')).toHaveText(`${secret.slice(0, 12)}…`);
  await expect(row).toContainText('Record evidence');
  await expect(row).toContainText('All you can reach');
  await expect(row.getByTestId('token-last-used')).toHaveText('Never');
  await expect(row.getByTestId('token-status')).toHaveText('Active');
  // Nowhere on the page but its own field.
  const body = await page.locator('body').innerText();
  expect(body.includes(secret.slice(12))).toBe(false);
  await page.screenshot({ path: info.outputPath('account-secret.png'), fullPage: true });

  const ok = await request.get('/api/v1/projects', { headers: { Authorization: `Bearer ${secret}` } });
  expect(ok.status()).toBe(200);

  // After a reload: the secret is gone for good, "last used" is filled.
  await page.reload();
  await hydrated(page);
  await expect(section.getByTestId('token-secret')).toHaveCount(0);
  expect(await page.content()).not.toContain(secret.slice(12));
  await expect(row.getByTestId('token-last-used')).toContainText('UTC');
  await expect(row.getByTestId('token-last-used')).toContainText('from 127.0.0.1');

  // Revoke asks first, then the token stays listed as revoked and stops working.
  await row.getByTestId('revoke-token').click();
  await expect(row.getByTestId('confirm-revoke')).toBeVisible();
  await expect(row).toContainText('stops working at once');
  await page.screenshot({ path: info.outputPath('account-revoke-confirm.png'), fullPage: true });
  await row.getByTestId('confirm-revoke').click();
  await expect(row.getByTestId('token-status')).toHaveText('Revoked');
  await expect(row).toHaveClass(/ended/);
  await expect(row.getByTestId('revoke-token')).toHaveCount(0);
  const refused = await request.get('/api/v1/projects', { headers: { Authorization: `Bearer ${secret}` } });
  expect(refused.status()).toBe(401);
  await page.screenshot({ path: info.outputPath('account-revoked.png'), fullPage: true });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a service token is made on a project page and reaches that project only', async ({ page, request }, info) => {
  const errors = watch(page);
  const name = `GitHub Actions ${Date.now()}`;
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/projects/demo');
  await hydrated(page);
  const section = page.getByTestId('service-tokens');
  await expect(section.getByRole('heading', { name: 'Service tokens' })).toBeVisible();
  await expect(section).toContainText('belongs to the project');

  await section.getByLabel('Name', { exact: true }).fill(name);
  await section.getByLabel(/^Create and manage releases/).check();
  await section.getByLabel(/^Record evidence/).check();
  await section.getByTestId('create-service-token').click();
  const secretField = section.getByTestId('token-secret-value');
  await expect(secretField).toBeVisible();
  const secret = await secretField.inputValue();
  expect(secret).toMatch(/^slw_[0-9a-f]{64}$/);
  const row = section.getByTestId('token').filter({ hasText: name });
  await expect(row.getByTestId('token-status')).toHaveText('Active');
  await expect(row).toContainText('Create and manage releases');
  await page.screenshot({ path: info.outputPath('project-secret.png'), fullPage: true });

  const res = await request.get('/api/v1/projects', { headers: { Authorization: `Bearer ${secret}` } });
  expect(res.status()).toBe(200);
  const slugs = ((await res.json()).items as { slug: string }[]).map((p) => p.slug);
  expect(slugs).toEqual(['demo']);

  // The secret stands in place of the form, so a second click cannot make
  // a near-duplicate.
  await expect(section.getByTestId('create-service-token-form')).toHaveCount(0);

  // "I have copied it" takes the secret off the page and brings back an
  // empty form.
  await section.getByTestId('token-secret-done').click();
  await expect(section.getByTestId('token-secret')).toHaveCount(0);
  await expect(row).toBeVisible();
  await expect(section.getByLabel('Name', { exact: true })).toHaveValue('');
  await expect(section.getByLabel(/^Record evidence/)).not.toBeChecked();
  await page.screenshot({ path: info.outputPath('project-tokens.png'), fullPage: true });
  expect(errors, errors.join('\n')).toEqual([]);
});
