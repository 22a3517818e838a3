/** The in-memory form every loader produces. */
export interface Dataset {
  /** Where it came from, for messages and reports (e.g. 'mnist (embedded, 10000 samples)'). */
  source: string;
  task: 'classification' | 'regression';
  /** Row-major features, n x d. */
  x: Float32Array;
  /** Class index (classification) or target value (regression), length n. */
  y: Float32Array;
  n: number;
  d: number;
  /** Number of classes; 0 for regression. */
  nClasses: number;
  /** One sample's [height, width, channels] when the rows are images (channels_last); absent for tabular data. */
  shape?: number[];
  /** Names of the classes when the labels were not 0..C-1 integers. */
  classNames?: string[];
}

/** A dataset with its official held-out test split, when the source has one (Fashion-MNIST t10k). */
export interface DatasetWithTest {
  train: Dataset;
  test: Dataset | null;
}

/** Counts samples per class. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array(ds.nClasses).fill(0);
  for (let i = 0; i < ds.n; i++) counts[ds.y[i]]++;
  return counts;
}

/** The rows `rows` of a dataset as a new dataset. */
export function subset(ds: Dataset, rows: ArrayLike<number>, source = ds.source): Dataset {
  const x = new Float32Array(rows.length * ds.d);
  const y = new Float32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    x.set(ds.x.subarray(rows[r] * ds.d, (rows[r] + 1) * ds.d), r * ds.d);
    y[r] = ds.y[rows[r]];
  }
  return { ...ds, source, x, y, n: rows.length };
}
