/** Choosing a training engine from --backend. */
import { UsageError } from '../errors.js';
import type { Engine } from './runtime.js';

export const BACKENDS = ['auto', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

export async function createEngine(backend: BackendName): Promise<Engine> {
  const { TfjsEngine } = await import('./tfjs-engine.js');
  switch (backend) {
    case 'auto':
    case 'wasm':
      return TfjsEngine.create('wasm');
    case 'cpu':
    case 'webgpu':
    case 'tensorflow':
      return TfjsEngine.create(backend);
    default:
      throw new UsageError(`--backend: unknown backend '${backend as string}' (expected one of: ${BACKENDS.join(', ')})`);
  }
}
