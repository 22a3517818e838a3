/** validate: every problem of a spec, one per line, and its data checked, without training. */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { formatValue } from '../../report/render.js';
import { gridSize } from '../../search/grid.js';
import { formatProblem, parseSpecText, readSpecText } from '../../spec/file.js';
import { prepareStudy } from '../../study/prepare.js';
import type { Output } from '../io.js';
import { GRID_LIMIT } from './search.js';

/** At most a dozen values of a long list, and how many there are. */
function listValues(values: string[]): string {
  return values.length <= 12 ? values.join(' | ') : `${values.slice(0, 10).join(' | ')} | … (${values.length} values)`;
}

/** Returns the exit code: 0 when the spec and its data are fine, 2 otherwise. */
export function validateCommand(args: { spec: string; seed?: number }, io: Output): number {
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
  return 0;
}

export function registerValidate<T>(y: Argv<T>, io: Output, setCode: (code: number) => void): Argv<T> {
  return y.command(
    'validate [spec]',
    'check a spec and its data without training',
    (c) => c.positional('spec', { type: 'string', default: 'nnsearch.yaml' }).option('seed', { type: 'number' }),
    (a) => setCode(validateCommand({ spec: a.spec, seed: a.seed }, io)),
  );
}
