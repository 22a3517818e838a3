/** Where nnsearch's own files are, from source (tests) or from dist/ alike. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The directory of nnsearch's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nnsearch') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('nnsearch: cannot find its package.json');
    dir = up;
  }
}
