/**
 * Pruning and nothing lost on PostgreSQL: 4 hosts (worker processes with distinct
 * NNSEARCH_WORKER_ID) run one ASHA-pruned random search on one server while 8 of them, at random
 * moments after they have held a trial, are frozen and killed with SIGKILL, each replaced by a new
 * host; 2 more are frozen (SIGSTOP) while holding a trial and woken (SIGCONT) once another host has
 * taken it over and finished it. A dead or silent host's trial is judged by its heartbeat only, so it is taken over after the
 * lease; the same command run once more at the end finishes whatever the last kills left. Between kills
 * the database is read: a final state (complete or pruned), its value, attempts and records never
 * change once written, nor does an intermediate value. At the end every trial has exactly one
 * final state and the budget holds. pruning-crash.test.ts is the same on SQLite (one host).
 */
import { rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Rng } from '../../src/rng.js';
import { describePostgres, type PgCluster } from '../fixtures/postgres.js';
import { backend, sleep, start, studyDir, type Run } from './cli-processes.js';
import { ashaSpec, expectNothingUndone, isFinal } from './pruning-checks.js';

const HOSTS = 4;
const KILLS = 8;
/** Hosts frozen (SIGSTOP) while holding a trial and woken (SIGCONT) once another host has finished it. */
const FREEZES = 2;
const BUDGET = 30;
const LEASE_S = 3;
const EPOCHS = 600;
/** ASHA's rung 0 is at this step (epoch index), rung 1 at 3x it, rung 2 at 9x. */
const MIN_RESOURCE = 40;

// a complete trial trains about a second alone (3 folds of 1,000 rows, 600 epochs), one pruned at rung 0 (epoch 40) a fifteenth of that
const spec = ashaSpec('prune-pg', EPOCHS, MIN_RESOURCE);

interface Trial {
  id: number;
  state: string;
  value: number | null;
  attempts: number;
  completed_at: string | null;
  folds: number;
  epochs: number;
}

interface State {
  /** Every row of trials, unproposed reservations (params 'null') included. */
  rows: { id: number; state: string; proposed: boolean }[];
  /** The proposed trials, by number. */
  trials: Trial[];
  /** trial:kind:step -> value */
  intermediate: Map<string, number | null>;
}

/** One statement, so one snapshot of the database; null before the schema exists. */
async function read(c: PgCluster, db: string): Promise<State | null> {
  let row: Record<string, unknown>;
  try {
    [row] = await c.query(
      db,
      `SELECT
         (SELECT coalesce(json_agg(json_build_object('id', id, 'state', state, 'proposed', params_json <> 'null') ORDER BY id), '[]') FROM trials) AS rows,
         (SELECT coalesce(json_agg(json_build_object(
             'id', t.id, 'state', t.state, 'value', t.value, 'attempts', t.attempts, 'completed_at', t.completed_at,
             'folds', (SELECT count(*) FROM fold_results f WHERE f.trial_id = t.id),
             'epochs', (SELECT count(*) FROM epochs e WHERE e.trial_id = t.id)) ORDER BY t.number), '[]')
          FROM trials t WHERE t.params_json <> 'null') AS trials,
         (SELECT coalesce(json_agg(json_build_array(trial_id, kind, step, value)), '[]') FROM intermediate_values) AS intermediate`,
    );
  } catch (e) {
    if (/relation "\w+" does not exist/.test(String(e))) return null;
    throw e;
  }
  const iv = row.intermediate as [number, string, number, number | null][];
  return { rows: row.rows as State['rows'], trials: row.trials as Trial[], intermediate: new Map(iv.map(([t, k, s, v]) => [`${t}:${k}:${s}`, v])) };
}

interface Host extends Run {
  host: string;
  killed: boolean;
  frozen: boolean;
}

