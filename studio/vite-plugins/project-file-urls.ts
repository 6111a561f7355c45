/**
 * The project's own server modules outside `studio/` (db/, engine/, workflows/) locate files next
 * to themselves with `import.meta.url` (migrations, default rule sets, the PGlite data dir). Once
 * bundled into `studio/build/server/chunks/`, `import.meta.url` would point into the build, so in
 * the server build each such use is replaced by the URL the module had in the source tree,
 * resolved at run time against the project root. The root is found by walking up from the bundle
 * to the project's package.json (or taken from `ESP_ROOT`), so a moved checkout keeps working.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';

const VIRTUAL_ID = 'virtual:esp-project-file-url';
const RESOLVED_ID = `\0${VIRTUAL_ID}`;

export function projectFileUrls(projectRoot: string, studioDir: string): Plugin {
  const root = resolve(projectRoot);
  const studio = resolve(studioDir);
  const packageName = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { name: string }).name;

  return {
    name: 'esp:project-file-urls',
    apply: 'build',
    enforce: 'pre',
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : undefined;
    },
    load(id) {
      if (id !== RESOLVED_ID) return undefined;
      return `
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root;
function findRoot() {
  if (process.env.ESP_ROOT) return resolve(process.env.ESP_ROOT);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === ${JSON.stringify(packageName)}) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('ESP+ Studio: cannot find the project root above ' + fileURLToPath(import.meta.url) + '; set ESP_ROOT');
    dir = up;
  }
}
export function projectFileUrl(path) {
  root ??= findRoot();
  return pathToFileURL(join(root, path)).href;
}
`;
    },
    transform(code, id, options) {
      if (!options?.ssr) return undefined;
      const file = resolve(id.split('?')[0]!);
      if (!file.startsWith(root + sep) || file.startsWith(studio + sep) || file.includes(`${sep}node_modules${sep}`))
        return undefined;
      if (!code.includes('import.meta.url')) return undefined;
      const path = relative(root, file).split(sep).join('/');
      // Same-line replacement and an import appended at the end (imports are hoisted) keep line
      // numbers, so stack traces from the bundle still point at the right source lines.
      const replaced = code.replace(/\bimport\.meta\.url\b/g, `__espProjectFileUrl(${JSON.stringify(path)})`);
      return { code: `${replaced}\nimport { projectFileUrl as __espProjectFileUrl } from '${VIRTUAL_ID}';\n`, map: null };
    },
  };
}
