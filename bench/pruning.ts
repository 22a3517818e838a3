/**
 * npm run bench:pruning -- [--quick] [--seeds 5] [--budget 40] [--pruners none,median,asha,hyperband,wilcoxon] [--specs random-mlp,fashion-mnist] [--workers N] [--json FILE]
 *
 * Random search with each pruner beside no pruning, on configs/random-mlp.yaml (embedded MNIST) and
 * a reduced configs/fashion-mnist.yaml (a seeded subset of 3,000 training images, trained up to 30
 * epochs instead of 10, its EarlyStopping deciding when each fold stops: on a twentieth of the
 * data, 10 epochs leave every trial short of its best), native engine,
 * each (spec, seed) the same proposals for every pruner. Prints JSON: per spec and pruner the total
 * model-epochs trained (the epochs the storage holds: every fold's, a pruned trial's partial ones
 * included), wall seconds, the best CV score of each seed and their median, and the goal: at least
 * 3x fewer model-epochs than no pruning with the median best score within 0.3 percentage points.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine/index.js';
import { packageRoot } from '../src/paths.js';
import { createPruner, PRUNER_NAMES, type PrunerConfig } from '../src/search/pruners/index.js';
import { randomSampler } from '../src/search/random.js';
import { parseSpecText } from '../src/spec/file.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { openStudy, prepareStudy } from '../src/study/prepare.js';
import { runSearch } from '../src/study/run.js';
import { benchArgs } from './cli-args.js';
import { MachineWatch } from './machine.js';

const HELP = `npm run bench:pruning -- [options]

Random search, budget 40, 5 seeds, each pruner beside none, on configs/random-mlp.yaml and a
reduced configs/fashion-mnist.yaml; prints JSON (model-epochs, wall time, best CV score).

  --quick             2 seeds, budget 12, random-mlp only, 4 epochs (a cost estimate)
  --seeds N           seeds 1..N (default 5)
  --budget N          trials per search (default 40)
  --pruners a,b       default none,median,asha,hyperband,wilcoxon
  --specs a,b         random-mlp, fashion-mnist (default both)
  --fashion-limit N   Fashion-MNIST images used (default 3000)
  --fashion-epochs N  train.epochs of the reduced Fashion-MNIST spec (default 30; its EarlyStopping stays)
  --folds K           cv.folds of every spec (default: the spec's, 3); wilcoxon needs 5 or more to prune
  --epochs N          train.epochs of every spec (default: the spec's)
  --workers N         native threads (default: the cores)
  --json FILE         also write the JSON there
  --help              this text
`;

interface Args {
  seeds: number;
  budget: number;
  pruners: PrunerConfig['name'][];
  specs: string[];
  fashionLimit: number;
  fashionEpochs: number;
  folds: number | null;
  epochs: number | null;
  workers: number;
  json: string | null;
  quick: boolean;
}

function args(): Args {
  const a = benchArgs(HELP, ['--quick', '--seeds', '--budget', '--pruners', '--specs', '--fashion-limit', '--fashion-epochs', '--folds', '--epochs', '--workers', '--json']);
  const get = a.get;
  const quick = a.has('--quick');
  const pruners = (get('--pruners')?.split(',') ?? ['none', 'median', 'asha', 'hyperband', 'wilcoxon']) as PrunerConfig['name'][];
  for (const p of pruners) if (!(PRUNER_NAMES as readonly string[]).includes(p)) throw new Error(`unknown pruner ${p} (known: ${PRUNER_NAMES.join(', ')})`);
  if (!pruners.includes('none')) pruners.unshift('none');
  return {
    seeds: Number(get('--seeds') ?? (quick ? 2 : 5)),
    budget: Number(get('--budget') ?? (quick ? 12 : 40)),
    pruners,
    specs: get('--specs')?.split(',') ?? (quick ? ['random-mlp'] : ['random-mlp', 'fashion-mnist']),
    fashionLimit: Number(get('--fashion-limit') ?? 3000),
    fashionEpochs: Number(get('--fashion-epochs') ?? 30),
    folds: get('--folds') === undefined ? null : Number(get('--folds')),
    epochs: get('--epochs') === undefined ? null : Number(get('--epochs')),
    workers: Number(get('--workers') ?? availableParallelism()),
    json: get('--json') ?? null,
    quick,
  };
}

/** The spec's text as the bench runs it. */
function specText(name: string, o: Args): string {
  let text = readFileSync(join(packageRoot(), `configs/${name}.yaml`), 'utf8');
  if (name === 'fashion-mnist') {
    text = text.replace(/path: (.*)\n/, `path: $1\n  limit: ${o.fashionLimit}\n`).replace(/epochs: \d+/, `epochs: ${o.fashionEpochs}`);
  }
  if (o.quick) text = text.replace(/epochs: \d+/, 'epochs: 4');
  if (o.epochs !== null) text = text.replace(/epochs: \d+/, `epochs: ${o.epochs}`);
  if (o.folds !== null) text = text.replace(/folds: \d+/, `folds: ${o.folds}`);
  return text;
}

