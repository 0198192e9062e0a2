import { test, expect, Page } from '@playwright/test';
import { ADMIN_PASSWORD, hydrated, projectWithRepository, Repo, signIn } from './helpers';

// Stored input must never become markup: not in the document <title> (which
// the renderer writes raw), not in a <textarea> (whose content it does not
// escape either), and editing must give back exactly what was stored.

const TITLE_PAYLOAD = '</title><meta http-equiv="refresh" content="0;url=https://phish.example">';
const TEXTAREA_PAYLOAD = '</textarea><img src=x onerror="window.__xss=1">';

/** Nothing from a payload became an element, and no script ran. */
async function inert(page: Page) {
  await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);
  await expect(page.locator('img[src="x"], [onerror]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
}

test('a project name and a display name that close the <title> stay text', async ({ page }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).first().fill(`Shop ${TITLE_PAYLOAD}`);
  await page.getByTestId('project-slug').fill('title-payload');
  await page.getByTestId('create-project').click();
  await expect(page).toHaveURL(/\/projects\/title-payload$/);

  for (const path of ['/projects/title-payload', '/projects/title-payload/edit', '/projects/title-payload/repository']) {
    // The server-rendered document, before any script runs.
    const html = await (await page.request.get(path, { headers: { Accept: 'text/html' } })).text();
    expect(html, path).not.toContain('<meta http-equiv="refresh"');
    await page.goto(path);
    await hydrated(page);
    await inert(page);
    await expect(page).toHaveTitle(new RegExp(TITLE_PAYLOAD.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  }

  const res = await page.request.post('/api/users/create', {
    headers: { Origin: new URL(page.url()).origin, Accept: 'application/json' },
    form: { username: 'mallory', display_name: `Mallory ${TITLE_PAYLOAD}`.slice(0, 100), password: 'a long enough password', role: 'engineer' },
  });
  expect(res.status(), await res.text()).toBe(200);
  await page.goto('/admin/users/mallory');
  await hydrated(page);
  await inert(page);
});

test('a release version may only hold what a version can contain', async ({ page }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD);
  await page.goto('/projects/demo/releases');
  await hydrated(page);
  await page.getByText('Create a release', { exact: true }).click();
  await page.getByLabel('Version').fill(`1.0.0${TITLE_PAYLOAD}`);
  await page.getByLabel(/^Title/).fill('Payload');
  await page.getByLabel(/^Commit \(artifact\)/).fill('0123456789abcdef0123456789abcdef01234567');
  await page.getByTestId('create-release').click();
  await expect(page.getByText(/letters, digits/).first()).toBeVisible();
  await inert(page);
});

test('a commit message that closes the notes <textarea> stays text, and an unchanged save keeps every byte', async ({ page }) => {
  const repo = new Repo();
  repo.commit('feat: base');
  repo.git('tag', 'v3.0.0');
  repo.git('push', '-q', 'origin', 'v3.0.0');
  repo.commit(`fix: ${TEXTAREA_PAYLOAD} &lt;kept&gt; &amp; 5 > 3`);

  await signIn(page, 'admin', ADMIN_PASSWORD);
  await projectWithRepository(page, 'Textarea Target', repo);
  await page.goto('/projects/textarea-target/releases');
  await hydrated(page);
  await page.getByTestId('draft-notes').click();
  await expect(page).toHaveURL(/\/projects\/textarea-target\/notes\/\d+$/);
  const notesUrl = page.url();

  // Loaded fresh from the server (not hydrated yet, then hydrated).
  await page.goto(notesUrl);
  await hydrated(page);
  await inert(page);
  const body = page.getByTestId('notes-body');
  const before = await body.inputValue();
  expect(before).toContain('&lt;/textarea&gt;'); // as the generated notes store it
  expect(before).toContain('&amp;lt;kept&amp;gt;');

  // Save without changing anything: the server sees the same bytes, so no
  // new revision (a decoded entity would have made one).
  await page.getByTestId('save-notes').click();
  await expect(page.getByTestId('saved')).toBeVisible();
  await expect(page.getByTestId('notes-status')).toContainText('revision 1');
  await page.goto(notesUrl);
  await hydrated(page);
  await inert(page);
  expect(await body.inputValue()).toBe(before);

  // Without JavaScript too: the server-rendered textarea holds the same text.
  const context = await page.context().browser()!.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const plain = await context.newPage();
  await plain.goto(notesUrl);
  expect(await plain.getByTestId('notes-body').inputValue()).toBe(before);
  await expect(plain.locator('img[src="x"], [onerror]')).toHaveCount(0);
  await context.close();
});
