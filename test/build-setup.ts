/**
 * Before any test file: the compiled dist/ must match the sources (the CLI tests run the compiled
 * `esp`, the replay test the prebuilt workflow bundle). `npm test` has built it already
 * (scripts/ensure-setup.mjs); this covers `npx vitest run <file>` after an edit.
 */
import { ensureBuild } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await ensureBuild();
}
