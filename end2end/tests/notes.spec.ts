import { test, expect } from '@playwright/test';
import { execFileSync } from 'child_process';
import { ADMIN_PASSWORD, hydrated, projectWithRepository, Repo, signIn } from './helpers';

test('a release manager drafts notes, edits them, regenerates after a new commit, keeps the edit, and publishes the tag', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const repo = new Repo();
  repo.commit('feat: first release');
  repo.git('tag', 'v1.0.0');
  repo.commit('feat(cart): add coupons\n\nRefs: SHOP-12');
  repo.commit('fix: rounding of totals (#7)');
  repo.git('push', '-q', 'origin', 'v1.0.0');

  await signIn(page, 'admin', ADMIN_PASSWORD);

  // Connect the repository.
  await page.goto('/projects/demo/repository');
  await hydrated(page);
  await page.getByLabel('Repository URL or path').fill(`file://${repo.origin}`);
  await page.getByLabel('Web address').fill('https://git.example.com/acme/shop');
  await page.getByLabel('Issue tracker link').fill('https://jira.example.com/browse/{key}');
  await page.getByTestId('save-repository').click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.getByTestId('fetch-now').click();
  await expect(page.getByTestId('fetch-status')).toContainText('Last fetched');

  // The next release and why.
  await page.goto('/projects/demo/releases');
  await hydrated(page);
  await expect(page.getByTestId('next-version')).toHaveText('Next version: 1.1.0');
  await expect(page.getByTestId('explanation')).toContainText('because of feature commits');
  await page.getByTestId('draft-notes').click();
  await expect(page).toHaveURL(/\/projects\/demo\/notes\/\d+$/);
  await hydrated(page);

  const body = page.getByTestId('notes-body');
  await expect(body).toHaveValue(/\*\*cart:\*\* add coupons/);
  await expect(page.getByTestId('notes-preview').locator('a[href="https://jira.example.com/browse/SHOP-12"]')).toBeVisible();

  // Reword an entry; the live preview follows without saving.
  const original = await body.inputValue();
  const edited = original.replace(/- \*\*cart:\*\* add coupons/, '- **cart:** Customers can now pay with coupons');
  expect(edited).not.toEqual(original);
  await body.fill(edited);
  await expect(page.getByTestId('notes-preview')).toContainText('Customers can now pay with coupons');
  await page.getByTestId('save-notes').click();
  await expect(page.getByTestId('notes-status')).toContainText('revision 2');

  // A new commit lands; regenerating keeps the edit and adds the new entry.
  repo.commit('feat(search): search by SKU');
  await page.getByTestId('regenerate-notes').click();
  await expect(page.getByTestId('regenerated')).toContainText('edits kept');
  await expect(page.getByTestId('notes-status')).toContainText('revision 3');
  await expect(body).toHaveValue(/Customers can now pay with coupons/);
  await expect(body).toHaveValue(/\*\*search:\*\* search by SKU/);
  await expect(body).not.toHaveValue(/add coupons/);

  // Every revision is kept and can be compared.
  await expect(page.getByTestId('revisions').locator('tbody tr')).toHaveCount(3);
  await page.getByRole('link', { name: 'Compare with current' }).last().click();
  await expect(page.getByTestId('diff').locator('.added')).toContainText(['Customers can now pay with coupons']);

  // Publish: an annotated tag with the notes, pushed to origin.
  await page.getByTestId('publish-notes').click();
  await expect(page.getByTestId('notes-status')).toContainText('Published as v1.1.0');
  const remoteRefs = execFileSync('git', ['ls-remote', repo.origin]).toString();
  expect(remoteRefs).toContain('refs/tags/v1.1.0');
  const message = execFileSync('git', ['--git-dir', repo.origin, 'tag', '-l', '--format=%(contents)', 'v1.1.0']).toString();
  expect(message).toContain('Customers can now pay with coupons');
  expect(message).toContain('search by SKU');

  // Support finds the change and the release that has it.
  await page.goto('/search?q=SHOP-12');
  await expect(page.getByTestId('search-result').first()).toContainText('Released in v1.1.0');
  expect(errors).toEqual([]);
});

test('a commit message with an XSS payload renders inert everywhere', async ({ page }) => {
  const repo = new Repo();
  repo.commit('feat: base');
  repo.git('tag', 'v2.0.0');
  repo.git('push', '-q', 'origin', 'v2.0.0');
  repo.commit('feat: <img src=x onerror="window.__xss=1"> pwned <script>window.__xss=2</script>');
  repo.commit('fix: [click me](javascript:window.__xss=3)');

  await signIn(page, 'admin', ADMIN_PASSWORD);
  await projectWithRepository(page, 'Xss Target', repo);

  await page.goto('/projects/xss-target/releases');
  await hydrated(page);
  await expect(page.getByTestId('next-version')).toHaveText('Next version: 2.1.0');
  await page.getByText('Commits in this release').click();
  await expect(page.getByTestId('plan-commits')).toContainText('<img src=x onerror="window.__xss=1"> pwned');
  await page.getByTestId('draft-notes').click();
  await hydrated(page);
  await expect(page.getByTestId('notes-preview')).toContainText('<script>window.__xss=2</script>');
  // Typing raw HTML into the editor is sanitized in the live preview too.
  const body = page.getByTestId('notes-body');
  await body.fill((await body.inputValue()) + '\n<img src=y onerror="window.__xss=4"><a href="javascript:window.__xss=5">x</a>\n');
  await expect(page.getByTestId('notes-preview').locator('img[src="y"]')).toHaveCount(1);
  await page.getByTestId('notes-preview').getByText('x', { exact: true }).click();
  const preview = page.getByTestId('notes-preview');
  await expect(preview.locator('[onerror], script, [href^="javascript"]')).toHaveCount(0);
  // The payloads are shown as text, not as markup.
  await expect(preview).toContainText('<img src=x onerror="window.__xss=1"> pwned');
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
});
