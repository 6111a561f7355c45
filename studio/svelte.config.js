/**
 * SvelteKit configuration. The studio is a SvelteKit app living in `studio/` of a project that has a
 * single package.json at its root; SvelteKit itself runs with `studio/` as its working directory.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeAdapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { studioAliases } from './aliases.js';

const studioDir = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(studioDir, '..');

/**
 * adapter-node decides which imports stay external by reading `package.json` from the working
 * directory, and the only package.json is the project's. Running it from the project root keeps
 * the production dependencies (PGlite with its WASM files, postgres, drizzle, Temporal) external
 * instead of bundling them and breaking their file lookups.
 * @returns {import('@sveltejs/kit').Adapter}
 */
function adapter() {
  const inner = nodeAdapter({ out: resolve(studioDir, 'build') });
  return {
    ...inner,
    async adapt(builder) {
      const cwd = process.cwd();
      process.chdir(projectRoot);
      try {
        await inner.adapt(builder);
      } finally {
        process.chdir(cwd);
      }
    },
  };
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter(),
    // `$lib` is SvelteKit's own; the others point at the project's modules (see aliases.js).
    // Scripts only from the studio itself (SvelteKit adds nonces for its inline bootstrap). Inline
    // styles stay allowed: Svelte's style: directives and transitions write style attributes.
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'font-src': ['self'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
        'frame-ancestors': ['none'],
      },
    },
    alias: {
      $db: studioAliases.$db,
      $engine: studioAliases.$engine,
      $i18n: studioAliases.$i18n,
      $workflows: studioAliases.$workflows,
    },
  },
};

export default config;
