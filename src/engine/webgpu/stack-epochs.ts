/**
 * What every WebGPU stack (the MLP stack of webgpu-engine.ts, the Sequential stack of
 * sequential-stack.ts) does the same way once its buffers and step lists exist: an epoch as the
 * batch orders written to the GPU and the training steps run back to back, an evaluation of the
 * validation or test rows in chunks of the batch size (the penalty term once), the per-model
 * accumulators read back once, and the per-dispatch profile.
 */
import type { LossAndMetric, ModelJob } from '../runtime.js';
import { runSteps, type Dispatch } from './pipelines.js';

/** A stack's buffers and step lists, as its constructor built them. */
export interface StackParts {
  device: GPUDevice;
  stepGroup: GPUBindGroup;
  orderBuf: GPUBuffer;
  modelsBuf: GPUBuffer;
  accBuf: GPUBuffer;
  readBuf: GPUBuffer;
  /** The per-model parameter words writeModel fills. */
  models: ArrayBuffer;
  jobs: ModelJob[];
  /** Rows per step. */
  B: number;
  /** The longest fit part of any model. */
  nFitMax: number;
  /** Each model's optimizer iterations so far (updated in place). */
  iterations: number[];
  trainSteps: Dispatch[];
  evalSteps: { validation: Dispatch[]; test: Dispatch[] };
  penaltyEval: Dispatch[];
  /** Writes model m's parameter words (learning rate, activity, rows to evaluate) into `models`. */
  writeModel(m: number, j: ModelJob, iterBase: number, lr?: number, active?: boolean, nEval?: number): void;
}

export class StackEpochs {
  constructor(private readonly p: StackParts) {}

  /** The steps in compute passes, the accumulators read back once at the end (pipelines.ts runSteps). */
  run(passes: Dispatch[][]): Promise<Float32Array> {
    const p = this.p;
    return runSteps(p.device, p.stepGroup, passes, p.accBuf, p.readBuf, p.jobs.length * 4);
  }

  /**
   * Milliseconds per training step, whole and per dispatch, over `steps` steps of the current batch
   * order: where a step's time goes (bench/gpu-profile.ts). Trains the models as it measures.
   */
  async profileSteps(steps: number): Promise<{ step: number; dispatches: { label: string; ms: number }[] }> {
    const time = async (list: Dispatch[]) => {
      await this.run([list]);
      const t0 = performance.now();
      await this.run(Array.from({ length: steps }, () => list));
      return (performance.now() - t0) / steps;
    };
    const step = await time(this.p.trainSteps);
    const dispatches: { label: string; ms: number }[] = [];
    for (const d of this.p.trainSteps) dispatches.push({ label: d.label, ms: await time([d]) });
    return { step, dispatches };
  }

  async trainEpoch(orders: Int32Array[], lrs: number[], active: boolean[]): Promise<LossAndMetric[]> {
    const p = this.p;
    const M = p.jobs.length;
    const words = new Uint32Array(M * p.nFitMax);
    p.jobs.forEach((j, m) => {
      const fit = j.data.fit;
      for (let i = 0; i < fit.length; i++) words[m * p.nFitMax + i] = fit[orders[m][i]];
      p.writeModel(m, j, p.iterations[m], lrs[m], active[m]);
    });
    p.device.queue.writeBuffer(p.orderBuf, 0, words);
    p.device.queue.writeBuffer(p.modelsBuf, 0, p.models);
    p.device.queue.writeBuffer(p.accBuf, 0, new Float32Array(M * 4));
    const steps = Math.ceil(p.nFitMax / p.B);
    const acc = await this.run(Array.from({ length: steps }, () => p.trainSteps));
    return p.jobs.map((j, m) => {
      if (!active[m]) return { loss: NaN, metric: NaN };
      p.iterations[m] += Math.ceil(j.data.fit.length / p.B);
      const n = j.data.fit.length;
      const loss = acc[m * 4] / n;
      return { loss, metric: j.metric === 'loss' ? loss : acc[m * 4 + 1] / n };
    });
  }

  async evaluate(part: 'validation' | 'test', active: boolean[]): Promise<LossAndMetric[]> {
    const p = this.p;
    const M = p.jobs.length;
    p.jobs.forEach((j, m) => p.writeModel(m, j, p.iterations[m], undefined, active[m], j.data[part].length));
    p.device.queue.writeBuffer(p.modelsBuf, 0, p.models);
    p.device.queue.writeBuffer(p.accBuf, 0, new Float32Array(M * 4));
    const chunks = Math.ceil(Math.max(1, ...p.jobs.map((j) => j.data[part].length)) / p.B);
    // the penalty once, with the first chunk
    const acc = await this.run(Array.from({ length: chunks }, (_, c) => (c === 0 ? [...p.evalSteps[part], ...p.penaltyEval] : p.evalSteps[part])));
    return p.jobs.map((j, m) => {
      if (!active[m]) return { loss: NaN, metric: NaN };
      const n = j.data[part].length;
      const loss = acc[m * 4] / n + acc[m * 4 + 2];
      return { loss, metric: j.metric === 'loss' ? loss : acc[m * 4 + 1] / n };
    });
  }
}