interface RunResult {
  seed: number;
  model_epochs: number;
  seconds: number;
  best: number | null;
  complete: number;
  pruned: number;
  failed: number;
}

async function runOne(name: string, text: string, pruner: PrunerConfig['name'], seed: number, o: Args, dir: string): Promise<RunResult> {
  const parsed = parseSpecText(text, { seed });
  if (!parsed.ok) throw new Error(`${name}: ${parsed.problems[0].message}`);
  const spec = parsed.spec;
  const specFile = join(dir, `${name}.yaml`);
  writeFileSync(specFile, text);
  const prepared = prepareStudy(spec, specFile, { checkGrid: false });
  const path = join(dir, `${name}-${pruner}-${seed}.db`);
  const store = SqliteStore.open(path, { create: true });
  const engine = await createEngine('native', { threads: o.workers });
  try {
    const study = await openStudy(store, prepared);
    const t0 = performance.now();
    await runSearch(store, study, prepared, {
      sampler: randomSampler({ space: spec.space, seed: spec.seed }),
      budget: o.budget,
      engine,
      trialsPerRound: engine.trialsPerRound ?? o.workers,
      pruner: createPruner({ name: pruner }),
    });
    const seconds = (performance.now() - t0) / 1000;
    const trials = await store.listTrials(study.id);
    const { n } = store.db.prepare('SELECT count(*) AS n FROM epochs').get() as { n: number };
    const values = trials.filter((t) => t.state === 'complete' && t.value !== null).map((t) => t.value as number);
    const best = values.length ? (prepared.metric.goal === 'maximize' ? Math.max(...values) : Math.min(...values)) : null;
    return {
      seed,
      model_epochs: n,
      seconds: Number(seconds.toFixed(1)),
      best: best === null ? null : Number(best.toFixed(5)),
      complete: trials.filter((t) => t.state === 'complete').length,
      pruned: trials.filter((t) => t.state === 'pruned').length,
      failed: trials.filter((t) => t.state === 'fail').length,
    };
  } finally {
    await engine.dispose();
    await store.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const o = args();
  const watch = new MachineWatch();
  const dir = mkdtempSync(join(tmpdir(), 'nns-bench-pruning-'));
  const out: Record<string, unknown> = {
    bench: 'pruning',
    sampler: 'random',
    budget: o.budget,
    seeds: o.seeds,
    workers: o.workers,
    quick: o.quick,
    goal: 'model-epochs at least 3x fewer than none, median best CV score within 0.3 percentage points of none',
  };
  const specs: Record<string, unknown> = {};
  try {
    for (const name of o.specs) {
      const text = specText(name, o);
      const byPruner: Record<string, { runs: RunResult[] } & Record<string, unknown>> = {};
      const runs = new Map<string, RunResult[]>(o.pruners.map((p) => [p, []]));
      // seed by seed, every pruner in turn: a load that drifts during the bench falls on all alike
      for (let seed = 1; seed <= o.seeds; seed++) {
        for (const pruner of o.pruners) {
          const r = await runOne(name, text, pruner, seed, o, dir);
          runs.get(pruner)!.push(r);
          process.stderr.write(`${name} ${pruner} seed ${seed}: ${JSON.stringify(r)}\n`);
        }
      }
      for (const pruner of o.pruners) {
        const rs = runs.get(pruner)!;
        const totalEpochs = rs.reduce((a, r) => a + r.model_epochs, 0);
        const med = median(rs.map((r) => r.best ?? NaN));
        byPruner[pruner] = { model_epochs: totalEpochs, seconds: Number(rs.reduce((a, r) => a + r.seconds, 0).toFixed(1)), median_best: Number(med.toFixed(5)), runs: rs };
      }
      const none = byPruner.none;
      for (const [pruner, r] of Object.entries(byPruner)) {
        if (pruner === 'none') continue;
        const fewer = (none.model_epochs as number) / (r.model_epochs as number);
        const deltaPp = ((r.median_best as number) - (none.median_best as number)) * 100;
        Object.assign(r, {
          epochs_ratio_vs_none: Number(fewer.toFixed(2)),
          time_ratio_vs_none: Number(((none.seconds as number) / (r.seconds as number)).toFixed(2)),
          median_best_minus_none_pp: Number(deltaPp.toFixed(2)),
          goal_met: fewer >= 3 && deltaPp >= -0.3,
        });
      }
      specs[name] = { spec: `configs/${name}.yaml${name === 'fashion-mnist' ? ` (data.limit ${o.fashionLimit}, epochs ${o.fashionEpochs})` : ''}${o.quick ? ', epochs 4' : ''}${o.epochs !== null ? `, epochs ${o.epochs}` : ''}${o.folds !== null ? `, cv.folds ${o.folds}` : ''}`, pruners: byPruner };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out.specs = specs;
  out.machine = watch.finish();
  const json = JSON.stringify(out, null, 2);
  process.stdout.write(json + '\n');
  if (o.json) writeFileSync(o.json, json + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:pruning: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
