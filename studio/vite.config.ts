import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';
import { projectFileUrls } from './vite-plugins/project-file-urls.js';

const studioDir = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(studioDir, '..');

export default defineConfig({
  plugins: [sveltekit(), projectFileUrls(projectRoot, studioDir)],
});
