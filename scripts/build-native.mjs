#!/usr/bin/env node
// Builds the optional native trainer (native/) with node-gyp when a C++ compiler is present.
// Never fails the install: without it, nnsearch trains on TensorFlow.js (--backend auto says which).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.NNSEARCH_SKIP_NATIVE) {
  console.log('nnsearch: NNSEARCH_SKIP_NATIVE set, not building the native trainer');
  process.exit(0);
}
// npm puts its bundled node-gyp on PATH for lifecycle scripts; fall back to npm's own copy.
const candidates = ['node-gyp', join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')];
// Node's own headers, when installed beside it (Debian's nodejs): no download needed.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : null);
for (const gyp of candidates) {
  const isScript = gyp.endsWith('.js');
  if (isScript && !existsSync(gyp)) continue;
  const r = spawnSync(isScript ? process.execPath : gyp, [...(isScript ? [gyp] : []), 'rebuild', '--release', '--directory', join(root, 'native'), ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status === 0) {
    console.log('nnsearch: built the native trainer (native/build/Release/nnsearch_native.node)');
    process.exit(0);
  }
  if (r.error?.code === 'ENOENT') continue;
  console.warn(`nnsearch: could not build the native trainer; training falls back to TensorFlow.js.\n${(r.stderr || '').split('\n').slice(-15).join('\n')}`);
  process.exit(0);
}
console.warn('nnsearch: node-gyp not found; the native trainer is not built, training uses TensorFlow.js');
