/**
 * The part of vitest's API that the WebGPU test files use (describe, describe.skipIf, it,
 * beforeAll, afterAll, expect), for running those files bundled on a GPU machine that has no node_modules.
 * `expect` is vitest's own (@vitest/expect on chai), so the assertions are the real ones.
 * Tests run in order after the file is loaded: call `run()` and exit with its failure count.
 */
import * as chai from 'chai';
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = (value, message) => chai.expect(value, message);

const tests = [];
const hooks = [];
const after = [];
const prefix = [];
let skipping = 0;

export function describe(name, fn) {
  prefix.push(name);
  fn();
  prefix.pop();
}
describe.skipIf = (condition) => (name, fn) => {
  if (condition) skipping++;
  describe(name, fn);
  if (condition) skipping--;
};
export function it(name, fn) {
  tests.push({ name: [...prefix, name].join(' > '), fn, skip: skipping > 0 });
}
export const test = it;
export function beforeAll(fn) {
  hooks.push(fn);
}

export function afterAll(fn) {
  after.push(fn);
}

export async function run() {
  for (const h of hooks) await h();
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  for (const t of tests) {
    if (t.skip) {
      skipped++;
      console.log(`  skip ${t.name}`);
      continue;
    }
    const t0 = performance.now();
    try {
      await t.fn();
      passed++;
      console.log(`  ok   ${t.name} (${Math.round(performance.now() - t0)} ms)`);
    } catch (e) {
      failed++;
      console.log(`  FAIL ${t.name}\n       ${String(e?.message ?? e).split('\n').slice(0, 6).join('\n       ')}`);
    }
  }
  for (const h of after) await h();
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed;
}
