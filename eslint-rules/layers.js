/**
 * The layers, one way down (docs/architecture.md), as an ESLint rule: every import a file makes is
 * resolved to the path it reaches, and the top-level folder it lands in must be one the importing
 * file's folder may use. Resolving (rather than matching the written text) covers the path
 * aliases ($db/, $lib/, …), non-canonical relative paths (`./../x`, `../engine/../studio/x`),
 * dynamic `import()`, `require()` and type-only `import('…')` alike; a computed `import()` that
 * cannot be resolved is refused in a layered folder. The `svelteScripts` processor hands the
 * `<script>` blocks of .svelte files to the same rule.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseSvelte } from 'svelte/compiler';
import ts from 'typescript';
import { studioAliases } from '../studio/aliases.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Each folder and the folders of the project it may import, besides its own. */
export const LAYERS = {
  engine: [],
  i18n: [],
  rules: ['engine'],
  db: ['engine', 'rules', 'i18n'],
  workflows: ['engine', 'rules', 'i18n', 'db'],
  studio: ['engine', 'rules', 'i18n', 'db', 'workflows'],
  cli: ['engine', 'rules', 'i18n', 'db', 'workflows'],
};
/** On top of the layers: they may import anything, and nothing in a layer imports them. */
const TOP = ['scripts', 'bench', 'test'];
const FOLDERS = new Set([...Object.keys(LAYERS), ...TOP]);

/**
 * Alias prefix → the folder it stands for: the studio's aliases (studio/aliases.js, which
 * SvelteKit and vitest use) and the root tsconfig's `paths` (which tsc and tsx use), so an alias
 * known to either resolves here.
 */
function aliases() {
  const map = new Map(Object.entries(studioAliases));
  const tsconfig = resolve(root, 'tsconfig.json');
  const { config } = ts.parseConfigFileTextToJson(tsconfig, readFileSync(tsconfig, 'utf8'));
  for (const [pattern, [target]] of Object.entries(config?.compilerOptions?.paths ?? {})) {
    if (pattern.endsWith('/*') && target?.endsWith('/*')) map.set(pattern.slice(0, -2), resolve(root, target.slice(0, -2)));
  }
  return map;
}
const ALIASES = aliases();

/** The project's top-level folder `path` lies in, or null outside the project's folders. */
function folderOf(path) {
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) return null;
  const first = rel.split(sep)[0];
  return FOLDERS.has(first) ? first : null;
}

/** The absolute path `specifier` reaches from `file`, or null for a package (or Node builtin). */
function resolveSpecifier(specifier, file) {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..')
    return resolve(dirname(file), specifier);
  if (specifier.startsWith('file:')) {
    try {
      return fileURLToPath(specifier);
    } catch {
      return null;
    }
  }
  if (isAbsolute(specifier)) return resolve(specifier);
  for (const [alias, target] of ALIASES) {
    if (specifier === alias) return target;
    if (specifier.startsWith(`${alias}/`)) return resolve(target, specifier.slice(alias.length + 1));
  }
  return null;
}

/** The string a source node states, or undefined when it is computed. */
function staticString(node) {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  if (node.type === 'TSLiteralType') return staticString(node.literal);
  return undefined;
}

function message(folder) {
  const allowed = LAYERS[folder];
  return allowed.length
    ? `${folder}/ may import only ${allowed.join(', ')} of the project (the layers in docs/architecture.md).`
    : `${folder}/ imports nothing of the project (the layers in docs/architecture.md).`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports go one way down the layers of docs/architecture.md.' },
    schema: [],
    messages: {
      against: '{{message}} Refused: {{specifier}} (reaches {{target}}/).',
      computed: '{{folder}}/: a computed import() cannot be checked against the layers; import a string literal.',
    },
  },
  create(context) {
    const file = context.physicalFilename;
    const folder = folderOf(file);
    if (!folder || !(folder in LAYERS)) return {};
    const allowed = new Set([folder, ...LAYERS[folder]]);

    function check(sourceNode, reportNode) {
      const specifier = staticString(sourceNode);
      if (specifier === undefined) {
        context.report({ node: reportNode, messageId: 'computed', data: { folder } });
        return;
      }
      const target = resolveSpecifier(specifier, file);
      const reached = target && folderOf(target);
      if (reached && !allowed.has(reached))
        context.report({
          node: reportNode,
          messageId: 'against',
          data: { message: message(folder), specifier, target: reached },
        });
    }

    return {
      ImportDeclaration: (node) => check(node.source, node),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node),
      ExportAllDeclaration: (node) => check(node.source, node),
      ImportExpression: (node) => check(node.source, node),
      TSImportType: (node) => check('source' in node ? node.source : node.argument, node),
      TSExternalModuleReference: (node) => check(node.expression, node),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length > 0)
          check(node.arguments[0], node);
      },
    };
  },
};

const RULE_ID = 'esp/layers';

/** The `import()` expressions in a Svelte template's AST. */
function templateImports(node, found = []) {
  if (Array.isArray(node)) for (const child of node) templateImports(child, found);
  else if (node && typeof node === 'object') {
    if (node.type === 'ImportExpression') found.push(node);
    else
      for (const [key, value] of Object.entries(node)) if (key !== 'parent' && key !== 'metadata') templateImports(value, found);
  }
  return found;
}

/**
 * A .svelte file's `<script>` blocks as TypeScript for the layer rule, each with everything
 * around it blanked (newlines kept) so lines and columns are the file's own. Only the layer
 * rule's messages come back: the rest of a component is svelte-check's to judge.
 */
export const svelteScripts = {
  meta: { name: 'esp-svelte-scripts' },
  supportsAutofix: false,
  preprocess(text) {
    let ast;
    try {
      ast = parseSvelte(text, { modern: true });
    } catch {
      // svelte-check reports the syntax error; a script that cannot be found cannot be checked.
      return [];
    }
    const blank = (s) => s.replace(/[^\n]/g, ' ');
    const blocks = [ast.module, ast.instance].filter(Boolean).map((script, i) => {
      const { start, end } = script.content;
      return { text: blank(text.slice(0, start)) + text.slice(start, end) + blank(text.slice(end)), filename: `${i}.ts` };
    });
    // An import() in the markup ({#await import('…')}) is an import too: each stands alone, at
    // its own place, in one more block, after a `;` where the markup leaves room for one.
    const imports = templateImports(ast.fragment);
    if (imports.length > 0) {
      const chars = [...blank(text)];
      for (const { start, end } of imports) {
        for (let i = start; i < end; i++) chars[i] = text[i];
        if (start > 0 && chars[start - 1] === ' ') chars[start - 1] = ';';
      }
      blocks.push({ text: chars.join(''), filename: 'markup.ts' });
    }
    return blocks;
  },
  postprocess(messages) {
    return messages.flat().filter((m) => m.ruleId === RULE_ID || (m.fatal && m.ruleId === null));
  },
};

export const espPlugin = {
  meta: { name: 'esp' },
  rules: { layers: layersRule },
  processors: { 'svelte-scripts': svelteScripts },
};
