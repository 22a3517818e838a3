/**
 * grid / random / bayes: validate everything, open the database, then search with the chosen
 * sampler until the grid is done or the study holds --budget trials.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { EngineUnavailableError, IncompleteSearchError, InterruptedError, UsageError } from '../../errors.js';
import { backendRefusal, createEngine, type BackendName } from '../../engine/index.js';
import type { Engine } from '../../engine/runtime.js';
import { renderReport, studyResults } from '../../report/assemble.js';
import { bayesSampler, DEFAULT_STARTUP } from '../../search/bayes.js';
import { gridSampler, gridSize } from '../../search/grid.js';
import { randomSampler } from '../../search/random.js';
import { createPruner, PRUNER_NAMES, type PrunerConfig } from '../../search/pruners/index.js';
import { tpeSampler } from '../../search/tpe.js';
import type { Sampler, SamplerName } from '../../search/sampler.js';
import { didYouMean } from '../../spec/did-you-mean.js';
import { loadSpec } from '../../spec/file.js';
import type { Spec } from '../../spec/schema.js';
import { openStudy, prepareStudy } from '../../study/prepare.js';
import { plannedTotals, runSearch, shortfall, type Progress, type RunSummary } from '../../study/run.js';
import { outputClosed, whenOutputCloses, type Output } from '../io.js';
import { checkInteger, withBackend, withDb, withStorage } from '../options.js';
import { chooseProgress } from '../progress.js';
import { ipcProgress, runWorkers, WorkerFailure, type WorkerExit } from '../workers.js';

export interface SearchArgs {
  spec: string;
  db: string;
  backend: BackendName;
  seed?: number;
  budget?: number;
  /** bayes: quasi-random proposals before the GP takes over. */
  startup?: number;
  progress: Progress;
  shouldStop?: () => boolean;
  /** Stop after this many trials in this run (tests and workers). */
  maxTrials?: number;
  /** grid: the largest grid to run (--max-trials; default GRID_LIMIT); Infinity with --yes. */
  gridLimit?: number;
  /** A running trial with no heartbeat for this long is taken over by another worker (ms). */
  leaseMs?: number;
  /** --quiet: nothing on stderr but errors; stdout gets the results. */
  quiet?: boolean;
  /** --pruner NAME: overrides the spec's pruner (its parameters kept when the name is the same). */
  pruner?: string;
}

/** The pruner a search uses: the spec's, or --pruner's (with Optuna's defaults unless the spec names the same one). */
export function resolvePruner(spec: Spec, override: string | undefined): PrunerConfig {
  if (override === undefined) return spec.pruner;
  const name = override.trim().toLowerCase();
  if (!(PRUNER_NAMES as readonly string[]).includes(name)) {
    const guess = didYouMean(name, PRUNER_NAMES);
    throw new UsageError(`--pruner: unknown pruner '${override}' (expected one of: ${PRUNER_NAMES.join(', ')}${guess ? `; did you mean '${guess}'?` : ''})`);
  }
  return spec.pruner.name === name ? spec.pruner : ({ name } as PrunerConfig);
}

/** Grids larger than this need --max-trials N or --yes: a typo in a list must not start a week of training. */
export const GRID_LIMIT = 10_000;

export function makeSampler(kind: SamplerName, spec: Spec, goal: 'maximize' | 'minimize' = 'maximize', startup = DEFAULT_STARTUP): Sampler {
  switch (kind) {
    case 'grid':
      return gridSampler({ space: spec.space });
    case 'random':
      return randomSampler({ space: spec.space, seed: spec.seed });
    case 'bayes':
      return bayesSampler({ space: spec.space, seed: spec.seed, goal, startup });
    case 'tpe':
      return tpeSampler({ space: spec.space, seed: spec.seed, goal, startup });
  }
}

/**
 * How a run uses the machine's cores (--workers N):
 * - an engine that is parallel in one process (native threads, a GPU): one process; each round
 *   claims N trials and trains all their folds as one stack spread over N threads.
 * - TensorFlow.js engines (one thread each): N worker processes on the same database
 *   (`spawn` starts them; each runs this command as a 'worker').
 */
export interface Parallelism {
  workers: number;
  isWorker: boolean;
  spawn?: (count: number, progress: Progress) => Promise<WorkerExit[]>;
}

type SearchRole = { kind: 'single'; threads: number } | { kind: 'worker' } | { kind: 'parent'; workers: number; spawn: NonNullable<Parallelism['spawn']> };

function roleOf(engine: Engine, par: Parallelism): SearchRole {
  if (par.isWorker) return { kind: 'worker' };
  if (par.workers > 1 && !engine.inProcessParallel && par.spawn) return { kind: 'parent', workers: par.workers, spawn: par.spawn };
  return { kind: 'single', threads: engine.inProcessParallel ? par.workers : 1 };
}

