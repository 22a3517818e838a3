/**
 * npm run bench:gpu [-- --samples 60000] [-- --models 1,3,32,128,256] [-- --gpu-software]
 *
 * The GPU half of `npm run bench`, alone: for a GPU machine (see DEVELOPERS.md for running it on one
 * without Node.js). Trains the reference workload (784-64-10, relu/softmax, Adam 1e-3, batch 100) as
 * stacks of M models on the WebGPU engine and prints JSON with PyTorch's figures measured in the
 * same command.
 */
import { argValue as arg } from './cli-args.js';
import { gpuPaths } from './gpu-paths.js';
import { randomMnistLike } from './workload.js';

async function main(): Promise<void> {
  const samples = Number(arg('samples') ?? 60000);
  const models = arg('models')?.split(',').map(Number);
  const software = process.argv.includes('--gpu-software');
  const t0 = performance.now();
  const gpu = await gpuPaths(randomMnistLike(samples), { software, models });
  console.log(JSON.stringify({ bench: 'gpu', workload: '784-64-10 relu/softmax, Adam 1e-3, batch 100', ...gpu, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) }, null, 2));
  process.exit(0);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
