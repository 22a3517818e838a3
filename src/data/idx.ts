/**
 * IDX files (the MNIST / Fashion-MNIST format), plain or gzipped. `parseIdx` is pure; `readIdxFile`
 * adds the file system and names the file in every error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  /** Values as stored (ubyte data stays 0..255). */
  data: Uint8Array | Float32Array | Int32Array;
}

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
};

/** Parses an IDX buffer; throws Error with a description of what is wrong. */
export function parseIdx(buf: Uint8Array): IdxArray {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new Error('not an IDX file (bad magic number)');
  const type = TYPES[buf[2]];
  if (!type) throw new Error(`unknown IDX element type 0x${buf[2].toString(16)}`);
  const ndims = buf[3];
  if (ndims < 1) throw new Error('IDX file declares no dimensions');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4 + 4 * ndims) throw new Error('IDX header is truncated');
  const dims = Array.from({ length: ndims }, (_, i) => view.getInt32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndims;
  const expected = offset + count * type.size;
  if (buf.length !== expected) {
    throw new Error(`IDX size mismatch: header says ${dims.join('x')} ${type.name} (${expected} bytes), file has ${buf.length}`);
  }
  if (type.size === 1 && type.name === 'ubyte') return { dims, data: buf.slice(offset, expected) };
  const out = type.name === 'int' ? new Int32Array(count) : new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const p = offset + i * type.size;
    out[i] =
      type.name === 'byte' ? view.getInt8(p)
      : type.name === 'short' ? view.getInt16(p, false)
      : type.name === 'int' ? view.getInt32(p, false)
      : type.name === 'float' ? view.getFloat32(p, false)
      : view.getFloat64(p, false);
  }
  return { dims, data: out };
}

export function readIdxFile(path: string): IdxArray {
  if (!existsSync(path)) throw new DataError(`${path}: file not found`);
  try {
    return parseIdx(readFileSync(path));
  } catch (e) {
    throw new DataError(`${path}: ${(e as Error).message}`);
  }
}

/** The first of `name`, `name.gz` that exists in dir, or null. */
export function findIdx(dir: string, name: string): string | null {
  for (const candidate of [`${dir}/${name}`, `${dir}/${name}.gz`]) if (existsSync(candidate)) return candidate;
  return null;
}
