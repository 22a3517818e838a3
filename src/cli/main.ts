/**
 * The nnsearch command line. The only module that reads argv, writes to the process streams and
 * chooses exit codes: 0 ok, 2 bad spec / data / usage, 1 runtime failure, 130 interrupted.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EngineUnavailableError, NnsearchError, UsageError } from '../errors.js';
import { BACKENDS, type BackendName } from '../engine/index.js';
import type { SamplerName } from '../search/sampler.js';
import { chooseProgress } from './progress.js';
import { reportCommand, searchCommand, studiesCommand, validateCommand, type Output, type Parallelism } from './commands.js';
import { ipcProgress, runWorkers } from './workers.js';
import { exportCommand, predictCommand, showCommand } from './trial-commands.js';
import { availableParallelism } from 'node:os';

const processIo: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

/** Ctrl-C once: finish the current epoch, mark the trial interrupted, exit 130. Twice: exit now. */
function interruptFlag(): () => boolean {
  let stop = false;
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

const withDb = <T>(y: Argv<T>) => y.option('db', { type: 'string', default: 'nnsearch.db', describe: 'SQLite database file' });

function searchCommandBuilder(kind: SamplerName) {
  return (y: Argv) =>
    withDb(y)
      .positional('spec', { type: 'string', default: 'nnsearch.yaml', describe: 'search spec (YAML)' })
      .option('budget', { type: 'number', describe: 'trials the study should reach (random, bayes)', hidden: kind === 'grid' })
      .option('startup', { type: 'number', describe: 'quasi-random trials before the Gaussian process takes over', default: kind === 'bayes' ? 10 : undefined, hidden: kind !== 'bayes' })
      .option('backend', { choices: BACKENDS, default: 'auto' as BackendName, describe: 'training engine' })
      .option('seed', { type: 'number', describe: "override the spec's seed" })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .option('workers', { type: 'number', default: availableParallelism(), defaultDescription: 'the number of cores', describe: 'trials trained in parallel: threads of the native engine, or processes sharing the database' })
      .option('worker', { type: 'boolean', hidden: true, describe: 'run as one of several workers (internal)' });
}

async function runSearch(kind: SamplerName, argv: Record<string, unknown>, io: Output): Promise<void> {
  for (const flag of ['budget', 'startup', 'workers'] as const) {
    const v = argv[flag];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= (flag === 'startup' ? 0 : 1))) {
      throw new UsageError(`--${flag}: must be a ${flag === 'startup' ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
    }
  }
  const isWorker = argv.worker === true;
  const mode = argv.quiet ? 'quiet' : process.stderr.isTTY ? 'bars' : 'lines';
  const shouldStop = io === processIo ? interruptFlag() : () => false;
  const parallelism: Parallelism = {
    workers: argv.workers as number,
    isWorker,
    spawn: (count, progress) => runWorkers(process.argv[1], process.argv.slice(2), count, progress),
  };
  await searchCommand(
    kind,
    {
      spec: argv.spec as string,
      db: argv.db as string,
      backend: argv.backend as BackendName,
      seed: argv.seed as number | undefined,
      budget: argv.budget as number | undefined,
      startup: argv.startup as number | undefined,
      progress: isWorker ? ipcProgress : io === processIo ? chooseProgress(mode) : chooseProgress('quiet'),
      shouldStop,
    },
    io,
    parallelism,
  );
}

/** Runs the command line `args`; returns the exit code. `io` receives all output (tests pass their own). */
export async function main(args: string[], io: Output = processIo): Promise<number> {
  let code = 0;
  const parser = yargs(args)
    .scriptName('nnsearch')
    .usage('$0 <command> [options]\n\nHyperparameter search for neural networks: grid, random or Bayesian search, k-fold\ncross-validation with Keras semantics (native C++, WebGPU or TensorFlow.js), results in SQLite.')
    .command('grid [spec]', 'run a grid search over every combination of params', searchCommandBuilder('grid'), (a) => runSearch('grid', a, io))
    .command('random [spec]', 'run a random search until the study has --budget trials', searchCommandBuilder('random'), (a) => runSearch('random', a, io))
    .command('bayes [spec]', 'run a Bayesian (Gaussian-process) search until the study has --budget trials', searchCommandBuilder('bayes'), (a) => runSearch('bayes', a, io))
    .command(
      'report',
      'print the results of a study (reads only the database)',
      (y) =>
        withDb(y)
          .option('study', { type: 'string', describe: 'study name (default: the only study)' })
          .option('best', { type: 'boolean', default: false, describe: 'only the best trial' })
          .option('by', { type: 'string', array: true, describe: 'summarize by one parameter, or pivot two (--by A --by B)' })
          .option('top', { type: 'number', describe: 'only the N best trials, best first' })
          .option('format', { choices: ['table', 'csv', 'json', 'markdown'] as const, default: 'table' as const, describe: 'output format (csv/json carry the cv_results_ columns)' })
          .option('html', { type: 'string', describe: 'also write a self-contained HTML report with charts to this file' }),
      (a) => {
        if (a.top !== undefined && !(Number.isInteger(a.top) && a.top > 0)) throw new UsageError(`--top: must be a positive integer, got ${a.top}`);
        reportCommand({ db: a.db, study: a.study, best: a.best, by: a.by, top: a.top, format: a.format, html: a.html }, io);
      },
    )
    .command(
      'validate [spec]',
      'check a spec and its data without training',
      (y) => y.positional('spec', { type: 'string', default: 'nnsearch.yaml' }).option('seed', { type: 'number' }),
      (a) => {
        code = validateCommand({ spec: a.spec as string, seed: a.seed }, io);
      },
    )
    .command('studies', 'list the studies in the database', (y) => withDb(y), (a) => studiesCommand({ db: a.db }, io))
    .command(
      'show <trial>',
      "one trial in detail: params, per-fold scores, learning-curve sparklines ('best' for the best)",
      (y) => withDb(y).positional('trial', { type: 'string', describe: "trial number, or 'best'" }).option('study', { type: 'string', describe: 'study name (default: the only study)' }),
      (a) => showCommand({ db: a.db, study: a.study, trial: a.trial as string }, io),
    )
    .command(
      'export',
      "refit the best configuration on all training data and save it as a TensorFlow.js LayersModel",
      (y) =>
        withDb(y)
          .option('best', { type: 'string', demandOption: true, describe: 'directory to write model.json, weights.bin and nnsearch.json to' })
          .option('trial', { type: 'number', describe: 'export this trial instead of the best' })
          .option('study', { type: 'string', describe: 'study name (default: the only study)' })
          .option('backend', { choices: BACKENDS, default: 'auto' as BackendName, describe: 'training engine for the refit' }),
      (a) => exportCommand({ db: a.db, study: a.study, dir: a.best, trial: a.trial, backend: a.backend }, io),
    )
    .command(
      'predict',
      'run an exported model on data and report its accuracy',
      (y) =>
        y
          .option('model', { type: 'string', demandOption: true, describe: 'directory written by nnsearch export' })
          .option('data', { type: 'string', demandOption: true, describe: "mnist, fashion-mnist[:train], an IDX directory, or a CSV file" })
          .option('out', { type: 'string', describe: 'write every prediction (and class probabilities) to this CSV file' })
          .option('show', { type: 'number', default: 10, describe: 'print the first N predictions' }),
      (a) => predictCommand({ model: a.model, data: a.data, out: a.out, show: a.show }, io),
    )
    .example('$0 grid configs/init-mode.yaml', 'the classic Keras init_mode grid on the embedded MNIST')
    .example('$0 random configs/random-mlp.yaml --budget 50', 'random search, 50 trials')
    .example('$0 bayes configs/random-mlp.yaml --budget 30', 'Gaussian-process search on the same spec')
    .example('$0 report --best', 'the best trial of the only study in ./nnsearch.db')
    .example('$0 report --html report.html', 'charts in one offline HTML file')
    .example('$0 export --best model/', 'refit the best configuration and save a TensorFlow.js model')
    .demandCommand(1, 'give a command: grid, random, bayes, report, show, export, predict, validate or studies')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new UsageFailure(msg);
    });
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    if (e instanceof UsageFailure) {
      io.err(`nnsearch: ${e.message} (see nnsearch --help)`);
      return 2;
    }
    if (e instanceof EngineUnavailableError) {
      io.err(`nnsearch: --backend ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof NnsearchError) {
      io.err(`nnsearch: ${e.message}`);
      return e.exitCode;
    }
    const err = e as Error;
    io.err(`nnsearch: internal error: ${err?.message ?? String(e)}${process.env.DEBUG ? `\n${err?.stack}` : ' (set DEBUG=1 for a stack trace)'}`);
    return 1;
  }
}

class UsageFailure extends Error {}

export async function cli(): Promise<void> {
  // `nnsearch report | head`: a closed pipe ends the output quietly
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  const code = await main(hideBin(process.argv));
  process.exitCode = code;
}
