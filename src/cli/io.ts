/**
 * Where a command's output goes: stdout for results, stderr for everything else. Tests pass their
 * own Output. A closed pipe (`nnsearch grid spec | head`) is watched for here: a search then stops
 * like an interruption (trials put back, non-zero exit); any other command ends quietly.
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

let closed = false;
let onClose: (() => void) | null = null;

/** Whether stdout or stderr was closed by its reader. */
export function outputClosed(): boolean {
  return closed;
}

/** Registers what a running search does when the output closes (instead of exiting at once). */
export function whenOutputCloses(fn: (() => void) | null): void {
  onClose = fn;
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!closed) stream.write(text + '\n');
}

export const processIo: Output = {
  out: (text) => write(process.stdout, text),
  err: (text) => write(process.stderr, text),
};

/** Installs the EPIPE handling on the process's streams (once, from cli()). */
export function watchOutputStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && !closed) throw e;
      closed = true;
      if (onClose) onClose();
      else process.exit(0);
    });
  }
}
