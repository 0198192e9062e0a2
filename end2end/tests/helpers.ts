import { expect, Page } from '@playwright/test';

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
