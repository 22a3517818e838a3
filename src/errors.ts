/**
 * The errors nnsearch raises on purpose. Each carries its exit code; the CLI entry prints its
 * message on one line and exits with that code. Anything else is an internal error (exit 1, stack
 * shown only with DEBUG). Layers below cli/ name what is wrong in their own terms (a file, a field,
 * a study); only cli/ words things in terms of command-line flags.
 *
 * Exit codes: 2 the input is wrong (spec, data, database, usage) and nothing was written;
 * 1 a runtime failure; 130 interrupted.
 */

export abstract class NnsearchError extends Error {
  abstract readonly exitCode: number;
}

/** The search spec is wrong: YAML syntax, unknown key, bad value. */
export class SpecError extends NnsearchError {
  override name = 'SpecError';
  readonly exitCode = 2;
}

/** The data is wrong or missing: file not found, ragged CSV, labels out of range. */
export class DataError extends NnsearchError {
  override name = 'DataError';
  readonly exitCode = 2;
}

/**
 * The database cannot be used: missing, not an nnsearch database, a newer schema, unwritable
 * (exit 2); or it went away during a run (exit 1: the same command resumes).
 */
export class StorageError extends NnsearchError {
  override name = 'StorageError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
  }
}

/**
 * A worker wrote to a trial it no longer holds: its lease ran out (a stall, a lost connection) and
 * another worker took the trial over, or the trial was finished meanwhile. The write changed
 * nothing; the run loop leaves the trial to whoever holds it now and goes on.
 */
export class LeaseLostError extends NnsearchError {
  override name = 'LeaseLostError';
  readonly exitCode = 1;
}

/** A study or trial that the database does not hold, or that cannot be used as asked. */
export class NotFoundError extends NnsearchError {
  override name = 'NotFoundError';
  readonly exitCode = 2;
}

/** A training engine that is not installed or cannot start on this machine. */
export class EngineUnavailableError extends NnsearchError {
  override name = 'EngineUnavailableError';
  readonly exitCode = 2;
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`${backend}: ${reason}`);
  }
}

/** Training failed in a way the user should hear about (a refit that diverged). */
export class TrainingError extends NnsearchError {
  override name = 'TrainingError';
  readonly exitCode = 1;
}

/** A search ended without meeting its budget (or without training every grid point). */
export class IncompleteSearchError extends NnsearchError {
  override name = 'IncompleteSearchError';
  readonly exitCode = 1;
}

/** The command line is wrong: a flag's value, flags that conflict. Raised by cli/ only. */
export class UsageError extends NnsearchError {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** The run was stopped (Ctrl-C, SIGTERM, a closed output): trials were put back, nothing lost. */
export class InterruptedError extends NnsearchError {
  override name = 'InterruptedError';
  readonly exitCode = 130;
  constructor(message = 'interrupted; run the same command again to continue') {
    super(message);
  }
}
