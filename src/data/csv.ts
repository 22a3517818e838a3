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
  /** Column name (needs header) or 0-based index; default: the last column; null: no target (features only, y all 0). */
  target?: string | number | null;
  task: 'classification' | 'regression';
  classes?: number;
  /** Class names the labels must be drawn from (a trained model's); labels are mapped by name. */
  classNames?: readonly string[];
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

/** The separator of a CSV file, from its first line: whichever of , ; and tab splits it most. */
export function detectSeparator(firstLine: string): string {
  return [',', ';', '\t'].sort((a, b) => firstLine.split(b).length - firstLine.split(a).length)[0];
}

/** The fields of a CSV file's first line (its header, when it has one). */
export function firstRow(text: string): string[] {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  return splitLine(line, detectSeparator(line)).map((f) => f.trim());
}

export function parseCsv(text: string, opts: CsvOptions): Dataset {
  const lines = text.split(/\r?\n/);
  const rows: { line: number; fields: string[] }[] = [];
  const sep = detectSeparator(lines.find((l) => l.trim() !== '') ?? '');
  let header: string[] | null = null;
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const fields = splitLine(raw, sep).map((f) => f.trim());
    if (opts.header && header === null) header = fields;
    else rows.push({ line: i + 1, fields });
  });
  if (rows.length === 0) throw new DataError(`${opts.file}: no data rows`);
  const width = header ? (header as string[]).length : rows[0].fields.length;
  if (width < 2 && opts.target !== null) throw new DataError(`${opts.file}: needs at least two columns (features and a target), found ${width}`);
  for (const r of rows) {
    if (r.fields.length !== width) throw new DataError(`${opts.file}:${r.line}: expected ${width} fields, found ${r.fields.length} (ragged row)`);
  }
  let target: number;
  if (opts.target === null) target = -1;
  else if (opts.target === undefined) target = width - 1;
  else if (typeof opts.target === 'number') {
    if (opts.target >= width) throw new DataError(`data.target: column ${opts.target} does not exist in ${opts.file} (${width} columns)`);
    target = opts.target;
  } else {
    if (!header) throw new DataError(`data.target: a column name needs a header row in ${opts.file} (or give a 0-based index)`);
    target = (header as string[]).indexOf(opts.target);
    if (target < 0) throw new DataError(`data.target: no column '${opts.target}' in ${opts.file} (columns: ${(header as string[]).join(', ')})`);
  }
  const names = header ?? Array.from({ length: width }, (_, i) => `column ${i}`);
  const d = target < 0 ? width : width - 1;
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
  if (target < 0) return { source, task: opts.task, x, y: new Float32Array(n), n, d, nClasses: opts.task === 'classification' ? (opts.classes ?? 0) : 0 };
  if (opts.task === 'regression') {
    const y = new Float32Array(n);
    rawTargets.forEach((v, i) => {
      const num = v === '' ? NaN : Number(v);
      if (!Number.isFinite(num)) throw new DataError(`${opts.file}:${rows[i].line}: target '${names[target]}' value '${v}' is not a number`);
      y[i] = num;
    });
    return { source, task: 'regression', x, y, n, d, nClasses: 0 };
  }
  const { y, nClasses, classNames } = labelsToClasses(rawTargets, opts.classes, (i) => `${opts.file}:${rows[i].line}: target '${names[target]}'`, opts.classNames);
  return { source, task: 'classification', x, y, n, d, nClasses, classNames };
}
