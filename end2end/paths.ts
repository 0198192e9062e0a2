// Where the server under test lives: the release build that ./scripts/run.sh
// serves (built by ./scripts/build.sh). Paths resolve from the repository
// root, whatever directory Playwright is started from. Shared by the config
// (which starts the server) and the tests (which ask the binary for its routes).
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..');
const targetDir = path.resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target');
export const BINARY = path.resolve(
  ROOT,
  process.env.SLIPWAY_E2E_BINARY ?? path.join(targetDir, 'release', 'slipway'),
);
export const SITE_ROOT = path.resolve(ROOT, process.env.SLIPWAY_E2E_SITE_ROOT ?? path.join('target', 'site'));
