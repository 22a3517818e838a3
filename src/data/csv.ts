/**
 * CSV to Dataset. Pure: text in, Dataset out; errors carry `file:line` and the column.
 * Comma, semicolon or tab separated (detected from the first line); double-quoted fields allowed.
 */
import { DataError } from '../errors.js';
import type { Dataset } from './dataset.js';
import { labelsToClasses } from './labels.js';

export interface CsvOptions {
  file: string;
  header: boolean;
  /** Column name (needs header) or 0-based index; default: the last column. */
  target?: string | number;
  task: 'classification' | 'regression';
  classes?: number;
}

function splitLine(line: string, sep: string): string[] {
  if (!line.includes('"')) return line.split(sep);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseCsv(text: string, opts: CsvOptions): Dataset {
  const lines = text.split(/\r?\n/);
  const rows: { line: number; fields: string[] }[] = [];
  const first = lines.find((l) => l.trim() !== '') ?? '';
  const sep = [',', ';', '\t'].sort((a, b) => first.split(b).length - first.split(a).length)[0];
  let header: string[] | null = null;
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const fields = splitLine(raw, sep).map((f) => f.trim());
    if (opts.header && header === null) header = fields;
    else rows.push({ line: i + 1, fields });
  });
  if (rows.length === 0) throw new DataError(`${opts.file}: no data rows`);
  const width = header ? (header as string[]).length : rows[0].fields.length;
  if (width < 2) throw new DataError(`${opts.file}: needs at least two columns (features and a target), found ${width}`);
  for (const r of rows) {
    if (r.fields.length !== width) throw new DataError(`${opts.file}:${r.line}: expected ${width} fields, found ${r.fields.length} (ragged row)`);
  }
  let target: number;
  if (opts.target === undefined) target = width - 1;
  else if (typeof opts.target === 'number') {
    if (opts.target >= width) throw new DataError(`data.target: column ${opts.target} does not exist in ${opts.file} (${width} columns)`);
    target = opts.target;
  } else {
    if (!header) throw new DataError(`data.target: a column name needs a header row in ${opts.file} (or give a 0-based index)`);
    target = (header as string[]).indexOf(opts.target);
    if (target < 0) throw new DataError(`data.target: no column '${opts.target}' in ${opts.file} (columns: ${(header as string[]).join(', ')})`);
  }
  const names = header ?? Array.from({ length: width }, (_, i) => `column ${i}`);
  const d = width - 1;
  const n = rows.length;
  const x = new Float32Array(n * d);
  const rawTargets: string[] = [];
  rows.forEach((r, i) => {
    let k = 0;
    for (let j = 0; j < width; j++) {
      const v = r.fields[j];
      if (j === target) {
        rawTargets.push(v);
        continue;
      }
      const num = v === '' ? NaN : Number(v);
      if (!Number.isFinite(num)) throw new DataError(`${opts.file}:${r.line}: column '${names[j]}' value '${v}' is not a number`);
      x[i * d + k++] = num;
    }
  });
  const source = `${opts.file} (${n} rows, ${d} features)`;
  if (opts.task === 'regression') {
    const y = new Float32Array(n);
    rawTargets.forEach((v, i) => {
      const num = v === '' ? NaN : Number(v);
      if (!Number.isFinite(num)) throw new DataError(`${opts.file}:${rows[i].line}: target '${names[target]}' value '${v}' is not a number`);
      y[i] = num;
    });
    return { source, task: 'regression', x, y, n, d, nClasses: 0 };
  }
  const { y, nClasses, classNames } = labelsToClasses(rawTargets, opts.classes, (i) => `${opts.file}:${rows[i].line}: target '${names[target]}'`);
  return { source, task: 'classification', x, y, n, d, nClasses, classNames };
}
