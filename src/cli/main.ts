/**
 * The nnsearch command line: registers one module per command (cli/commands/), and is the only
 * module that reads argv and turns errors into exit codes: 0 ok, 2 bad spec / data / database /
 * usage, 1 runtime failure, 130 interrupted.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EngineUnavailableError, NnsearchError } from '../errors.js';
import { registerCopy } from './commands/copy.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerExport } from './commands/export.js';
import { registerPredict } from './commands/predict.js';
import { registerReport } from './commands/report.js';
import { registerSearch } from './commands/search.js';
import { registerShow } from './commands/show.js';
import { registerStudies } from './commands/studies.js';
import { registerValidate } from './commands/validate.js';
import { processIo, watchOutputStreams, type Output } from './io.js';

/** Runs the command line `args`; returns the exit code. `io` receives all output (tests pass their own). */
export async function main(args: string[], io: Output = processIo): Promise<number> {
  let code = 0;
  const interactive = io === processIo;
  let parser = yargs(args)
    .scriptName('nnsearch')
    .usage('$0 <command> [options]\n\nHyperparameter search for neural networks: grid, random or Bayesian search, k-fold\ncross-validation with Keras semantics (native C++, WebGPU or TensorFlow.js), results in SQLite or PostgreSQL.');
  for (const kind of ['grid', 'random', 'bayes', 'tpe'] as const) parser = registerSearch(parser, kind, io, interactive);
  parser = registerReport(parser, io);
  parser = registerDashboard(parser, io, interactive);
  parser = registerValidate(parser, io, (c) => {
    code = c;
  });
  parser = registerStudies(parser, io);
  parser = registerShow(parser, io);
  parser = registerExport(parser, io);
  parser = registerPredict(parser, io);
  parser = registerCopy(parser, io);
  parser = parser
    .example('$0 grid configs/init-mode.yaml', 'the classic Keras init_mode grid on the embedded MNIST')
    .example('$0 random configs/random-mlp.yaml --budget 50', 'random search, 50 trials')
    .example('$0 bayes configs/random-mlp.yaml --budget 30', 'Gaussian-process search on the same spec')
    .example('$0 tpe configs/random-mlp.yaml --budget 100', "Optuna's TPE, for large budgets")
    .example('$0 report --best', 'the best trial of the only study in ./nnsearch.db')
    .example('$0 report --html report.html', 'charts in one offline HTML file')
    .example('$0 dashboard --port 0', 'the same charts live in a browser while a search runs')
    .example('$0 export --best model/', 'refit the best configuration and save a TensorFlow.js model')
    .example('$0 grid spec.yaml --db postgresql://user:password@host:5432/hp', 'one study shared by workers on many machines')
    .example('$0 copy --from nnsearch.db --to postgresql://user:password@host:5432/hp', 'move a study to a PostgreSQL server (or back)')
    .demandCommand(1, 'give a command: grid, random, bayes, tpe, report, dashboard, show, export, predict, validate, studies or copy')
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

/** yargs's own complaint about the command line (unknown option, missing argument). */
class UsageFailure extends Error {}

export async function cli(): Promise<void> {
  // `nnsearch report | head`: a closed pipe ends the output quietly; a search stops as if interrupted
  watchOutputStreams();
  const code = await main(hideBin(process.argv));
  process.exitCode = code;
}
