/**
 * node dist/bench/gpu-profile.js [--models 1,32,128] [--tiles small,large] [--gpu-software]
 *
 * Where a training step of the WebGPU engine spends its time on the reference workload: the whole
 * step and each dispatch alone (timed over many steps in one command buffer), per stack size and
 * GEMM tile policy. Prints a table, then JSON.
 */
import { WebgpuEngine, type TilePolicy } from '../src/engine/webgpu/webgpu-engine.js';
import { argValue } from './cli-args.js';
import { randomMnistLike, referenceJob } from './workload.js';

const arg = (name: string, fallback: string): string => argValue(name) ?? fallback;

async function main(): Promise<void> {
  const models = arg('models', '1,32,128').split(',').map(Number);
  const tiles = arg('tiles', 'small,large').split(',') as TilePolicy[];
  const steps = Number(arg('steps', '200'));
  const ds = randomMnistLike(steps * 100);
  const rows: Record<string, unknown>[] = [];
  for (const policy of tiles) {
    const engine = await WebgpuEngine.create({ allowSoftware: process.argv.includes('--gpu-software'), maxStack: 4096, tiles: policy });
    if (!engine) throw new Error('no WebGPU adapter');
    for (const M of models) {
      const stack = await engine.createStack(Array.from({ length: M }, (_, s) => referenceJob(ds, s + 1)));
      const orders = Array.from({ length: M }, () => Int32Array.from({ length: ds.n }, (_, i) => i));
      await stack.trainEpoch(orders, Array(M).fill(1e-3), Array(M).fill(true));
      const p = await stack.profileSteps(steps);
      stack.dispose();
      const sum = p.dispatches.reduce((a, d) => a + d.ms, 0);
      console.log(`M=${M} tiles=${policy}: step ${(p.step * 1000).toFixed(0)} us (dispatches alone sum to ${(sum * 1000).toFixed(0)} us)`);
      for (const d of p.dispatches) console.log(`   ${d.label.padEnd(14)} ${(d.ms * 1000).toFixed(1).padStart(8)} us`);
      rows.push({ models: M, tiles: policy, step_us: Math.round(p.step * 1000), dispatches_us: Object.fromEntries(p.dispatches.map((d) => [d.label, Number((d.ms * 1000).toFixed(1))])) });
    }
  }
  console.log(JSON.stringify(rows));
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
