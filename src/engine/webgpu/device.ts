/**
 * A WebGPU device from the `webgpu` npm package (Dawn for Node). Finds the Vulkan loader and an
 * ICD where the environment does not say (e.g. VK_DRIVER_FILES on NVIDIA machines); can fall back
 * to SwiftShader (a CPU Vulkan, shipped with Debian's chromium) for tests, and to Dawn's null
 * backend, which compiles and validates shaders but runs nothing.
 */
import { existsSync } from 'node:fs';

export type AdapterKind = 'gpu' | 'swiftshader' | 'null';

export interface GpuContext {
  device: GPUDevice;
  kind: AdapterKind;
  description: string;
}

const SWIFTSHADER_ICD = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

interface WebgpuModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

let module: WebgpuModule | null | undefined;
/**
 * Every GPU object created stays referenced: dawn.node polls all instances for events, and a
 * collected one (say, the instance that found no adapter) crashes the poll with a stale mutex.
 */
const instances: GPU[] = [];

async function loadWebgpu(): Promise<WebgpuModule | null> {
  if (module !== undefined) return module;
  try {
    module = (await import('webgpu' as string)) as WebgpuModule;
    Object.assign(globalThis, module.globals);
  } catch {
    module = null;
  }
  return module;
}

function kindOf(info: GPUAdapterInfo | undefined): AdapterKind {
  const text = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.device ?? ''} ${info?.description ?? ''}`.toLowerCase();
  if (text.includes('swiftshader') || text.includes('llvmpipe') || text.includes('lavapipe')) return 'swiftshader';
  if (text.includes('null')) return 'null';
  return 'gpu';
}

/** The swiftshader ICD file, when installed (Debian's chromium ships one). */
export function swiftshaderIcd(): string | null {
  return SWIFTSHADER_ICD.find((p) => existsSync(p)) ?? null;
}

/**
 * A device of the requested kind, or null when there is none. 'software' allows SwiftShader when no
 * GPU adapter is found; 'null' asks for Dawn's null backend (validation only).
 */
export async function requestDevice(want: 'gpu' | 'software' | 'null'): Promise<GpuContext | null> {
  const webgpu = await loadWebgpu();
  if (!webgpu) return null;
  const tries: { flags: string[]; env?: Record<string, string> }[] = [];
  if (want === 'null') tries.push({ flags: ['backend=null'] });
  else {
    tries.push({ flags: [] });
    const icd = swiftshaderIcd();
    if (want === 'software' && icd) tries.push({ flags: ['backend=vulkan'], env: { VK_ICD_FILENAMES: icd, VK_DRIVER_FILES: icd } });
  }
  for (const t of tries) {
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(t.env ?? {})) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    try {
      const gpu = webgpu.create(t.flags);
      instances.push(gpu);
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) continue;
      const kind = want === 'null' ? 'null' : kindOf(adapter.info);
      if (want === 'gpu' && kind !== 'gpu') continue;
      const limits: Record<string, number> = {};
      for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension']) {
        const v = (adapter.limits as unknown as Record<string, number>)[name];
        if (typeof v === 'number') limits[name] = v;
      }
      const device = await adapter.requestDevice({ requiredLimits: limits });
      const info = adapter.info;
      return { device, kind, description: `${info?.vendor ?? ''} ${info?.description || info?.device || info?.architecture || ''}`.trim() || kind };
    } catch {
      continue;
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }
  return null;
}
