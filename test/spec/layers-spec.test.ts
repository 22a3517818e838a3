/**
 * Keras Sequential layers in the spec: parsing (class names, aliases, defaults), model-level
 * defaults, searched layer fields (grid, ranges, when), conv_blocks, and the shape checks against
 * the data that name the layer and field.
 */
import { describe, expect, it } from 'vitest';
import { resolveTrial } from '../../src/models/config.js';
import { summaryLines } from '../../src/models/sequential.js';
import { parseSpecText } from '../../src/spec/file.js';
import { validateSpec } from '../../src/spec/validate.js';
import { gridAt, gridSize } from '../../src/search/grid.js';
import { canonicalSpecJson, cornerSpace } from '../../src/study/prepare.js';
import { specFrom } from '../helpers.js';

const MNIST = { d: 784, task: 'classification' as const, nClasses: 10, shape: [28, 28, 1] };

const LENET = `
name: lenet
model:
  activation: relu
  layers:
    - Conv2D: {filters: 32, kernel_size: 3}
    - MaxPooling2D
    - conv2d: {filters: 64, kernel_size: [3, 3], init: he_uniform}
    - max_pool2d: {pool_size: 2}
    - Flatten
    - Dense: {units: 128, l2: 0.001}
    - Dropout: {rate: 0.5}
`;

