/**
 * Every test file: one turn of the event loop after each test. A file of synchronous tests (the CLI
 * tests run nnsearch with spawnSync) otherwise never lets its worker read vitest's replies, and on a
 * loaded machine the worker's pending report times out after 60 s ("Timeout calling onTaskUpdate").
 */
import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
