/**
 * Every test file: give the event loop a turn before each test. A file of tests that only run the
 * CLI with spawnSync never yields otherwise, and vitest's worker then cannot read the answers to its
 * own progress messages; on a loaded machine such a file outlasts their 60 s timeout and the run
 * ends with "Timeout calling onTaskUpdate" although every test passed.
 */
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
