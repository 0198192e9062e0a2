import { request } from '@playwright/test';
import { ADMIN_PASSWORD, PORT } from './playwright.config';

// The main server under test starts empty (no --seed-demo): most specs use
// a plain project "demo" as their playground, made here as an administrator
// would. The full demo (--seed-demo) runs on a server of its own (see
// playwright.config.ts), for demo.spec.ts and deployments.spec.ts.
export default async function globalSetup() {
  const base = `http://127.0.0.1:${PORT}`;
  const ctx = await request.newContext({ baseURL: base });
  const headers = { Origin: base, Accept: 'application/json' };
  const login = await ctx.post('/api/session/login', {
    headers,
    form: { username: 'admin', password: ADMIN_PASSWORD },
  });
  if (!login.ok()) throw new Error(`global setup: sign-in failed: ${await login.text()}`);
  const created = await ctx.post('/api/projects/create', {
    headers,
    form: {
      'project[name]': 'Slipway demo',
      'project[slug]': 'demo',
      'project[description]': 'A sample project with the usual dev -> staging -> prod pipeline.',
      'environments[0][name]': 'dev',
      'environments[0][tier]': 'development',
      'environments[1][name]': 'staging',
      'environments[1][tier]': 'staging',
      'environments[2][name]': 'prod',
      'environments[2][tier]': 'production',
    },
  });
  if (!created.ok()) throw new Error(`global setup: creating the demo project failed: ${await created.text()}`);
  await ctx.dispose();
}
