/**
 * dashboard: the report's views of a study served on 127.0.0.1, updating while a search writes to
 * the database (the page polls; the storage is opened read-only). `--port 0` takes a free port; the
 * address goes to stdout; Ctrl-C (or SIGTERM) stops the server.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Argv } from 'yargs';
import { UsageError } from '../../errors.js';
import { echartsPath } from '../../report/assets.js';
import { dashboardPage, dashboardStudy, emptyView, studyVersion, studyView, type ViewResponse } from '../../report/dashboard.js';
import type { Storage } from '../../store/storage.js';
import { corruptionError, isCorruption } from '../../store/sqlite-store.js';
import type { Output } from '../io.js';
import { checkInteger, openStorage, withDb } from '../options.js';

export interface DashboardArgs {
  db: string;
  port: number;
  study?: string;
  /** How often the page asks for news (ms). */
  pollMs?: number;
}

/** A running dashboard: its address, and how to stop it. */
export interface Dashboard {
  url: string;
  stop(): Promise<void>;
  /** Settles when the server has stopped. */
  closed: Promise<void>;
}

const DEFAULT_PORT = 8080;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/** Serves the dashboard of `store` until stopped; resolves once it listens. */
export async function startDashboard(store: Storage, args: DashboardArgs): Promise<Dashboard> {
  const pollMs = args.pollMs ?? 2000;
  if (args.study && !(await store.getStudy(args.study))) {
    const names = (await store.listStudies()).map((s) => s.name);
    throw new UsageError(`--study: no study '${args.study}' in ${store.location}${names.length ? ` (studies: ${names.join(', ')})` : ''}`);
  }
  const cache = new Map<number, ViewResponse>();
  const viewOf = async (name: string | undefined): Promise<ViewResponse | null> => {
    const study = await dashboardStudy(store, name);
    if (!study) return name ? null : emptyView(store.location);
    const version = await studyVersion(store, study);
    const cached = cache.get(study.id);
    if (cached?.version === version) return cached;
    const fresh = await studyView(store, study);
    cache.set(study.id, fresh);
    return fresh;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'the dashboard only reads\n');
    const name = url.searchParams.get('study') ?? args.study ?? undefined;
    switch (url.pathname) {
      case '/': {
        const view = await viewOf(name);
        if (!view) return send(res, 404, 'text/plain; charset=utf-8', `no study '${name}' in ${store.location}\n`);
        const studies = (await store.listStudies()).map((s) => s.name);
        const api = `/api/view${name ? `?study=${encodeURIComponent(name)}` : ''}`;
        return send(res, 200, 'text/html; charset=utf-8', dashboardPage(view, studies, api, pollMs));
      }
      case '/api/view': {
        const view = await viewOf(name);
        if (!view) return send(res, 404, 'application/json', JSON.stringify({ error: `no study '${name}'` }));
        if (url.searchParams.get('since') === view.version) {
          res.writeHead(204, { 'cache-control': 'no-store' });
          return void res.end();
        }
        return send(res, 200, 'application/json', JSON.stringify(view));
      }
      case '/api/studies':
        return send(res, 200, 'application/json', JSON.stringify(await store.listStudies()));
      case '/favicon.ico':
        res.writeHead(204, { 'cache-control': 'max-age=86400' });
        return void res.end();
      case '/echarts.min.js':
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' });
        createReadStream(echartsPath()).pipe(res);
        return;
      default:
        return send(res, 404, 'text/plain', 'not found\n');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const message = isCorruption(e) ? corruptionError(store.location, (e as Error).message).message : (e as Error)?.message ?? String(e);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${message}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`--port ${args.port}: already in use on 127.0.0.1 (pick another, or --port 0 for a free one)`));
      else if (e.code === 'EACCES') reject(new UsageError(`--port ${args.port}: not allowed (ports below 1024 need privileges; try --port 0)`));
      else reject(e);
    });
    server.listen(args.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : args.port;
  let stopping: Promise<void> | null = null;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}/`,
    closed,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

export async function dashboardCommand(args: DashboardArgs, io: Output, interactive: boolean): Promise<void> {
  const store = await openStorage(args.db, 'read');
  try {
    const dash = await startDashboard(store, args);
    io.out(`nnsearch dashboard: ${dash.url} (${store.location}, read-only; Ctrl-C to stop)`);
    if (interactive) {
      const stop = () => void dash.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
    await dash.closed;
  } finally {
    await store.close();
  }
}

export function registerDashboard<T>(y: Argv<T>, io: Output, interactive: boolean): Argv<T> {
  return y.command(
    'dashboard',
    'serve live charts of a study on 127.0.0.1 (reads only the database; updates while a search runs)',
    (c) =>
      withDb(c)
        .option('study', { type: 'string', describe: 'the study to show (default: the most recently created; the page switches between studies)' })
        .option('port', { type: 'number', default: DEFAULT_PORT, describe: 'port on 127.0.0.1 (0: any free port)' })
        .option('poll-ms', { type: 'number', hidden: true, describe: 'how often the page asks for news' }),
    async (a) => {
      checkInteger('port', a.port, 0);
      if (a.port > 65535) throw new UsageError(`--port: must be at most 65535, got ${a.port}`);
      checkInteger('poll-ms', a.pollMs, 1);
      await dashboardCommand({ db: a.db, port: a.port, study: a.study, pollMs: a.pollMs }, io, interactive);
    },
  );
}
