/** Where a command's output goes: stdout for results, stderr for everything else. Tests pass their own. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Output = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};
