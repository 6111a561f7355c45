/**
 * The studio build is remade when any source it bundles is newer than it (`npm start`, the e2e
 * harness). Its list of sources must cover every layer the studio may import, or a change there
 * (a catalogue string, a rule default) is served stale from the old build.
 */
import { describe, expect, it } from 'vitest';
import { LAYERS } from '../eslint-rules/layers.js';
import { STUDIO_BUILD_SOURCES } from '../scripts/start/studio.js';

describe('the studio build’s sources', () => {
  it('hold the studio and every layer it may import', () => {
    expect(STUDIO_BUILD_SOURCES).toEqual(expect.arrayContaining(['studio/src', ...LAYERS.studio]));
  });
});