describePostgres('pruning on PostgreSQL under kill -9', (cluster) => {
  it(`${HOSTS} hosts prune one search, ${KILLS} killed at random moments and ${FREEZES} frozen past the lease: one final state per trial, no decision or intermediate value undone, the budget met`, async () => {
    const c = cluster();
    const db = 'prune_kill';
    const url = await c.createDatabase(db);
    const dir = studyDir(spec, 'nns-pg-prune-');
    const args = ['random', 'spec.yaml', '--budget', String(BUDGET), '--db', url, '--workers', '1', '--quiet', '--lease', String(LEASE_S), '--backend', backend];
    const rng = new Rng(13);
    let made = 0;
    const hosts: Host[] = [];
    const launch = (): Host => {
      const host = `prune-host-${made++}`;
      const h = { ...start(args, dir, { NNSEARCH_WORKER_ID: host, NNSEARCH_DB: '' }), host, killed: false, frozen: false };
      hosts.push(h);
      return h;
    };
    const t0 = performance.now();
    for (let i = 0; i < HOSTS; i++) launch();
    try {
      let previous: State | null = null;
      /** Frozen hosts, each woken once the trials it held are final (or, should no one take them over, after a while). */
      const asleep: { host: Host; trials: number[]; since: number }[] = [];
      const look = async (): Promise<State | null> => {
        const now = await read(c, db);
        if (now && previous) expectNothingUndone(previous, now);
        if (now) previous = now;
        for (const z of [...asleep]) {
          const done = z.trials.every((id) => now?.trials.some((t) => t.id === id && isFinal(t)));
          if (!done && performance.now() - z.since < (LEASE_S + 30) * 1000) continue;
          z.host.child.kill('SIGCONT');
          asleep.splice(asleep.indexOf(z), 1);
        }
        return now;
      };
      // from the first trial held on
      for (let i = 0; i < 600 && !(await look())?.trials.length; i++) await sleep(50);
      let kills = 0;
      /** Kills that froze a host holding a proposed, running trial, and those trials. */
      let midTrial = 0;
      const held = new Set<number>();
      /** The trials frozen hosts held: taken over after the lease and finished, their holder woken afterwards. */
      const frozenHeld = new Set<number>();
      let freezes = 0;
      const holdingOf = async (h: Host) =>
        (await c.query(db, "SELECT id FROM trials WHERE state = 'running' AND params_json <> 'null' AND worker LIKE $1", [`${h.host}:%`])).map((r) => r.id as number);
      let finalAtLastKill = 0;
      let lastKillS = 0;
      // the kills spread over the search by its progress, not by the clock (the same on a fast machine
      // as on a loaded one): kill i once this many trials are final, at a random moment after that
      const killAt = Array.from({ length: KILLS }, () => rng.int(Math.floor(BUDGET * 0.6))).sort((a, b) => a - b);
      while (kills < KILLS) {
        await sleep(100 + rng.int(400));
        const now = await look();
        const live = hosts.filter((h) => !h.killed && !h.frozen && h.child.exitCode === null);
        if (live.length === 0 || !now) break;
        if (now.trials.filter(isFinal).length < killAt[kills]) continue;
        // a host that has held a trial (not one still starting up)
        const seen = new Set((await c.query(db, "SELECT DISTINCT split_part(worker, ':', 1) AS host FROM trials")).map((r) => r.host as string));
        const candidates = live.filter((h) => seen.has(h.host));
        if (candidates.length === 0) continue;
        const victim = candidates[rng.int(candidates.length)];
        if (freezes < FREEZES && kills >= (freezes + 1) * 2 && candidates.length > 1) {
          // a host that stalls past its lease (a paused VM, a lost network) and then goes on: what it
          // held is taken over and finished by another, and whatever it writes on waking must not
          // change that final trial
          victim.child.kill('SIGSTOP');
          await sleep(30);
          const holding = await holdingOf(victim);
          if (holding.length === 0) {
            victim.child.kill('SIGCONT');
            continue;
          }
          for (const id of holding) frozenHeld.add(id);
          victim.frozen = true;
          freezes++;
          asleep.push({ host: victim, trials: holding, since: performance.now() });
          continue;
        }
        // frozen first, so that what it holds cannot change between the look and the kill
        victim.child.kill('SIGSTOP');
        await sleep(30);
        const holding = await holdingOf(victim);
        if (holding.length > 0) midTrial++;
        for (const id of holding) held.add(id);
        victim.killed = true;
        victim.child.kill('SIGKILL');
        kills++;
        finalAtLastKill = (await look())?.trials.filter(isFinal).length ?? 0;
        lastKillS = (performance.now() - t0) / 1000;
        launch();
      }
      while (hosts.some((h) => h.child.exitCode === null && h.child.signalCode === null)) {
        await look();
        await sleep(500);
      }
      const woken: string[] = [];
      for (const h of hosts) {
        const r = await h.done;
        if (h.killed) continue;
        // a host woken after its lease finds its trial taken over: its writes are refused (the
        // attempt is a fencing token), it says so in one line, leaves the trial and goes on
        if (h.frozen) {
          woken.push(`${h.host} exit ${r.code}`);
          expect(r.stderr).toMatch(/trial \d+: this worker's lease on it ran out \(--lease\) and it was handed on/);
        }
        expect(r.stderr).not.toMatch(/deadlock|serializ|could not|40P01|40001|internal error|duplicate key|not running/i);
        // a host that ends while a dead host's trial awaits its lease (interrupted by the reaper) may
        // say the study is short of its budget (exit 1, "run the same command again"); the final run settles it
        if (!(r.code === 1 && new RegExp(`ends with \\d+ of its budget of ${BUDGET} trials`).test(r.stderr))) expect(r.code, r.stderr).toBe(0);
      }
      const hostsDoneS = (performance.now() - t0) / 1000;
      // what the last kills left running is taken over once its lease is over, by the same command
      await sleep(LEASE_S * 1000 + 500);
      const last = launch();
      const f = await last.done;
      expect(f.code, f.stderr).toBe(0);
      const s = (await look())!;
      const seconds = (performance.now() - t0) / 1000;
      const pruned = s.trials.filter((t) => t.state === 'pruned');
      const takenOver = s.trials.filter((t) => t.attempts > 1);
      console.info(
        `pruning on PostgreSQL: ${made} hosts, ${kills} kills (${midTrial} holding a trial; ${finalAtLastKill} of ${BUDGET} final at the last kill, ${lastKillS.toFixed(1)} s; hosts done at ${hostsDoneS.toFixed(1)} s), ` +
          `${freezes} frozen past the lease (${[...frozenHeld]} taken over; ${woken.join('; ')}), ${pruned.length} pruned, ${takenOver.length} taken over, ${seconds.toFixed(1)} s`,
      );
      expect(kills).toBe(KILLS);
      expect(freezes).toBe(FREEZES);
      expect(finalAtLastKill).toBeLessThan(BUDGET);
      expect(midTrial).toBeGreaterThanOrEqual(3);
      // the budget exactly, every row a proposed trial in one final state
      expect(s.trials).toHaveLength(BUDGET);
      expect(s.rows.filter((r) => !r.proposed || !isFinal(r))).toEqual([]);
      for (const t of s.trials) {
        if (t.state === 'complete') {
          expect(t.folds, `trial ${t.id}`).toBe(3);
          expect(t.epochs, `trial ${t.id}`).toBe(3 * EPOCHS);
        } else expect(t.epochs, `pruned trial ${t.id} keeps what it trained`).toBeGreaterThan(0);
      }
      expect(pruned.length).toBeGreaterThan(0);
      expect(pruned.length).toBeLessThan(BUDGET);
      // every trial a killed host held was taken over by another host and ended there
      expect(takenOver.map((t) => t.id)).toEqual(expect.arrayContaining([...held]));
      // and so was every trial a frozen host held: its heartbeat stopped, whether its process lived or not
      expect(takenOver.map((t) => t.id)).toEqual(expect.arrayContaining([...frozenHeld]));
      // every trial that reached rung 0's step recorded its value there, whichever host (or attempt) ran it
      const reached = s.trials.filter((t) => s.intermediate.has(`${t.id}:step:${MIN_RESOURCE}`));
      expect(reached.length).toBeGreaterThan(0);
      expect(reached.filter((t) => !s.intermediate.has(`${t.id}:rung:0`)).map((t) => t.id)).toEqual([]);
      expect([...s.intermediate.keys()].filter((k) => k.endsWith(':rung:0'))).toHaveLength(reached.length);
      // a complete trial passed every rung its steps reached: step values through the last epoch, none missing
      for (const t of s.trials.filter((x) => x.state === 'complete')) {
        const steps = [...s.intermediate.keys()].filter((k) => k.startsWith(`${t.id}:step:`)).length;
        expect(steps, `trial ${t.id}'s steps`).toBe(EPOCHS);
      }
    } finally {
      for (const h of hosts) if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
