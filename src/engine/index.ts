/**
 * Choosing a training engine from --backend.
 * - native: the C++ stacked trainer (built at install when a compiler is present)
 * - wasm, cpu, webgpu, tensorflow: TensorFlow.js on that backend
 * - auto: native when built, else TensorFlow.js on wasm; models the native trainer does not
 *   implement (rare loss/output pairings) train on TensorFlow.js.
 */
import { UsageError } from '../errors.js';
import { NativeEngine, loadNativeAddon } from './native-engine.js';
import type { Engine, ModelJob, StackRuntime } from './runtime.js';

export const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface EngineOptions {
  /** Threads the native trainer may use for one stack. */
  threads?: number;
}

async function tfjs(backend: 'wasm' | 'cpu' | 'webgpu' | 'tensorflow'): Promise<Engine> {
  const { TfjsEngine } = await import('./tfjs-engine.js');
  return TfjsEngine.create(backend);
}

/** Native where it can, TensorFlow.js (wasm) for the models it cannot train. */
class AutoEngine implements Engine {
  readonly name = 'native';
  readonly maxStack: number;
  private fallback: Engine | null = null;

  constructor(private readonly native: NativeEngine) {
    this.maxStack = native.maxStack;
  }

  canStack(a: ModelJob, b: ModelJob): boolean {
    return this.native.supports(a) === this.native.supports(b) && (this.native.supports(a) ? this.native.canStack(a, b) : false);
  }

  async createStack(jobs: ModelJob[]): Promise<StackRuntime> {
    if (jobs.every((j) => this.native.supports(j))) return this.native.createStack(jobs);
    this.fallback ??= await tfjs('wasm');
    return this.fallback.createStack(jobs);
  }

  async dispose(): Promise<void> {
    await this.fallback?.dispose();
  }
}

export async function createEngine(backend: BackendName, opts: EngineOptions = {}): Promise<Engine> {
  switch (backend) {
    case 'auto': {
      const native = NativeEngine.create(opts.threads ?? 1);
      return native ? new AutoEngine(native) : tfjs('wasm');
    }
    case 'native': {
      const native = NativeEngine.create(opts.threads ?? 1);
      if (!native) throw new UsageError('--backend native: the native trainer is not built (it needs a C++ compiler at install time; run npm rebuild or node scripts/build-native.mjs)');
      return native;
    }
    case 'wasm':
    case 'cpu':
    case 'webgpu':
    case 'tensorflow':
      return tfjs(backend);
    default:
      throw new UsageError(`--backend: unknown backend '${backend as string}' (expected one of: ${BACKENDS.join(', ')})`);
  }
}

/** Whether the native trainer is available (for messages and --backend auto). */
export function nativeAvailable(): boolean {
  return loadNativeAddon() !== null;
}
