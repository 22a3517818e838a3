/**
 * The few error kinds nnsearch raises on purpose. The CLI entry maps each to an exit code and a
 * one-line message; anything else is an internal error (exit 1, stack shown only with DEBUG).
 */

/** The search spec is wrong: YAML syntax, unknown key, bad value. Exit 2. */
export class SpecError extends Error {
  override name = 'SpecError';
}

/** The data is wrong or missing: file not found, ragged CSV, labels out of range. Exit 2. */
export class DataError extends Error {
  override name = 'DataError';
}

/** The command line is wrong: unknown study, conflicting flags. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The run was interrupted (Ctrl-C). Exit 130. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** Errors the user can fix: exit code 2 and a one-line message. */
export function isUserError(e: unknown): e is SpecError | DataError | UsageError {
  return e instanceof SpecError || e instanceof DataError || e instanceof UsageError;
}
