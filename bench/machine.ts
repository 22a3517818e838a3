/**
 * What else the machine was doing while a benchmark ran: load averages before and after, and the
 * CPU time other processes used meanwhile (from /proc/stat, minus this process and its children),
 * so a figure measured on a busy machine says so.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';

const round2 = (v: number) => Number(v.toFixed(2));

function clockTicks(): number {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Busy CPU seconds of the whole machine and of this process with its waited-for children, or null off Linux. */
function cpuSeconds(hz: number): { machine: number; own: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
    const busy = fields.reduce((a, b) => a + b, 0) - fields[3] - (fields[4] ?? 0);
    // /proc/self/stat: fields 14-17 are utime stime cutime cstime (after the parenthesized name)
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const own = after[11] + after[12] + after[13] + after[14];
    return { machine: busy / hz, own: own / hz };
  } catch {
    return null;
  }
}

export interface MachineReport {
  cpu: string;
  cores: number;
  load_average_before: number[];
  load_average_after: number[];
  /** Mean number of cores other processes kept busy during the run (Linux only). */
  busy_cores_of_other_processes: number | null;
  warnings: string[];
}

export class MachineWatch {
  private readonly hz = clockTicks();
  private readonly t0 = performance.now();
  private readonly start = cpuSeconds(this.hz);
  private readonly loadBefore = loadavg();

  finish(): MachineReport {
    const end = cpuSeconds(this.hz);
    const wall = (performance.now() - this.t0) / 1000;
    const others = this.start && end ? Math.max(0, end.machine - this.start.machine - (end.own - this.start.own)) / wall : null;
    const loadAfter = loadavg();
    const warnings: string[] = [];
    if (this.loadBefore[0] > 1) warnings.push(`load average ${this.loadBefore[0].toFixed(2)} before the run (> 1): other work shares the cores, figures are low and noisy`);
    if (others !== null && others > 0.25) warnings.push(`other processes kept ${others.toFixed(2)} cores busy during the run: figures are low and noisy`);
    if (loadAfter[0] > 1) warnings.push(`load average ${loadAfter[0].toFixed(2)} after the run (> 1; the benchmark's own threads count in it)`);
    return {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      load_average_before: this.loadBefore.map(round2),
      load_average_after: loadAfter.map(round2),
      busy_cores_of_other_processes: others === null ? null : round2(others),
      warnings,
    };
  }
}
