/**
 * What the dashboard serves, from a storage it only reads: the page of a study (the report's page,
 * polling for updates) and the study's current view as JSON with a version, so that a page that
 * already shows the latest state gets "nothing new" instead of the whole view again.
 */
import type { Storage } from '../store/storage.js';
import { clientSource } from './assets.js';
import type { StudyRecord } from '../store/types.js';
import { studyViewInput } from './assemble.js';
import { renderPage, sectionHtml, type PageScripts } from './page.js';
import { buildView, type ReportView } from './view.js';

export interface ViewResponse {
  version: string;
  view: ReportView;
  /** Each section's markup, for a page whose layout changes. */
  shells: Record<string, string>;
}

/** FNV-1a of a string, as 8 hex digits. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Changes whenever a trial is added, changes state or records a fold. */
export async function studyVersion(store: Storage, study: StudyRecord): Promise<string> {
  const trials = await store.listTrials(study.id);
  const folds = await store.foldsByTrial(study.id);
  // intermediate values too: the intermediate-values chart moves with every epoch
  const steps = new Map<number, number>();
  for (const v of await store.intermediateValues(study.id)) steps.set(v.trialId, (steps.get(v.trialId) ?? 0) + 1);
  return fnv(JSON.stringify([study.id, trials.map((t) => [t.id, t.state, t.value, t.attempts, folds.get(t.id)?.length ?? 0, steps.get(t.id) ?? 0])]));
}

/** The study the dashboard shows: the one asked for, else the most recently created. */
export async function dashboardStudy(store: Storage, name: string | undefined): Promise<StudyRecord | null> {
  if (name) return store.getStudy(name);
  const all = await store.listStudies();
  if (all.length === 0) return null;
  return [...all].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)[0];
}

export async function studyView(store: Storage, study: StudyRecord): Promise<ViewResponse> {
  const version = await studyVersion(store, study);
  const input = await studyViewInput(store, study, { unfinished: true });
  const view = buildView({ ...input, generatedAt: `updated ${new Date().toTimeString().slice(0, 8)}` });
  return { version, view, shells: Object.fromEntries(view.sections.map((s) => [s.id, sectionHtml(s)])) };
}

/** The view of a database without a study yet: the page waits for one. */
export function emptyView(location: string): ViewResponse {
  return {
    version: 'empty',
    view: { title: 'nnsearch dashboard', study: null, metaHtml: `no study in ${location} yet: start a search on it (nnsearch grid|random|bayes SPEC --db ${location})`, bestHtml: 'No trial completed yet.', sections: [], counts: { finished: 0, complete: 0, failed: 0, running: 0, pruned: 0 } },
    shells: {},
  };
}

/** The dashboard page, showing `initial` and polling `url`. */
export function dashboardPage(initial: ViewResponse, studies: string[], url: string, pollMs: number): string {
  const scripts: PageScripts = { echarts: { src: '/echarts.min.js' }, client: clientSource() };
  return renderPage(initial.view, scripts, { url, version: initial.version, pollMs, studies, study: initial.view.study ?? '' });
}