export async function searchCommand(kind: SamplerName, args: SearchArgs, io: Output, par: Parallelism = { workers: 1, isWorker: false }): Promise<RunSummary | null> {
  const specPath = resolve(args.spec);
  const spec = loadSpec(args.spec, { seed: args.seed });
  if (kind !== 'grid' && args.budget === undefined) throw new UsageError(`${kind}: --budget N is required (the number of trials the study should reach)`);
  if (kind === 'grid' && args.budget !== undefined) throw new UsageError('grid: --budget does not apply (the grid decides the number of trials)');
  if (spec.space.length === 0 && kind !== 'grid') throw new UsageError(`${args.spec}: params: nothing to search (add params)`);
  if (kind === 'grid') {
    const size = gridSize(spec.space);
    const limit = args.gridLimit ?? GRID_LIMIT;
    if (size > limit) {
      throw new UsageError(`grid: ${size.toLocaleString('en')} grid points, more than ${limit === GRID_LIMIT ? 'the limit of ' : '--max-trials '}${limit.toLocaleString('en')}; pass --max-trials ${size} (or --yes) to run them all, or search a smaller grid or with random / bayes`);
    }
  }
  const prepared = prepareStudy(spec, specPath, { checkGrid: kind === 'grid' });
  const refusal = backendRefusal(args.backend, prepared.baseConfig.model);
  if (refusal) throw new EngineUnavailableError(args.backend, refusal);
  const sampler = makeSampler(kind, spec, prepared.metric.goal, args.startup);
  const prunerConfig = resolvePruner(spec, args.pruner);
  const budget = kind === 'grid' ? Infinity : (args.budget as number);
  // created even by a parent of worker processes: a missing backend fails here, before the database
  let engine: Engine | null = await createEngine(args.backend, { threads: par.workers });
  const role = roleOf(engine, par);
  if (role.kind === 'parent') {
    await engine.dispose();
    engine = null;
  }
  try {
    return await withStorage(args.db, 'write', async (store) => {
      const study = await openStudy(store, prepared);
      if (role.kind !== 'worker' && !args.quiet) {
        const plan = kind === 'grid' ? `${gridSize(spec.space)} grid points` : `budget ${args.budget}${kind === 'bayes' || kind === 'tpe' ? `, ${args.startup ?? DEFAULT_STARTUP} start-up trials` : ''}`;
        const how =
          role.kind === 'parent' ? `${role.workers} worker processes`
          : engine!.trialsPerRound ? `engine ${engine!.name}, up to ${engine!.trialsPerRound} trials per round`
          : `engine ${engine!.name}${role.threads > 1 ? `, ${role.threads} threads` : ''}`;
        const pruning = prunerConfig.name === 'none' ? '' : `, pruner ${prunerConfig.name}`;
        io.err(`study ${study.name}: ${kind} search, ${plan}, ${prepared.folds.folds.length}-fold CV on ${prepared.data.source}, metric ${prepared.metric.name} (${prepared.metric.goal})${pruning}, ${how}`);
      }
      let summary: RunSummary | null = null;
      if (role.kind === 'parent') {
        const { total, done } = plannedTotals(await store.listTrials(study.id), sampler, budget);
        args.progress.start(total, done);
        let exits: WorkerExit[];
        try {
          exits = await role.spawn(role.workers, args.progress);
        } finally {
          args.progress.stop();
        }
        if (exits.some((e) => e.code === 130)) throw new InterruptedError();
        const failed = exits.find((e) => e.code !== 0);
        if (failed) throw new WorkerFailure(failed);
      } else {
        summary = await runSearch(store, study, prepared, {
          sampler,
          budget,
          engine: engine!,
          progress: args.progress,
          shouldStop: args.shouldStop,
          maxTrials: args.maxTrials,
          leaseMs: args.leaseMs,
          trialsPerRound: engine!.trialsPerRound ?? (role.kind === 'single' ? role.threads : 1),
          pruner: createPruner(prunerConfig),
          onLeaseLost: (t) => io.err(`nnsearch: trial ${t.number}: this worker's lease on it ran out (--lease) and it was handed on; left to whoever runs it now`),
        });
      }
      if (role.kind === 'worker') return summary;
      if (outputClosed()) throw new InterruptedError('the output was closed; run the same command again to continue');
      io.out(renderReport(await studyResults(store, study), study, { format: 'table' }));
      const missing = args.maxTrials === undefined ? shortfall(await store.listTrials(study.id), sampler, budget, prepared.spec.space) : null;
      if (missing) {
        const what = kind === 'grid' ? `${missing.have} of ${missing.want} grid points` : `${missing.have} of its budget of ${missing.want} trials`;
        const why = missing.exhausted || summary?.exhausted
          ? `the search space has no untried configuration left`
          : missing.interrupted > 0 ? `${missing.interrupted} interrupted; run the same command again to continue` : 'run the same command again to continue';
        throw new IncompleteSearchError(`study ${study.name} ends with ${what} (${why})`);
      }
      return summary;
    });
  } finally {
    await engine?.dispose();
  }
}

