// The reference parser for Slipway's differential test
// (domain/tests/reference_parser.rs): conventional-commits-parser with the
// options of the Conventional Commits preset that conventional-changelog and
// conventional-recommended-bump use. Reads a JSON array of commit messages on
// standard input; writes, for each, what the reference parser makes of it.
import { CommitParser } from 'conventional-commits-parser';
import createPreset from 'conventional-changelog-conventionalcommits';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const messages = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const parser = new CommitParser(createPreset().parser);
const out = messages.map((message) => {
  if (!message.trim()) return { type: null, scope: null, breaking: false, revert: false };
  const c = parser.parse(message);
  return {
    type: c.type ?? null,
    scope: c.scope ?? null,
    breaking: c.notes.length > 0,
    revert: c.revert !== null,
  };
});
process.stdout.write(JSON.stringify(out));
