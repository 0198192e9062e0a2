import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn } from './helpers';

test('admin signs in, creates a project with three environments, sees them, signs out', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.getByTestId('new-project').first().click();
  await expect(page).toHaveURL(/\/projects\/new$/);
  await hydrated(page);

  await page.getByLabel('Name', { exact: true }).first().fill('Checkout Service');
  // The slug follows the name until someone edits it: only hydration can do that.
  await expect(page.getByTestId('project-slug')).toHaveValue('checkout-service');

  // The form starts with dev, staging, prod; replace them with our own three.
  const names = page.getByTestId('environment-name');
  await expect(names).toHaveCount(3);
  await names.nth(0).fill('dev');
  await names.nth(1).fill('qa');
  await names.nth(2).fill('production');
  // Adding a row is a hydrated behaviour too; leave the new row empty (skipped).
  await page.getByTestId('add-environment').click();
  await expect(names).toHaveCount(4);
  await page.getByTestId('create-project').click();

  await expect(page).toHaveURL(/\/projects\/checkout-service$/);
  await expect(page.getByTestId('project-title')).toContainText('Checkout Service');
  const envs = page.getByTestId('environment');
  await expect(envs).toHaveCount(3);
  await expect(envs.nth(0)).toContainText('dev');
  await expect(envs.nth(1)).toContainText('qa');
  await expect(envs.nth(2)).toContainText('production');

  await page.goto('/projects');
  await expect(page.getByTestId('project-card').filter({ hasText: 'Checkout Service' })).toBeVisible();

  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/projects');
  await expect(page).toHaveURL(/\/login\?next=/);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('validation errors appear next to the field without losing input', async ({ page }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).first().fill('Demo twin');
  await page.getByTestId('project-slug').fill('demo'); // the demo project has it
  await page.getByTestId('create-project').click();
  await expect(page.locator('#project-slug-error')).toContainText('already');
  await expect(page.getByTestId('project-slug')).toHaveValue('demo');
  await expect(page.locator('#project-slug')).toHaveAttribute('aria-invalid', 'true');
});

test('a project depends on another: chosen on its edit page, shown on both pages, loops refused', async ({ page }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  const origin = new URL(page.url()).origin;
  for (const [name, slug] of [['Storefront', 'storefront'], ['Payments', 'payments']]) {
    const r = await page.request.post('/api/projects/create', {
      headers: { Origin: origin, Accept: 'application/json' },
      form: { 'project[name]': name, 'project[slug]': slug },
    });
    expect(r.status(), await r.text()).toBe(200);
  }

  await page.goto('/projects/storefront/edit');
  await hydrated(page);
  const form = page.getByTestId('dependencies-form');
  await expect(page.getByTestId('dependencies-panel')).toContainText('release calendar then warns');
  await form.getByLabel('Payments').check();
  await form.getByTestId('save-dependencies').click();
  await expect(form.getByRole('status')).toHaveText('Saved.');
  await expect(form.getByLabel('Payments')).toBeChecked();

  await page.goto('/projects/storefront');
  await expect(page.getByTestId('depends-on')).toHaveText('Payments');
  await page.getByTestId('depends-on').getByRole('link', { name: 'Payments' }).click();
  await expect(page).toHaveURL(/\/projects\/payments$/);
  await expect(page.getByTestId('depended-on-by')).toHaveText('Storefront');

  // Payments depending on Storefront would be a loop: the form says so
  // beforehand, and refuses it next to the field, keeping the ticked box.
  await page.goto('/projects/payments/edit');
  await hydrated(page);
  const loop = page.getByTestId('dependencies-form');
  const storefront = loop.getByTestId('dependency-choice').filter({ hasText: 'Storefront' });
  await expect(storefront).toContainText('Storefront depends on Payments already');
  await storefront.getByRole('checkbox').check();
  await loop.getByTestId('save-dependencies').click();
  await expect(page.locator('#depends-on-error')).toContainText('Payments → Storefront → Payments');
  await expect(storefront.getByRole('checkbox')).toBeChecked();
  await page.goto('/projects/payments');
  await expect(page.getByTestId('depends-on')).toHaveText('—');
});