/**
 * Ctrl-C once: finish the current epoch, mark the trial interrupted, exit 130. Twice: exit now.
 * SIGTERM, and a closed stdout or stderr (`| head`), count as one Ctrl-C.
 */
function interruptFlag(): () => boolean {
  let stop = false;
  whenOutputCloses(() => {
    stop = true;
  });
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nstopping after the current epoch (Ctrl-C again to quit at once)\n');
  });
  process.on('SIGTERM', () => {
    stop = true;
  });
  return () => stop;
}

const DESCRIPTIONS: Record<SamplerName, string> = {
  grid: 'run a grid search over every combination of params',
  random: 'run a random search until the study has --budget trials',
  bayes: 'run a Bayesian (Gaussian-process) search until the study has --budget trials',
  tpe: 'run a tree-structured Parzen estimator search (Optuna\'s TPE) until the study has --budget trials',
};

/** Registers `grid [spec]`, `random [spec]` or `bayes [spec]`; `interactive`: the process's own streams and signals. */
export function registerSearch<T>(y: Argv<T>, kind: SamplerName, io: Output, interactive: boolean): Argv<T> {
  return y.command(
    `${kind} [spec]`,
    DESCRIPTIONS[kind],
    (c) =>
      withBackend(withDb(c), 'training engine')
        .positional('spec', { type: 'string', default: 'nnsearch.yaml', describe: 'search spec (YAML)' })
        .option('budget', { type: 'number', describe: 'trials the study should reach (random, bayes)', hidden: kind === 'grid' })
        .option('startup', { type: 'number', describe: kind === 'tpe' ? 'random trials before the Parzen estimators take over' : 'quasi-random trials before the Gaussian process takes over', default: kind === 'bayes' || kind === 'tpe' ? DEFAULT_STARTUP : undefined, hidden: kind !== 'bayes' && kind !== 'tpe' })
        .option('seed', { type: 'number', describe: "override the spec's seed" })
        .option('pruner', { type: 'string', describe: `override the spec's pruner: ${PRUNER_NAMES.join(', ')} (Optuna's defaults unless the spec sets that pruner's parameters)` })
        .option('max-trials', { type: 'number', describe: `grid: run grids up to this many points (default ${GRID_LIMIT.toLocaleString('en')})`, hidden: kind !== 'grid' })
        .option('yes', { type: 'boolean', default: false, describe: 'grid: run a grid of any size', hidden: kind !== 'grid' })
        .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but the results (and errors)' })
        .option('workers', { type: 'number', default: availableParallelism(), defaultDescription: 'the number of cores', describe: 'trials trained in parallel: threads of the native engine, or processes sharing the database' })
        .option('lease', { type: 'number', default: 600, describe: 'seconds without a heartbeat after which another worker (on any host) takes a running trial over' })
        .option('worker', { type: 'boolean', default: false, hidden: true, describe: 'run as one of several workers (internal)' }),
    async (a) => {
      checkInteger('budget', a.budget, 1);
      checkInteger('startup', a.startup, 0);
      checkInteger('workers', a.workers, 1);
      checkInteger('max-trials', a.maxTrials, 1);
      if (kind !== 'grid' && (a.maxTrials !== undefined || a.yes)) throw new UsageError(`${kind}: --max-trials and --yes apply to grid searches (--budget sets the number of trials)`);
      checkInteger('lease', a.lease, 1);
      const mode = a.quiet || !interactive ? 'quiet' : process.stderr.isTTY ? 'bars' : 'lines';
      await searchCommand(
        kind,
        {
          spec: a.spec,
          db: a.db,
          backend: a.backend,
          seed: a.seed,
          budget: a.budget,
          startup: a.startup,
          pruner: a.pruner,
          gridLimit: a.yes ? Infinity : a.maxTrials,
          quiet: a.quiet,
          progress: a.worker ? ipcProgress : chooseProgress(mode),
          shouldStop: interactive ? interruptFlag() : () => false,
          leaseMs: a.lease * 1000,
        },
        io,
        { workers: a.workers, isWorker: a.worker, spawn: (count, progress) => runWorkers(process.argv[1], process.argv.slice(2), count, progress) },
      );
    },
  );
}