function problems(text: string): string[] {
  const r = parseSpecText(text);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('model.layers', () => {
  it('parses Keras class names and arguments, with defaults and the output Dense added from the data', () => {
    const spec = specFrom(LENET);
    const cfg = resolveTrial(spec, {}, MNIST);
    const layers = cfg.model.layers!;
    expect(cfg.model.inputShape).toEqual([28, 28, 1]);
    expect(layers.map((l) => l.kind)).toEqual(['conv2d', 'max_pooling2d', 'conv2d', 'max_pooling2d', 'flatten', 'dense', 'dropout', 'dense']);
    expect(layers[0]).toMatchObject({ filters: 32, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', init: 'glorot_uniform' });
    expect(layers[1]).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    expect(layers[2]).toMatchObject({ init: 'he_uniform' });
    expect(layers[5]).toMatchObject({ units: 128, l2: 0.001, l1: 0 });
    expect(layers[7]).toMatchObject({ kind: 'dense', units: 10, activation: 'softmax' });
    expect(summaryLines(layers, cfg.model.inputShape!).join('\n')).toMatch(/Total params: 225,034/); // Keras: LeNet-5-like on 28x28x1
  });

  it('stores a spec that validates again to the same layers', () => {
    const spec = specFrom(LENET);
    const again = validateSpec(JSON.parse(canonicalSpecJson(spec)));
    expect(again.ok).toBe(true);
    if (again.ok) expect(canonicalSpecJson(again.value)).toBe(canonicalSpecJson(spec));
  });

  it('model-level activation, init, l1, l2, max_norm apply to layers that do not set them', () => {
    const spec = specFrom(`name: x\nmodel:\n  activation: tanh\n  init: he_normal\n  l1: 0.01\n  max_norm: 3\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 3, activation: relu, max_norm: null}\n    - Flatten\n    - Dense: {units: 8}\n`);
    const [conv, , dense, out] = resolveTrial(spec, {}, MNIST).model.layers!;
    expect(conv).toMatchObject({ activation: 'relu', init: 'he_normal', l1: 0.01, maxNorm: null });
    expect(dense).toMatchObject({ activation: 'tanh', init: 'he_normal', l1: 0.01, maxNorm: 3 });
    expect(out).toMatchObject({ activation: 'softmax', l1: 0.01 });
  });

  it("takes Keras's kernel_regularizer and kernel_constraint forms", () => {
    const spec = specFrom(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 3, kernel_regularizer: {l2: 0.01}, kernel_constraint: {max_norm: 2}}\n    - Flatten\n`);
    expect(resolveTrial(spec, {}, MNIST).model.layers![0]).toMatchObject({ l1: 0, l2: 0.01, maxNorm: 2 });
    expect(problems(`name: x\nmodel:\n  layers:\n    - Dense: {units: 4, l2: 0.1, kernel_regularizer: {l2: 0.01}}\n`)[0]).toMatch(/kernel_regularizer\.l2: l2 is given twice/);
    expect(problems(`name: x\nmodel:\n  layers:\n    - Dense: {units: 4, kernel_regularizer: l2}\n`)[0]).toMatch(/Dense\.kernel_regularizer: expected \{l1, l2\}/);
  });

  it('names unknown classes and arguments', () => {
    expect(problems(`name: x\nmodel:\n  layers:\n    - Conv3D: {filters: 3}\n`)[0]).toMatch(/model\.layers\[0\]: unknown layer 'Conv3D'/);
    expect(problems(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 3, kernel_size: 3, kernel: 3}\n`)[0]).toMatch(/model\.layers\[0\]\.Conv2D\.kernel: unknown key/);
    expect(problems(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 3}\n`)[0]).toMatch(/model\.layers\[0\]\.Conv2D\.kernel_size: is required/);
    expect(problems(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 3, kernel_size: 3, padding: full}\n`)[0]).toMatch(/padding: must be one of: valid, same/);
    expect(problems(`name: x\nmodel:\n  units: [64]\n  layers:\n    - Flatten\n`)[0]).toMatch(/model\.units: describes an MLP/);
  });

  it('checks shapes against the data: kernel larger than its input, nothing left, conv on tabular data', () => {
    const big = specFrom(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 29}\n    - Flatten\n`);
    expect(() => resolveTrial(big, {}, MNIST)).toThrow(/^model\.layers\[0\]\.kernel_size: 29x29 is larger than its input 28x28x1/);
    const shrink = specFrom(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 3, strides: 2}\n    - MaxPooling2D: {pool_size: 13}\n    - MaxPooling2D: {pool_size: 2}\n    - Flatten\n`);
    expect(() => resolveTrial(shrink, {}, MNIST)).toThrow(/^model\.layers\[2\]\.pool_size: 2x2 is larger than its input 1x1x4/);
    const tabular = specFrom(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 3}\n    - Flatten\n`);
    expect(() => resolveTrial(tabular, {}, { d: 20, task: 'classification', nClasses: 2 })).toThrow(/^model\.layers\[0\]: Conv2D needs images .*give data\.shape/);
    const noFlatten = specFrom(`name: x\nmodel:\n  layers:\n    - Conv2D: {filters: 4, kernel_size: 3}\n`);
    expect(() => resolveTrial(noFlatten, {}, MNIST)).toThrow(/output Dense .*Dense needs a flat input; its input is 26x26x4/);
  });
});

describe('searching layer fields', () => {
  const text = `${LENET}params:
  layers.0.filters: [16, 32]
  model.layers.2.kernel_size: [3, 5]
  layers.1: [MaxPooling2D, AveragePooling2D]
  layers.6.rate: {min: 0.1, max: 0.5}
  activation: [relu, elu]
  layers.5.units: {values: [64, 256], when: {activation: elu}}
`;
  it('takes layers.N.argument and whole layers by class name, with ranges and when', () => {
    const spec = specFrom(text);
    expect(spec.space.map((p) => p.name)).toEqual(['layers.0.filters', 'layers.2.kernel_size', 'layers.1', 'layers.6.rate', 'activation', 'layers.5.units']);
    const cfg = resolveTrial(spec, { 'layers.0.filters': 16, 'layers.2.kernel_size': 5, 'layers.1': 'AveragePooling2D', 'layers.6.rate': 0.25, activation: 'elu', 'layers.5.units': 256 }, MNIST);
    const l = cfg.model.layers!;
    expect(l[0]).toMatchObject({ filters: 16, activation: 'elu' });
    expect(l[1]).toMatchObject({ kind: 'average_pooling2d', poolSize: [2, 2] });
    expect(l[2]).toMatchObject({ kernelSize: [5, 5], init: 'he_uniform' });
    expect(l[5]).toMatchObject({ units: 256 });
    expect(l[6]).toMatchObject({ rate: 0.25 });
  });

  it('refuses values a field cannot take and layers that do not exist', () => {
    expect(problems(`${LENET}params:\n  layers.0.filters: [16, 0]\n`)[0]).toMatch(/params\.layers\.0\.filters\[1\]: must be > 0/);
    expect(problems(`${LENET}params:\n  layers.9.filters: [16]\n`)[0]).toMatch(/layer 9 does not exist/);
    expect(problems(`${LENET}params:\n  layers.1.filters: [16]\n`)[0]).toMatch(/MaxPooling2D \(layer 1\) has no argument 'filters'/);
    expect(problems(`${LENET}params:\n  layers.0.padding: {min: 1, max: 2}\n`)[0]).toMatch(/only apply to numeric fields/);
    expect(problems(`${LENET}params:\n  units: [1, 2]\n`)[0]).toMatch(/searches the MLP field 'units'/);
  });

  it('checks the bounds of a searched range (corners) for shapes', () => {
    const spec = specFrom(`${LENET}params:\n  layers.0.kernel_size: {min: 3, max: 22}\n  layers.5.units: {min: 8, max: 64}\n`);
    const corners = cornerSpace(spec.space);
    expect(gridSize(corners)).toBe(4);
    const fails = Array.from({ length: 4 }, (_, i) => gridAt(corners, i)).filter((p) => {
      try {
        resolveTrial(spec, p, MNIST);
        return false;
      } catch (e) {
        expect(String(e)).toMatch(/model\.layers\[3\]\.pool_size: 2x2 is larger than its input 1x1x64 \(with \{layers\.0\.kernel_size: 22/);
        return true;
      }
    });
    expect(fails).toHaveLength(2);
  });
});

describe('conv_blocks', () => {
  const text = `name: cb
model:
  conv_blocks: {count: 2, filters: 16, growth: 2, convs: 2, batch_norm: true, dropout: 0.25}
  units: [64]
  dropout: 0.5
params:
  conv_blocks.count: [1, 2, 3]
  conv_blocks.filters: {min: 8, max: 64, log: true}
`;
  it('expands blocks of Conv2D (+BN) and pooling, then Flatten and the MLP head', () => {
    const spec = specFrom(text);
    const l = resolveTrial(spec, { 'conv_blocks.count': 2, 'conv_blocks.filters': 16 }, MNIST).model.layers!;
    expect(l.map((x) => x.kind)).toEqual([
      'conv2d', 'batch_normalization', 'conv2d', 'batch_normalization', 'max_pooling2d', 'dropout',
      'conv2d', 'batch_normalization', 'conv2d', 'batch_normalization', 'max_pooling2d', 'dropout',
      'flatten', 'dense', 'dropout', 'dense',
    ]);
    expect(l.filter((x) => x.kind === 'conv2d').map((x) => (x as { filters: number }).filters)).toEqual([16, 16, 32, 32]);
    expect(l[0]).toMatchObject({ padding: 'same', kernelSize: [3, 3] });
    expect(l[13]).toMatchObject({ kind: 'dense', units: 64 });
    expect(l[14]).toMatchObject({ kind: 'dropout', rate: 0.5 });
  });

  it('names the block whose pooling has nothing left to pool', () => {
    const spec = specFrom(text.replace('convs: 2', 'convs: 1').replace('padding', 'padding'));
    const tooDeep = { 'conv_blocks.count': 5, 'conv_blocks.filters': 8 };
    expect(() => resolveTrial(specFrom(text.replace('conv_blocks.count: [1, 2, 3]', 'conv_blocks.count: [5]')), tooDeep, MNIST))
      .toThrow(/^model\.conv_blocks \(block 5 of 5, MaxPooling2D\), layer \d+ \(MaxPooling2D\) pool_size: 2x2 is larger than its input 1x1x128/);
    expect(resolveTrial(spec, { 'conv_blocks.count': 3, 'conv_blocks.filters': 8 }, MNIST).model.layers).toBeDefined();
  });
});
