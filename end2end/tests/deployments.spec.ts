import { test, expect, Browser, Page } from '@playwright/test';
import { hydrated, signIn } from './helpers';
import { DEMO_PASSWORD, DEMO_PORT } from '../playwright.config';

// Promote and roll back for real, on the demo (`--seed-demo`, a server of
// its own): the product owner signs off 1.2.0 seeing what changes, an
// engineer promotes it and watches the command adapter's output and the
// checks live; the broken build fails its checks and dev rolls back by
// itself; the held build is refused; 1.2.0 goes on to production, held by
// configuration drift until a release manager fixes it, and rolls out in
// two steps with a pause; an SRE rolls staging back by hand; a release
// manager sets how production deploys. In this order (one
// server, one story). Screenshots go to each test's output directory.

const BASE = `http://127.0.0.1:${DEMO_PORT}`;
test.use({ baseURL: BASE });
test.describe.configure({ mode: 'serial' });

async function as(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: BASE });
  const page = await context.newPage();
  await signIn(page, username, DEMO_PASSWORD);
  return page;
}

function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4(09|22)/.test(m.text())) errors.push(m.text());
  });
  return errors;
}

test('the product owner signs off 1.2.0 seeing what changes; an engineer promotes it and watches it deploy', async ({ browser }, info) => {
  const paula = await as(browser, 'paula');
  const paulaErrors = watch(paula);
  const queue = paula.getByTestId('signoff-queue');
  await expect(queue).toContainText('Slipway demo 1.2.0');
  await queue.getByRole('listitem').filter({ hasText: 'Slipway demo 1.2.0' }).getByRole('link').first().click();
  await hydrated(paula);
  // What it changes in staging, before anyone edited the notes.
  const changes = paula.getByTestId('what-changes');
  await expect(changes).toContainText('What changes in staging');
  await expect(changes).toContainText('staging runs 1.1.0 now');
  await expect(changes.getByTestId('changes-features')).toContainText('checkout: coupons at checkout');
  await expect(changes.getByTestId('changes-fixes')).toContainText('keep the cart when the session expires');
  await expect(changes.getByTestId('changes-issues')).toContainText('DEMO-12');
  await expect(paula.getByTestId('approval-status')).toContainText('Needs 1 more');
  await paula.screenshot({ path: info.outputPath('signoff-what-changes.png'), fullPage: true });
  await paula.getByTestId('approve').click();
  await expect(paula.getByTestId('release-state')).toHaveText('Approved');
  const releaseUrl = paula.url().replace(/#.*$/, '');
  expect(paulaErrors, paulaErrors.join('\n')).toEqual([]);

  const eddie = await as(browser, 'eddie');
  const errors = watch(eddie);
  await eddie.goto(releaseUrl);
  await hydrated(eddie);
  await expect(eddie.getByTestId('promote')).toBeEnabled();
  await expect(eddie.getByTestId('promote')).toHaveText('Promote to staging');
  await eddie.getByTestId('promote').click();
  await expect(eddie.getByTestId('promoted')).toContainText('staging');
  await eddie.getByTestId('follow-deployment').click();
  await expect(eddie).toHaveURL(/\/projects\/demo\/environments\/staging$/);
  await hydrated(eddie);
  // The adapter's output streams in while it deploys.
  const running = eddie.getByTestId('waiting-deployment').first();
  await expect(running.getByTestId('deployment-output')).toContainText('Deploying 1.2.0', { timeout: 10_000 });
  await eddie.screenshot({ path: info.outputPath('deploying.png'), fullPage: true });
  // Then the checks pass, and staging runs 1.2.0.
  await expect(eddie.getByTestId('current-version')).toHaveText('1.2.0', { timeout: 30_000 });
  const last = eddie.getByTestId('history').getByTestId('deployment').first();
  await expect(last.getByTestId('deployment-state')).toHaveText('Succeeded');
  await expect(last.getByTestId('check-result')).toContainText('health');
  await last.getByTestId('show-output').click();
  await expect(last.getByTestId('deployment-output')).toContainText('Switched traffic to the new version');
  await expect(eddie.getByTestId('last-verified')).toContainText('1.2.0');
  // Engineers promote; they neither roll back nor configure.
  await expect(eddie.getByTestId('rollback-panel')).toHaveCount(0);
  await expect(eddie.getByTestId('deploy-settings')).toHaveCount(0);
  await eddie.screenshot({ path: info.outputPath('deployed.png'), fullPage: true });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('the broken build fails its checks and dev rolls back to the last verified version by itself; the held build is refused', async ({ browser }, info) => {
  const eddie = await as(browser, 'eddie');
  const errors = watch(eddie);
  await eddie.goto('/projects/demo/releases');
  await hydrated(eddie);
  await eddie.getByTestId('release-list').getByRole('link', { name: '1.2.1-broken.1' }).click();
  await hydrated(eddie);
  await expect(eddie.getByTestId('promote')).toBeEnabled();
  await eddie.getByTestId('promote').click();
  await expect(eddie.getByTestId('promoted')).toContainText('dev');
  await eddie.getByTestId('follow-deployment').click();
  await hydrated(eddie);
  const banner = eddie.getByTestId('failed-banner');
  await expect(banner).toContainText('Deployment of 1.2.1-broken.1 failed', { timeout: 30_000 });
  await expect(banner).toContainText('rolled back automatically');
  await expect(eddie.getByTestId('current-version')).toHaveText('1.2.0', { timeout: 30_000 });
  const history = eddie.getByTestId('history').getByTestId('deployment');
  await expect(history.first()).toContainText('Rollback to');
  await expect(history.first()).toContainText('automatic');
  await expect(history.first().getByTestId('deployment-state')).toHaveText('Succeeded');
  await expect(history.nth(1).getByTestId('deployment-state')).toHaveText('Failed, rolled back');
  await expect(history.nth(1).getByTestId('deployment-error')).toContainText('health');
  await expect(eddie.getByTestId('holds')).toContainText('1.2.1-broken.1');
  await eddie.screenshot({ path: info.outputPath('rolled-back.png'), fullPage: true });

  // Promoting the held build again is refused, visibly, with the reason.
  await eddie.goBack();
  await eddie.goto('/projects/demo/releases');
  await eddie.getByTestId('release-list').getByRole('link', { name: '1.2.1-broken.1' }).click();
  await hydrated(eddie);
  await expect(eddie.getByTestId('gate-blockers')).toContainText('held in dev');
  await expect(eddie.getByTestId('promote')).toBeDisabled();
  await expect(eddie.getByTestId('promote-blocked')).toContainText('waits for');
  expect(errors, errors.join('\n')).toEqual([]);
});

test('1.2.0 goes on to production: configuration drift holds it until a release manager fixes it, and the rollout pauses between its steps', async ({ browser }, info) => {
  // The product owner and the SRE approve it for production.
  let releaseUrl = '';
  for (const who of ['paula', 'sam']) {
    const page = await as(browser, who);
    await page.goto('/projects/demo/releases');
    await hydrated(page);
    await page.getByTestId('release-list').getByRole('link', { name: '1.2.0', exact: true }).click();
    await hydrated(page);
    await expect(page.getByTestId('decision-panel')).toContainText('Sign-off for prod');
    await page.getByTestId('approve').click();
    if (who === 'paula') {
      await expect(page.getByTestId('approval-status')).toContainText('Needs 1 more');
    } else {
      await expect(page.getByTestId('approval-status')).not.toContainText('Needs');
    }
    releaseUrl = page.url().replace(/#.*$/, '');
  }

  // The gate holds it: production's configuration differs from staging's.
  const eddie = await as(browser, 'eddie');
  const errors = watch(eddie);
  await eddie.goto(releaseUrl);
  await hydrated(eddie);
  await expect(eddie.getByTestId('gate-blockers')).toContainText('Configuration differs between staging and prod');
  await expect(eddie.getByTestId('gate-blockers')).toContainText('PAYMENT_TIMEOUT_MS');
  await expect(eddie.getByTestId('promote')).toBeDisabled();
  await expect(eddie.getByTestId('changes-config')).toContainText('PAYMENT_TIMEOUT_MS');
  await eddie.screenshot({ path: info.outputPath('held-by-drift.png'), fullPage: true });

  // The release manager fixes production's configuration.
  const rita = await as(browser, 'rita');
  const ritaErrors = watch(rita);
  await rita.goto('/projects/demo');
  await hydrated(rita);
  await rita.getByRole('link', { name: 'Configuration' }).click();
  await expect(rita).toHaveURL(/\/projects\/demo\/config$/);
  await hydrated(rita);
  await expect(rita.getByTestId('drift-finding').first()).toBeVisible();
  await expect(rita.getByTestId('config-table')).toContainText('vault://demo/prod/database#url');
  await rita.screenshot({ path: info.outputPath('config-drift.png'), fullPage: true });
  const prod = rita.locator('[data-test="config-form"][data-environment="prod"]');
  const timeout = prod.getByTestId('config-row-form').filter({ has: rita.locator('input[value="PAYMENT_TIMEOUT_MS"]') });
  await timeout.getByTestId('config-value').fill('3000');
  const blank = prod.getByTestId('config-row-form').last();
  await blank.getByTestId('config-key').fill('FEATURE_COUPONS');
  await blank.getByTestId('config-value').fill('on');
  await prod.getByTestId('save-config').click();
  await expect(prod.getByTestId('config-saved')).toBeVisible();
  await rita.reload();
  await hydrated(rita);
  await expect(rita.getByTestId('drift-summary')).toContainText('No drift');
  await expect(rita.getByTestId('drift-finding')).toHaveCount(0);
  expect(ritaErrors, ritaErrors.join('\n')).toEqual([]);

  // Now it may go, and production rolls it out in two steps.
  await eddie.reload();
  await hydrated(eddie);
  await expect(eddie.getByTestId('promote')).toBeEnabled();
  await expect(eddie.getByTestId('promote')).toHaveText('Promote to prod');
  await eddie.getByTestId('promote').click();
  await expect(eddie.getByTestId('promoted')).toContainText('prod');
  await eddie.getByTestId('follow-deployment').click();
  await expect(eddie).toHaveURL(/\/projects\/demo\/environments\/prod$/);
  await hydrated(eddie);
  const rollout = eddie.getByTestId('waiting-deployment').first().getByTestId('rollout');
  await expect(rollout.getByTestId('rollout-progress')).toContainText('Paused after step 1 of 2 (50% of traffic)', { timeout: 30_000 });
  await expect(eddie.getByTestId('waiting-deployment').first().getByTestId('deployment-state')).toHaveText('Paused');
  await eddie.screenshot({ path: info.outputPath('rollout-paused.png'), fullPage: true });
  await rollout.getByTestId('resume-rollout').click();
  await expect(eddie.getByTestId('current-version')).toHaveText('1.2.0', { timeout: 30_000 });
  const last = eddie.getByTestId('history').getByTestId('deployment').first();
  await expect(last.getByTestId('deployment-state')).toHaveText('Succeeded');
  await last.getByTestId('show-output').click();
  await expect(last.getByTestId('deployment-output')).toContainText('Step 2 of 2: 100% of traffic');
  await eddie.screenshot({ path: info.outputPath('rolled-out.png'), fullPage: true });
  expect(errors, errors.join('\n')).toEqual([]);
});

test('an SRE rolls staging back to the last verified version in one click, seeing what changes back', async ({ browser }, info) => {
  const sam = await as(browser, 'sam');
  const errors = watch(sam);
  await sam.goto('/projects/demo');
  await hydrated(sam);
  await sam.getByTestId('environment-link').filter({ hasText: 'staging' }).click();
  await expect(sam).toHaveURL(/\/projects\/demo\/environments\/staging$/);
  await hydrated(sam);
  await expect(sam.getByTestId('current-version')).toHaveText('1.2.0');
  await sam.getByTestId('rollback').click();
  const confirm = sam.getByTestId('rollback-confirm');
  await expect(confirm.getByTestId('rollback-from')).toContainText('1.2.0');
  await expect(confirm.getByTestId('rollback-to')).toContainText('1.1.0');
  await sam.getByLabel(/^Why\?/).fill('Coupon totals are wrong in staging');
  await sam.screenshot({ path: info.outputPath('rollback-confirm.png'), fullPage: true });
  await sam.getByTestId('confirm-rollback').click();
  await expect(sam.getByTestId('waiting-deployment').first()).toContainText('Rollback to 1.1.0', { timeout: 10_000 });
  await expect(sam.getByTestId('current-version')).toHaveText('1.1.0', { timeout: 30_000 });
  await expect(sam.getByTestId('holds')).toContainText('Coupon totals are wrong in staging');
  await sam.screenshot({ path: info.outputPath('rolled-back-by-hand.png'), fullPage: true });
  // Releasing the hold takes a reason.
  const hold = sam.getByTestId('hold').filter({ hasText: '1.2.0' });
  await hold.getByLabel('Why may it be promoted here again?').fill('Fixed the coupon rounding config');
  await hold.getByTestId('release-hold').click();
  await expect(sam.getByTestId('holds')).toHaveCount(0);
  expect(errors, errors.join('\n')).toEqual([]);
});

test('a release manager sets how production deploys; bad input is explained field by field', async ({ browser }, info) => {
  const rita = await as(browser, 'rita');
  const errors = watch(rita);
  await rita.goto('/projects/demo/environments/prod');
  await hydrated(rita);
  const form = rita.getByTestId('deploy-settings-form');
  await expect(form.getByTestId('adapter-command')).toBeChecked();
  await form.getByTestId('deploy-timeout').fill('0');
  await form.getByTestId('check-url').first().fill('ftp://example.com/health');
  await form.getByTestId('save-deploy-settings').click();
  await expect(form.locator('#deploy-timeout-error')).toContainText('1 to 7200');
  await expect(form.locator('#check-0-url-error')).toContainText('http');
  await rita.screenshot({ path: info.outputPath('settings-errors.png'), fullPage: true });
  await form.getByTestId('deploy-timeout').fill('120');
  await form.getByTestId('check-url').first().fill(`${BASE}/demo/apps/prod/health`);
  await form.getByTestId('save-deploy-settings').click();
  await expect(form.getByTestId('deploy-settings-saved')).toBeVisible();
  await rita.reload();
  await hydrated(rita);
  await expect(rita.getByTestId('deploy-timeout')).toHaveValue('120');
  expect(errors, errors.join('\n')).toEqual([]);

  // The product owner sees what runs, never the settings.
  const paula = await as(browser, 'paula');
  await paula.goto('/projects/demo/environments/prod');
  await hydrated(paula);
  await expect(paula.getByTestId('current-version')).toHaveText('1.2.0');
  await expect(paula.getByTestId('deploy-settings')).toHaveCount(0);
  await expect(paula.getByTestId('rollback-panel')).toHaveCount(0);
});

test('a draft shows its Promote button disabled, with what it waits for', async ({ browser }, info) => {
  const eddie = await as(browser, 'eddie');
  await eddie.goto('/projects/demo/releases');
  await hydrated(eddie);
  await eddie.getByText('Create a release').click();
  await eddie.getByLabel('Version').fill('7.0.0');
  await eddie.getByLabel(/^Commit \(artifact\)/).fill('0123456789abcdef0123456789abcdef01234567');
  await eddie.getByTestId('create-release').click();
  await expect(eddie).toHaveURL(/\/projects\/demo\/releases\/\d+$/);
  await hydrated(eddie);
  await expect(eddie.getByTestId('release-state')).toHaveText('Draft');
  await expect(eddie.getByTestId('gate-blockers')).toContainText('draft');
  await expect(eddie.getByTestId('promote')).toBeDisabled();
  await expect(eddie.getByTestId('promote')).toContainText('(blocked)');
  await eddie.screenshot({ path: info.outputPath('draft-blocked.png'), fullPage: true });
});
