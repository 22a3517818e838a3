#!/usr/bin/env node
// The npm registry this project is developed against serves only the current platform's native
// packages, so `npm install` writes a package-lock.json without the other platforms' optional
// packages (rollup's @rollup/rollup-<os>-<cpu>[-<libc>]), and `npm ci` then refuses that lockfile.
// This adds the missing entries (name, version, os, cpu, libc; no resolved/integrity, which npm
// fetches by name and version on a machine that needs them). Run after every `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const LIBC = { gnu: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' };

function platformOf(name) {
  const m = /^@rollup\/rollup-([a-z0-9]+)-([a-z0-9]+)(?:-([a-z]+))?$/.exec(name);
  if (!m) return null;
  const [, os, cpu, abi] = m;
  return { os: [os], cpu: [cpu], ...(os === 'linux' && LIBC[abi] ? { libc: [LIBC[abi]] } : {}) };
}

let added = 0;
for (const [key, pkg] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    const nested = `${key}/node_modules/${dep}`;
    if (packages[at] || packages[nested]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      console.warn(`complete-lockfile: ${dep} (optional dependency of ${key || 'the project'}) is missing and not a known platform package`);
      continue;
    }
    packages[at] = { version, ...platform, license: pkg.license ?? 'MIT', optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete-lockfile: added ${added} platform entries`);
