/**
 * validate: every problem of a spec, one per line, and its data checked, without training; with
 * --db (or NNSEARCH_DB), also whether that database's study of the same name would take this spec.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { formatValue } from '../../report/render.js';
import { summaryLines } from '../../models/sequential.js';
import { gridSize } from '../../search/grid.js';
import { formatProblem, parseSpecText, readSpecText } from '../../spec/file.js';
import type { Spec } from '../../spec/schema.js';
import { checkSameSpec, prepareStudy } from '../../study/prepare.js';
import type { Output } from '../io.js';
import { GRID_LIMIT } from './search.js';

/** At most a dozen values of a long list, and how many there are. */
function listValues(values: string[]): string {
  return values.length <= 12 ? values.join(' | ') : `${values.slice(0, 10).join(' | ')} | … (${values.length} values)`;
}
import { sqliteFile, withStorage } from '../options.js';

/** Returns the exit code: 0 when the spec and its data are fine, 2 otherwise. */
export async function validateCommand(args: { spec: string; seed?: number; db?: string }, io: Output): Promise<number> {
  const text = readSpecText(args.spec);
  const r = parseSpecText(text, { seed: args.seed });
  if (!r.ok) {
    for (const p of r.problems) io.err(formatProblem(args.spec, p));
    return 2;
  }
  const spec = r.spec;
  let plan: string;
  try {
    const size = gridSize(spec.space);
    plan = `grid of ${size} trials${size > GRID_LIMIT ? ` (more than ${GRID_LIMIT.toLocaleString('en')}: grid needs --max-trials ${size} or --yes)` : ''}`;
  } catch {
    plan = 'continuous ranges: random or bayes only';
  }
  const prepared = prepareStudy(spec, resolve(args.spec), { checkGrid: !plan.startsWith('continuous') });
  const params = spec.space.map((p) => `${p.name}: ${p.dist.kind === 'categorical' ? listValues(p.dist.choices.map(formatValue)) : `${p.dist.kind} ${p.dist.low}..${p.dist.high}${p.dist.log ? ' log' : ''}${p.dist.step ? ` step ${p.dist.step}` : ''}`}`);
  io.out(`${args.spec}: ok — study ${spec.name}; ${plan}; ${prepared.folds.folds.length}-fold CV on ${prepared.data.source}; metric ${prepared.metric.name} (${prepared.metric.goal})`);
  for (const line of params) io.out(`  ${line}`);
  const base = prepared.baseConfig.model;
  if (base.layers) {
    io.out(`model${spec.space.length ? ' (before params)' : ''}:`);
    for (const line of summaryLines(base.layers, base.inputShape!)) io.out(`  ${line}`);
  }
  if (args.db) io.out(await checkDatabase(args.db, prepared.spec));
  return 0;
}

/** Whether a search with this spec would continue or create its study in `db` (throws when it would be refused). */
async function checkDatabase(db: string, spec: Spec): Promise<string> {
  const file = sqliteFile(db);
  if (file !== null && !existsSync(file)) return `database ${file}: does not exist yet; a search creates it with study ${spec.name}`;
  return withStorage(db, 'read', async (store) => {
    const study = await store.getStudy(spec.name);
    if (!study) return `database ${store.location}: no study ${spec.name} yet; a search creates it`;
    checkSameSpec(study, spec, store.location);
    return `database ${store.location}: study ${spec.name} holds ${(await store.listTrials(study.id)).length} trials from this spec; a search continues it`;
  });
}

export function registerValidate<T>(y: Argv<T>, io: Output, setCode: (code: number) => void): Argv<T> {
  return y.command(
    'validate [spec]',
    'check a spec and its data without training',
    (c) =>
      c
        .positional('spec', { type: 'string', default: 'nnsearch.yaml' })
        .option('seed', { type: 'number' })
        .option('db', { type: 'string', defaultDescription: '$NNSEARCH_DB if set', describe: 'also check the study of this name in this database (a SQLite file, or postgresql://...)' }),
    async (a) => setCode(await validateCommand({ spec: a.spec, seed: a.seed, db: a.db ?? (process.env.NNSEARCH_DB || undefined) }, io)),
  );
}
