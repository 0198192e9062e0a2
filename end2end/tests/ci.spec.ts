import { test, expect } from '@playwright/test';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { BINARY, ROOT } from '../paths';
import { ADMIN_PASSWORD, hydrated, projectWithRepository, Repo, signIn } from './helpers';

// The CI examples in docs/ci run docs/ci/release.sh; here it runs against the
// release build, and the sign-off that lets promotion through happens in the
// browser, as a person would do it.
test('the CI example creates the release; promotion waits for sign-off in the browser, then goes through', async ({ page, baseURL }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const repo = new Repo();
  repo.commit('feat: first release');
  repo.git('tag', 'v1.0.0');
  repo.commit('feat(cart): add coupons');
  repo.commit('fix: rounding of totals');
  repo.git('push', '-q', 'origin', 'v1.0.0');

  await signIn(page, 'admin', ADMIN_PASSWORD);
  const slug = await projectWithRepository(page, 'CI Shop', repo);

  // An operator bootstraps CI before anyone made a token in the browser.
  const token = execFileSync(BINARY, [
    'admin', 'create-token', '--username', 'admin', '--name', 'CI', '--project', slug, '--service',
    '--scope', 'read,releases:write,evidence:write,promote',
  ], { env: { ...process.env, SLIPWAY_DATA_DIR: process.env.SLIPWAY_E2E_DATA_DIR! } }).toString().trim();
  expect(token).toMatch(/^slw_[0-9a-f]{64}$/);

  const env = {
    ...process.env,
    SLIPWAY_SERVER: baseURL!,
    SLIPWAY_TOKEN: token,
    SLIPWAY_PROJECT: slug,
    SLIPWAY_BIN: BINARY,
    TEST_SUMMARY: '412 passed',
    PROMOTE_TO: 'dev',
  };
  const run = spawnSync('bash', [path.join(ROOT, 'docs/ci/release.sh')], { cwd: repo.dir, env });
  const stderr = run.stderr.toString();
  expect(run.status, stderr).toBe(0);
  expect(stderr).toContain('next version: 1.1.0');
  expect(stderr).toContain('promotion to dev is waiting');
  const id = run.stdout.toString().trim().split('\n').pop()!;
  expect(id).toMatch(/^\d+$/);

  // The pipeline's promote is refused with the gate's reasons (exit code 2).
  const refused = spawnSync(BINARY, ['promote', '--release', id, '--env', 'dev'], { env });
  expect(refused.status).toBe(2);
  expect(refused.stderr.toString()).toMatch(/approval/i);

  // A person signs off on the release page: the notes drafted from the
  // commits and the recorded test run are there to read.
  await page.goto(`/projects/${slug}/releases/${id}`);
  await hydrated(page);
  await expect(page.getByTestId('release-state')).toHaveText('Waiting for sign-off');
  await expect(page.getByText('add coupons').first()).toBeVisible();
  await expect(page.getByText('412 passed').first()).toBeVisible();
  await page.getByTestId('approve').click();
  await expect(page.getByTestId('release-state')).toHaveText('Approved');

  // Now the pipeline's promote goes through, and status shows it in dev.
  const promoted = spawnSync(BINARY, ['promote', '--release', id, '--env', 'dev'], { env });
  expect(promoted.status, promoted.stderr.toString()).toBe(0);
  const status = JSON.parse(execFileSync(BINARY, ['status', '--project', slug, '--format', 'json'], { env }).toString());
  const dev = status.environments.find((e: { name: string }) => e.name === 'dev');
  expect(dev.current.version).toBe('1.1.0');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('release-state')).toHaveText('Released');
  expect(errors).toEqual([]);
});

test('the API documentation renders from files Slipway serves', async ({ page }) => {
  const failed: string[] = [];
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('pageerror', (e) => failed.push(e.message));
  await page.goto('/api/docs');
  await expect(page.getByText('Slipway API').first()).toBeVisible();
  await expect(page.getByText('/api/v1/releases/{id}/promote').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/api-docs.png', fullPage: false });
  expect(failed).toEqual([]);
});
