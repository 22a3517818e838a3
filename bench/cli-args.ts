/**
 * The command line of a bench script: `--help` (or `-h`) prints the script's text and exits, an
 * option the script does not know is an error naming it, and `--name value` pairs are read as given.
 */

/** The value after `--name` on the command line, if given. */
export function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export interface BenchArgs {
  /** Whether the flag (`--quick`) is on the command line. */
  has(flag: string): boolean;
  /** The value after the option (`--seeds`), if given. */
  get(option: string): string | undefined;
}

/** Reads the command line against the options the script knows (flags and options with a value alike). */
export function benchArgs(help: string, known: readonly string[]): BenchArgs {
  const a = process.argv.slice(2);
  if (a.includes('--help') || a.includes('-h')) {
    process.stdout.write(help);
    process.exit(0);
  }
  const knownSet = new Set(known);
  for (const x of a) if (x.startsWith('-') && !knownSet.has(x)) throw new Error(`unknown option ${x} (see --help)`);
  return {
    has: (flag) => a.includes(flag),
    get: (option) => {
      const i = a.indexOf(option);
      return i >= 0 ? a[i + 1] : undefined;
    },
  };
}
