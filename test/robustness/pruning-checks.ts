/**
 * What the pruning robustness tests (SQLite, PostgreSQL) share: the ASHA-pruned spec their CLI
 * processes search, and the check that nothing final and no intermediate value is ever undone.
 */
import { expect } from 'vitest';

/** A random search over the CSV of studyDir(), pruned by ASHA with rung 0 at step `minResource` and reduction factor 3. */
export const ashaSpec = (name: string, epochs: number, minResource: number) => `name: ${name}
seed: 4
data:
  dataset: csv
  file: data.csv
model:
  units: [32]
train:
  epochs: ${epochs}
  batch_size: 16
cv:
  folds: 3
pruner: {name: asha, min_resource: ${minResource}, reduction_factor: 3}
params:
  learning_rate: {min: 0.00001, max: 0.03, log: true}
  units: {min: 4, max: 48}
`;

/** A look at the database: the proposed trials (what a final one must keep) and the intermediate values, trial:kind:step -> value. */
export interface PrunedLook {
  trials: { id: number; state: string }[];
  intermediate: Map<string, number | null>;
}

export const isFinal = (t: { state: string }) => t.state === 'complete' || t.state === 'pruned';

/**
 * What may never change between two looks at the database: a final trial, all it was read with
 * (state, value, records: neither pruned again nor finished and run once more), and any
 * intermediate value (trial, kind, step).
 */
export function expectNothingUndone(before: PrunedLook, now: PrunedLook): void {
  for (const t of before.trials) {
    if (!isFinal(t)) continue;
    expect(now.trials.find((x) => x.id === t.id), `trial ${t.id}`).toEqual(t);
  }
  for (const [k, v] of before.intermediate) {
    expect(now.intermediate.has(k), `intermediate ${k}`).toBe(true);
    expect(now.intermediate.get(k), `intermediate ${k}`).toBe(v);
  }
}
