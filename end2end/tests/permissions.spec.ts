import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, signIn } from './helpers';

test('a stakeholder sees 403 pages for admin pages and a forged server-function call is refused', async ({ page, browser }) => {
  // The admin creates a stakeholder through the UI.
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/admin/users/new');
  await hydrated(page);
  await page.getByLabel('Username').fill('stella');
  await page.getByLabel('Display name').fill('Stella Stakeholder');
  await page.getByLabel('Initial password').fill('stella long password');
  await page.getByLabel(/Role for all projects/).selectOption('stakeholder');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page).toHaveURL(/\/admin\/users\/stella$/);
  await expect(page.getByTestId('grants')).toContainText('Stakeholder');

  const context = await browser.newContext();
  const stella = await context.newPage();
  await signIn(stella, 'stella', 'stella long password');
  // No admin navigation for her.
  await expect(stella.getByRole('link', { name: 'Users' })).toHaveCount(0);

  for (const path of ['/admin/users', '/admin/users/new', '/projects/new']) {
    const res = await stella.goto(path);
    expect(res?.status(), path).toBe(403);
    await expect(stella.getByTestId('status-403')).toBeVisible();
    await expect(stella.getByRole('heading', { level: 1 })).toHaveText('You do not have access to this page');
  }

  // A forged call to the server function, with her session cookie, same origin.
  const forged = await stella.evaluate(async () => {
    const r = await fetch('/api/projects/create', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: 'project[name]=Forged&project[slug]=forged',
    });
    return { status: r.status, body: await r.text() };
  });
  expect(forged.status).toBe(403);
  expect(forged.body).toContain('Forbidden');
  const grant = await stella.evaluate(async () => {
    const r = await fetch('/api/users/grant', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: 'username=stella&role=admin',
    });
    return r.status;
  });
  expect(grant).toBe(403);

  // Nothing changed: no "forged" project, and she is still only a stakeholder.
  await page.goto('/projects');
  await expect(page.getByText('Forged')).toHaveCount(0);
  await page.goto('/admin/users/stella');
  await expect(page.getByTestId('grants')).not.toContainText('Admin');
  await context.close();
});
