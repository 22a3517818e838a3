/**
 * Choosing a training engine from --backend.
 * - webgpu: nnsearch's own WGSL kernels on a GPU through Dawn (`webgpu` npm package)
 * - native: the C++ stacked trainer (built at install when a compiler is present)
 * - wasm, cpu, tfjs-webgpu, tensorflow: TensorFlow.js on that backend
 * - auto: the fastest available: webgpu on a machine with a GPU, else native, else wasm.
 * Models an engine does not implement (a softmax hidden activation on the GPU, rare loss/output pairings natively)
 * train on the next engine down.
 */
import { existsSync } from 'node:fs';
import { EngineUnavailableError } from '../errors.js';
import { NativeEngine, loadNativeAddon, nativeSupports } from './native-engine.js';
import type { ModelConfig } from '../models/config.js';
import type { Engine, ModelJob, StackRuntime } from './runtime.js';

export const BACKENDS = ['auto', 'webgpu', 'native', 'wasm', 'cpu', 'tfjs-webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface EngineOptions {
  /** Threads the native trainer may use for one stack. */
  threads?: number;
}

async function tfjs(backend: 'wasm' | 'cpu' | 'webgpu' | 'tensorflow'): Promise<Engine> {
  const { TfjsEngine } = await import('./tfjs-engine.js');
  return TfjsEngine.create(backend);
}

/** An engine with `supports`, backed by another for the jobs it declines. */
class FallbackEngine implements Engine {
  readonly name: string;
  readonly maxStack: number;
  readonly inProcessParallel: boolean;
  readonly trialsPerRound?: number;
  private fallback: Engine | null = null;

  constructor(
    private readonly primary: Engine & { supports(job: ModelJob): boolean },
    private readonly makeFallback: () => Promise<Engine>,
  ) {
    this.name = primary.name;
    this.maxStack = primary.maxStack;
    this.inProcessParallel = primary.inProcessParallel;
    this.trialsPerRound = primary.trialsPerRound;
  }

  canStack(a: ModelJob, b: ModelJob): boolean {
    const sa = this.primary.supports(a);
    if (sa !== this.primary.supports(b)) return false;
    return sa ? this.primary.canStack(a, b) : false;
  }

  async createStack(jobs: ModelJob[]): Promise<StackRuntime> {
    if (jobs.every((j) => this.primary.supports(j))) return this.primary.createStack(jobs);
    this.fallback ??= await this.makeFallback();
    return this.fallback.createStack(jobs);
  }

  async dispose(): Promise<void> {
    await this.primary.dispose();
    await this.fallback?.dispose();
  }
}

/** Whether this machine plausibly has a GPU (probing Dawn without one only prints warnings). */
export function gpuLikely(): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return existsSync('/dev/nvidia0') || existsSync('/dev/dri') || !!process.env.VK_ICD_FILENAMES || !!process.env.VK_DRIVER_FILES;
}

async function cpuEngine(threads: number): Promise<Engine> {
  const native = NativeEngine.create(threads);
  return native ? new FallbackEngine(native, () => tfjs('wasm')) : tfjs('wasm');
}

async function gpuEngine(allowSoftware: boolean, threads: number): Promise<Engine | null> {
  const { WebgpuEngine } = await import('./webgpu/webgpu-engine.js');
  const gpu = await WebgpuEngine.create({ allowSoftware });
  return gpu ? new FallbackEngine(gpu, () => cpuEngine(threads)) : null;
}

export async function createEngine(backend: BackendName, opts: EngineOptions = {}): Promise<Engine> {
  const threads = opts.threads ?? 1;
  switch (backend) {
    case 'auto':
      return (gpuLikely() ? await gpuEngine(false, threads) : null) ?? cpuEngine(threads);
    case 'webgpu': {
      const gpu = await gpuEngine(process.env.NNSEARCH_WEBGPU_SOFTWARE === '1', threads);
      if (!gpu) {
        throw new EngineUnavailableError(
          'webgpu',
          'no WebGPU adapter (it needs the optional `webgpu` package and a GPU driver with Vulkan, Metal or D3D12; NNSEARCH_WEBGPU_SOFTWARE=1 accepts the SwiftShader CPU driver that Debian\'s chromium ships)',
        );
      }
      return gpu;
    }
    case 'native': {
      const native = NativeEngine.create(threads);
      if (!native) throw new EngineUnavailableError('native', 'the native trainer is not built (it needs a C++ compiler at install time; run npm rebuild or node scripts/build-native.mjs)');
      return new FallbackEngine(native, () => tfjs('wasm'));
    }
    case 'wasm':
    case 'cpu':
    case 'tensorflow':
      return tfjs(backend);
    case 'tfjs-webgpu':
      return tfjs('webgpu');
    default:
      throw new EngineUnavailableError(String(backend), `unknown backend (expected one of: ${BACKENDS.join(', ')})`);
  }
}

/**
 * Why an explicitly chosen backend cannot train a model at all (rather than falling back, as
 * --backend auto does): conv nets on the native and WebGPU engines, not yet. Null when it can.
 */
export function backendRefusal(backend: BackendName, model: ModelConfig): string | null {
  if (!model.layers) return null;
  if (backend === 'native' && !nativeSupports(model)) return 'convolutional networks (model.layers, conv_blocks) are not yet trained by the native engine; use --backend auto or wasm (TensorFlow.js)';
  if (backend === 'webgpu') return 'convolutional networks (model.layers, conv_blocks) are not yet trained by the WebGPU engine; use --backend auto or wasm (TensorFlow.js)';
  return null;
}

/** Whether the native trainer is available (for messages and --backend auto). */
export function nativeAvailable(): boolean {
  return loadNativeAddon() !== null;
}
