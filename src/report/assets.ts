/**
 * The files a report page carries: Apache ECharts's browser bundle (from the installed package) and
 * the page script (client/app.ts as tsc compiled it into dist/). Read once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

let echarts: string | null = null;
let client: string | null = null;

/** Where echarts.min.js is (the dashboard serves it from there). */
export function echartsPath(): string {
  return createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
}

export function echartsSource(): string {
  return (echarts ??= readFileSync(echartsPath(), 'utf8'));
}

/** The compiled page script; `npm run build` (tsc) writes it. */
export function clientSource(): string {
  if (client !== null) return client;
  const path = join(packageRoot(), 'dist/src/report/client/app.js');
  if (!existsSync(path)) throw new Error(`nnsearch: ${path} is missing; run npm run build`);
  // tsc keeps the module marker of a file that imports only types; the page runs it as a module anyway
  return (client = readFileSync(path, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, ''));
}
