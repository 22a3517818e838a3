/**
 * The one module that imports TensorFlow.js, and the place backends are chosen.
 * Backends: wasm (default on CPU), cpu (pure JS), webgpu (dawn.node, when `webgpu` and
 * @tensorflow/tfjs-backend-webgpu are installed), tensorflow (@tensorflow/tfjs-node[-gpu], optional).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { EngineUnavailableError } from '../errors.js';

export { tf };

export const TFJS_BACKENDS = ['wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type TfjsBackend = (typeof TFJS_BACKENDS)[number];

let chosen: string | null = null;

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

/** Makes `backend` the active tfjs backend; throws EngineUnavailableError with what to install when it is absent. */
export async function useTfjsBackend(backend: TfjsBackend): Promise<string> {
  if (chosen === backend) return chosen;
  if (backend === 'tensorflow') {
    const ok = (await tryImport('@tensorflow/tfjs-node-gpu')) || (await tryImport('@tensorflow/tfjs-node'));
    if (!ok) {
      throw new EngineUnavailableError("tensorflow", "neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (npm install @tensorflow/tfjs-node; its install step downloads libtensorflow, so it needs internet)");
    }
  }
  if (backend === 'webgpu') await installWebgpu();
  const ok = await tf.setBackend(backend);
  if (!ok) throw new EngineUnavailableError(backend, 'TensorFlow.js could not initialize it');
  await tf.ready();
  tf.env().set('PROD', true);
  chosen = backend;
  return backend;
}

async function installWebgpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    let webgpu: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
    try {
      webgpu = (await import('webgpu' as string)) as typeof webgpu;
    } catch {
      throw new EngineUnavailableError('tfjs-webgpu', 'the `webgpu` package (dawn.node) is not installed (npm install webgpu @tensorflow/tfjs-backend-webgpu)');
    }
    Object.assign(globalThis, webgpu.globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: webgpu.create([]) }, configurable: true, writable: true });
  }
  // The backend registers itself on import only when navigator.gpu exists.
  if (!(await tryImport('@tensorflow/tfjs-backend-webgpu'))) {
    throw new EngineUnavailableError('tfjs-webgpu', '@tensorflow/tfjs-backend-webgpu is not installed');
  }
}

/** Makes sure some backend is ready (wasm, else cpu) for code that only needs tfjs's layers. */
export async function ensureTfjsBackend(): Promise<void> {
  if (chosen) return;
  try {
    await useTfjsBackend('wasm');
  } catch {
    await useTfjsBackend('cpu');
  }
}
