import { expect, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ADMIN_PASSWORD = 'e2e admin password';

/** Waits until the WebAssembly bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('div.app')).toHaveAttribute('data-hydrated', 'true');
}

export async function signIn(page: Page, username: string, password: string) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-user')).toBeVisible();
}

/**
 * Creates a project named `name` (its slug derived from it) and connects
 * `repo` to it, as a release manager would in the browser. Returns the slug.
 */
export async function projectWithRepository(page: Page, name: string, repo: Repo): Promise<string> {
  await page.goto('/projects/new');
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).first().fill(name);
  await page.getByTestId('create-project').click();
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await expect(page).toHaveURL(new RegExp(`/projects/${slug}$`));
  await page.goto(`/projects/${slug}/repository`);
  await hydrated(page);
  await page.getByLabel('Repository URL or path').fill(repo.origin);
  await page.getByTestId('save-repository').click();
  await expect(page.getByText('Saved.')).toBeVisible();
  return slug;
}

/** A real repository: a working copy that pushes to a bare "origin". */
export class Repo {
  dir: string;
  origin: string;
  clock = 1_767_225_600;
  n = 0;
  constructor() {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-e2e-git-'));
    this.origin = path.join(base, 'origin.git');
    this.dir = path.join(base, 'work');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', this.origin]);
    execFileSync('git', ['init', '-q', '-b', 'main', this.dir]);
    this.git('config', 'user.name', 'Grace Hopper');
    this.git('config', 'user.email', 'grace@example.com');
    this.git('remote', 'add', 'origin', this.origin);
  }
  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      env: { ...process.env, GIT_AUTHOR_DATE: `@${this.clock} +0000`, GIT_COMMITTER_DATE: `@${this.clock} +0000` },
    }).toString().trim();
  }
  commit(message: string) {
    this.clock += 60;
    this.n += 1;
    fs.writeFileSync(path.join(this.dir, `file-${this.n}.txt`), `${this.n}\n`);
    this.git('add', '.');
    this.git('commit', '-q', '-m', message);
    this.git('push', '-q', 'origin', 'main', '--tags');
  }
}

