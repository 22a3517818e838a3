import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { classCounts } from '../../src/data/dataset.js';
import { parseCsv } from '../../src/data/csv.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadDataset, loadIdxPair } from '../../src/data/load.js';
import { loadEmbeddedMnist } from '../../src/data/mnist.js';
import { DataError } from '../../src/errors.js';
import { DataSchemaForTests } from './schema.js';

const csvOpts = { file: 'd.csv', header: true, task: 'classification' as const };

describe('CSV', () => {
  it('reads features and a named or default target; text labels become sorted classes', () => {
    const ds = parseCsv('a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n', csvOpts);
    expect([ds.n, ds.d, ds.nClasses]).toEqual([3, 2, 2]);
    expect([...ds.x]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...ds.y]).toEqual([0, 1, 0]);
    expect(ds.classNames).toEqual(['setosa', 'virginica']);
    const byName = parseCsv('y,a\n1,5\n0,6\n', { ...csvOpts, target: 'y' });
    expect([...byName.x]).toEqual([5, 6]);
    expect([...byName.y]).toEqual([1, 0]);
  });

  it('handles quotes, semicolons and regression targets', () => {
    const ds = parseCsv('"a";"b"\n"1.5";2.5\n', { ...csvOpts, task: 'regression' });
    expect(ds.task).toBe('regression');
    expect([...ds.y]).toEqual([2.5]);
  });

  it('names the file and line of a ragged row', () => {
    expect(() => parseCsv('a,b,c\n1,2,0\n3,4\n', csvOpts)).toThrow(/^d\.csv:3: expected 3 fields, found 2/);
  });

  it('names the column of a non-numeric feature', () => {
    expect(() => parseCsv('a,b,c\n1,x,0\n', csvOpts)).toThrow(/^d\.csv:2: column 'b' value 'x' is not a number/);
  });

  it('refuses labels out of range when the class count is given', () => {
    expect(() => parseCsv('a,c\n1,0\n2,5\n', { ...csvOpts, classes: 3 })).toThrow(/d\.csv:3: target 'c': label 5 out of range 0\.\.2/);
  });

  it('refuses an unknown target column and a single class', () => {
    expect(() => parseCsv('a,b\n1,0\n', { ...csvOpts, target: 'z' })).toThrow(/data\.target: no column 'z'/);
    expect(() => parseCsv('a,b\n1,0\n2,0\n', csvOpts)).toThrow(/at least two classes/);
  });
});

function idx(type: number, dims: number[], values: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(values)]);
}

describe('IDX', () => {
  it('parses ubyte arrays, plain or gzipped', () => {
    const buf = idx(0x08, [2, 2, 2], [0, 255, 1, 2, 3, 4, 5, 6]);
    expect(parseIdx(buf).dims).toEqual([2, 2, 2]);
    expect([...parseIdx(gzipSync(buf)).data]).toEqual([0, 255, 1, 2, 3, 4, 5, 6]);
  });

  it('reports a size mismatch and a bad magic number', () => {
    expect(() => parseIdx(idx(0x08, [3, 2], [1, 2, 3]))).toThrow(/size mismatch/);
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4]))).toThrow(/magic/);
  });

  it('loads an image/label pair, scaling pixels by 1/255, and checks the counts agree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nns-idx-'));
    writeFileSync(join(dir, 'img'), idx(0x08, [3, 1, 2], [0, 255, 51, 102, 0, 0]));
    writeFileSync(join(dir, 'lab'), idx(0x08, [3], [0, 1, 1]));
    writeFileSync(join(dir, 'lab2'), idx(0x08, [2], [0, 1]));
    writeFileSync(join(dir, 'lab3'), idx(0x08, [3], [0, 1, 12]));
    const ds = loadIdxPair(join(dir, 'img'), join(dir, 'lab'), undefined);
    expect([...ds.x].map((v) => Math.round(v * 255))).toEqual([0, 255, 51, 102, 0, 0]);
    expect(ds.nClasses).toBe(2);
    expect(() => loadIdxPair(join(dir, 'img'), join(dir, 'lab2'), undefined)).toThrow(/lab2: 2 labels for 3 images/);
    expect(() => loadIdxPair(join(dir, 'img'), join(dir, 'lab3'), 10)).toThrow(/label 12 out of range 0\.\.9/);
    expect(() => loadIdxPair(join(dir, 'nope'), join(dir, 'lab'), undefined)).toThrow(DataError);
  });
});

describe('embedded MNIST', () => {
  it('has 10,000 digits of 784 pixels in [0, 1], about 1,000 per class', () => {
    const ds = loadEmbeddedMnist();
    expect(ds.n).toBeGreaterThanOrEqual(9_990);
    expect(ds.d).toBe(784);
    expect(ds.nClasses).toBe(10);
    let max = 0;
    for (const v of ds.x) max = Math.max(max, v);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
    for (const c of classCounts(ds)) expect(c).toBeGreaterThan(800);
  });

  it('takes a seeded subset with data.limit', () => {
    const a = loadDataset(DataSchemaForTests.parse({ dataset: 'mnist', limit: 500 }), '.', 1).train;
    const b = loadDataset(DataSchemaForTests.parse({ dataset: 'mnist', limit: 500 }), '.', 1).train;
    const c = loadDataset(DataSchemaForTests.parse({ dataset: 'mnist', limit: 500 }), '.', 2).train;
    expect(a.n).toBe(500);
    expect([...a.y]).toEqual([...b.y]);
    expect([...a.x.subarray(0, 2000)]).not.toEqual([...c.x.subarray(0, 2000)]);
  });
});
