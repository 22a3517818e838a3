/**
 * npm run bench:sampler [-- --seeds 20 --evals 100 --only branin,hartmann6 --objective path.js --workers 2]
 *
 * Runs random search and the GP sampler on standard test functions (and any objective module
 * exporting {name, space, f}, minimized) for many seeds, and prints JSON: per function and sampler,
 * the median and quartiles of the best value found after 20, 50 and 100 evaluations, and the time
 * per bayes proposal. Runs are spread over worker threads.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { BayesSampler } from '../src/search/bayes.js';
import { randomSampler } from '../src/search/random.js';
import type { TrialView } from '../src/search/sampler.js';
import { STANDARD_OBJECTIVES, type Objective } from './objectives.js';

interface Job {
  objective: string;
  module?: string;
  sampler: 'random' | 'bayes';
  seed: number;
  evals: number;
}

interface RunResult extends Job {
  bestAfter: number[];
  msPerProposal: number;
}

async function loadObjective(name: string, module?: string): Promise<Objective> {
  if (module) {
    const m = (await import(pathToFileURL(resolve(module)).href)) as { default?: Objective } & Objective;
    const o = m.default ?? m;
    if (!o.name || !Array.isArray(o.space) || typeof o.f !== 'function') throw new Error(`${module}: must export {name, space, f}`);
    return o;
  }
  const o = STANDARD_OBJECTIVES.find((x) => x.name === name);
  if (!o) throw new Error(`unknown objective ${name}`);
  return o;
}

async function run(job: Job): Promise<RunResult> {
  const obj = await loadObjective(job.objective, job.module);
  const sampler = job.sampler === 'bayes' ? new BayesSampler({ space: obj.space, seed: job.seed, goal: 'minimize' }) : randomSampler({ space: obj.space, seed: job.seed });
  const history: TrialView[] = [];
  const bestAfter: number[] = [];
  let best = Infinity;
  let ms = 0;
  for (let i = 0; i < job.evals; i++) {
    const t0 = performance.now();
    const params = sampler.propose(i, history);
    ms += performance.now() - t0;
    const value = obj.f(params);
    best = Math.min(best, value);
    bestAfter.push(best);
    history.push({ params, state: 'complete', value });
  }
  return { ...job, bestAfter, msPerProposal: ms / job.evals };
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function args(): { seeds: number; evals: number; only: string[] | null; objective: string | null; workers: number } {
  const a = process.argv.slice(2);
  const get = (flag: string) => {
    const i = a.indexOf(flag);
    return i >= 0 ? a[i + 1] : undefined;
  };
  return {
    seeds: Number(get('--seeds') ?? 20),
    evals: Number(get('--evals') ?? 100),
    only: get('--only')?.split(',') ?? null,
    objective: get('--objective') ?? null,
    workers: Number(get('--workers') ?? availableParallelism()),
  };
}

async function main(): Promise<void> {
  const opts = args();
  const objectives: { name: string; module?: string }[] = [];
  if (opts.objective) {
    const o = await loadObjective('', opts.objective);
    objectives.push({ name: o.name, module: opts.objective });
  }
  for (const o of STANDARD_OBJECTIVES) if (!opts.objective || opts.only) if (!opts.only || opts.only.includes(o.name)) objectives.push({ name: o.name });
  const jobs: Job[] = [];
  for (const o of objectives) for (const sampler of ['random', 'bayes'] as const) for (let seed = 1; seed <= opts.seeds; seed++) jobs.push({ objective: o.name, module: o.module, sampler, seed, evals: opts.evals });
  // bayes runs are the slow ones: start them first
  jobs.sort((a, b) => (a.sampler === b.sampler ? 0 : a.sampler === 'bayes' ? -1 : 1));
  const results: RunResult[] = [];
  const t0 = performance.now();
  await new Promise<void>((done, fail) => {
    let next = 0;
    let running = 0;
    const launch = () => {
      if (next >= jobs.length && running === 0) return done();
      while (running < opts.workers && next < jobs.length) {
        const job = jobs[next++];
        running++;
        const w = new Worker(new URL(import.meta.url), { workerData: job });
        w.once('message', (r: RunResult) => {
          results.push(r);
          running--;
          process.stderr.write(`\r${results.length}/${jobs.length} runs`);
          launch();
        });
        w.once('error', fail);
      }
    };
    launch();
  });
  process.stderr.write('\n');
  const checkpoints = [20, 50, 100].filter((c) => c <= opts.evals);
  const summary = objectives.map((o) => {
    const obj = STANDARD_OBJECTIVES.find((x) => x.name === o.name);
    const bySampler = Object.fromEntries(
      (['random', 'bayes'] as const).map((s) => {
        const runs = results.filter((r) => r.objective === o.name && r.sampler === s);
        const after = Object.fromEntries(
          checkpoints.map((c) => {
            const v = runs.map((r) => r.bestAfter[c - 1]).sort((a, b) => a - b);
            return [`after_${c}`, { median: round(quantile(v, 0.5)), q25: round(quantile(v, 0.25)), q75: round(quantile(v, 0.75)) }];
          }),
        );
        return [s, { ...after, ms_per_proposal: round(runs.reduce((a, r) => a + r.msPerProposal, 0) / runs.length) }];
      }),
    );
    return { objective: o.name, optimum: obj?.optimum ?? null, seeds: opts.seeds, ...bySampler };
  });
  const goals = {
    branin_median_after_50: (summary.find((s) => s.objective === 'branin') as Record<string, any> | undefined)?.bayes?.after_50?.median ?? null,
    branin_goal: 0.4,
    hartmann6_median_after_100: (summary.find((s) => s.objective === 'hartmann6') as Record<string, any> | undefined)?.bayes?.after_100?.median ?? null,
    hartmann6_goal: -3.2,
  };
  console.log(JSON.stringify({ bench: 'sampler', evals: opts.evals, seconds: round((performance.now() - t0) / 1000), goals, suggest_ms_100obs_10d: suggestTiming(), results: summary }, null, 2));
}

/** Milliseconds for one GP suggestion with 100 observations in 10 dimensions (median of 3). */
function suggestTiming(): number {
  const space = Array.from({ length: 10 }, (_, i) => ({ name: `x${i}`, section: 'model' as const, dist: { kind: 'float' as const, low: 0, high: 1, log: false, step: null } }));
  const f = (p: Record<string, unknown>) => Object.values(p).reduce((a: number, v) => a + Math.sin(5 * (v as number)), 0);
  const r = randomSampler({ space, seed: 1 });
  const history: TrialView[] = Array.from({ length: 100 }, (_, i) => {
    const params = r.propose(i, []);
    return { params, state: 'complete' as const, value: f(params) };
  });
  const times = [0, 1, 2].map((k) => {
    const s = new BayesSampler({ space, seed: k, goal: 'minimize' });
    const t0 = performance.now();
    s.propose(100, history);
    return performance.now() - t0;
  });
  return round(times.sort((a, b) => a - b)[1]);
}

function round(v: number): number {
  return Number(v.toPrecision(5));
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
} else {
  run(workerData as Job).then((r) => parentPort!.postMessage(r));
}
