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
