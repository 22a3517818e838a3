/** report: the results of a study in the chosen format, and optionally the HTML report (reads only). */
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import { htmlReport, renderReport, studyResults, type ReportFormat } from '../../report/assemble.js';
import { writeFileAtomic } from '../../files.js';
import { formatParams } from '../../report/render.js';
import { architectureLines } from '../../study/architecture.js';
import { storedSpec } from '../../study/prepare.js';
import type { Output } from '../io.js';
import { checkInteger, pickStudy, withDb, withStorage, withStudy } from '../options.js';

export interface ReportArgs {
  db: string;
  study?: string;
  best?: boolean;
  /** One parameter: a grouped summary; two: a pivot table. */
  by?: string[];
  top?: number;
  format: ReportFormat;
  /** Also write the HTML report to this file. */
  html?: string;
}

export function reportCommand(args: ReportArgs, io: Output): Promise<void> {
  return withStorage(args.db, 'read', async (store) => {
    const study = await pickStudy(store, args.study);
    const results = await studyResults(store, study);
    const by = args.by ?? [];
    for (const p of by) {
      if (!results.paramNames.includes(p)) throw new UsageError(`--by: study '${study.name}' has no parameter '${p}' (parameters: ${results.paramNames.join(', ') || 'none'})`);
    }
    if (by.length > 2) throw new UsageError('--by: give one parameter (a summary) or two (a pivot table)');
    const ignored = ignoredOption(args);
    if (ignored) throw new UsageError(ignored);
    let text = renderReport(results, study, args);
    // a conv net's layers, shapes and parameter counts (Keras model.summary()) of the best trial
    const best = results.bestIndex >= 0 ? results.rows[results.bestIndex] : null;
    const lines = best ? architectureLines(storedSpec(study.specJson), best.params) : null;
    const architecture = best && lines ? { title: `trial ${best.number}, the best: ${formatParams(best.params)}`, lines } : undefined;
    if (architecture && args.format === 'table' && !args.by?.length) text += `\n\nmodel of ${architecture.title}:\n${lines!.map((l) => `  ${l}`).join('\n')}`;
    if (args.html) {
      writeFileAtomic(args.html, await htmlReport(store, study, 3, architecture));
      io.err(`wrote ${args.html}`);
    }
    io.out(text);
  });
}

/** An option the chosen output would silently drop, as one line; null when every option given is used. */
export function ignoredOption(args: Pick<ReportArgs, 'format' | 'by' | 'best' | 'top'>): string | null {
  const given = [...(args.by?.length ? ['--by'] : []), ...(args.best ? ['--best'] : []), ...(args.top !== undefined ? ['--top'] : [])];
  if ((args.format === 'csv' || args.format === 'json') && given.length > 0) {
    return `${given[0]}: not with --format ${args.format}, which writes every trial's cv_results_ columns (${given[0]} works with --format table${given[0] === '--by' ? '' : ' or markdown'})`;
  }
  if (args.format === 'markdown' && args.by?.length) return '--by: not with --format markdown (summaries by a parameter are tables: --format table)';
  if (args.by?.length && (args.best || args.top !== undefined)) return `--by: not with ${args.best ? '--best' : '--top'} (a summary by a parameter covers every trial)`;
  if (args.best && args.top !== undefined) return '--best: not with --top (--best is the best trial alone; --top N the N best)';
  return null;
}

export function registerReport<T>(y: Argv<T>, io: Output): Argv<T> {
  return y.command(
    'report',
    'print the results of a study (reads only the database)',
    (c) =>
      withStudy(withDb(c))
        .option('best', { type: 'boolean', default: false, describe: 'only the best trial (table, markdown)' })
        .option('by', { type: 'string', array: true, describe: 'summarize by one parameter (a continuous one in bins), or pivot two (--by A --by B); table format' })
        .option('top', { type: 'number', describe: 'only the N best trials, best first (table, markdown)' })
        .option('format', { choices: ['table', 'csv', 'json', 'markdown'] as const, default: 'table' as const, describe: 'output format (csv/json carry the cv_results_ columns)' })
        .option('html', { type: 'string', describe: 'also write the HTML report (charts, one offline file) to this file' }),
    async (a) => {
      checkInteger('top', a.top, 1);
      await reportCommand({ db: a.db, study: a.study, best: a.best, by: a.by, top: a.top, format: a.format, html: a.html }, io);
    },
  );
}
