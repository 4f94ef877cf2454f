import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../scripts/scratch';

/*
 * Private instances of Redis and PostgreSQL on loopback, for tests that stop and start a service (an outage
 * the shared services on 6379 and 5432 must never suffer). Each lives in its own /tmp/bce-svc-* folder on a
 * free port; stop() and start() bring it down and back on the same port with the same data; close() removes
 * everything, whatever state a failed test left it in.
 */

const run = promisify(execFile);

/** A service the test stops and starts; `url` is what the system under test is configured with. */
export interface OwnService {
  url: string;
  port: number;
  dir: string;
  running(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

// A test process that ends without close() (a timeout, a crash) must not leave daemons behind: these run
// synchronously on exit.
const exitCleanups = new Set<() => void>();
process.once('exit', () => {
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the process is going anyway
    }
  }
});

async function waitUntil(check: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Redis

/** Whether a Redis server answers PING on `port` (a raw socket: no client library, no retries). */
function redisPong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * A private redis-server. By default an append-only file fsynced on every write, as production Redis must be
 * configured (a job relayed from the outbox lives only in Redis), and no RDB snapshots; `persistence: 'none'`
 * is a Redis that forgets everything when it stops.
 */
export async function startOwnRedis(opts: { persistence?: 'aof' | 'none' } = {}): Promise<OwnService> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bce-svc-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const kill = () => child?.kill('SIGKILL');
  exitCleanups.add(kill);

  const service: OwnService = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    running: () => child !== undefined,
    async start() {
      if (child) return;
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
      args.push(...(opts.persistence === 'none' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always']));
      const proc = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      proc.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
      proc.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      let gone = false;
      void exited.then(() => {
        gone = true;
        if (child === proc) child = undefined;
      });
      await waitUntil(async () => gone || (await redisPong(port)), `redis-server on port ${port}`, 15_000);
      if (gone) throw new Error(`redis-server on port ${port} exited at start-up:\n${output}`);
    },
    async stop() {
      if (!child) return;
      // SIGTERM is Redis's SHUTDOWN: it closes every client connection, flushes the AOF and exits.
      child.kill('SIGTERM');
      await exited;
      child = undefined;
    },
    async close() {
      if (child) {
        child.kill('SIGKILL');
        await exited;
        child = undefined;
      }
      exitCleanups.delete(kill);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await service.start();
  } catch (err) {
    await service.close();
    throw err;
  }
  return service;
}

// ---------------------------------------------------------------------------------------------------------
// PostgreSQL

/** The newest PostgreSQL installed the Debian way (/usr/lib/postgresql/<major>/bin). */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => /^\d+(\.\d+)?$/.test(v) && existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${base}/<version>/bin`);
  return path.join(base, versions[0], 'bin');
}

export interface OwnPostgres extends OwnService {
  /** `fast` (the default) ends sessions with 57P01 and shuts down cleanly; `immediate` is a crash: recovery at the next start. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** The server's log, for a failing test's message. */
  log(): Promise<string>;
}

/**
 * A private PostgreSQL cluster with one database (`url`) in it. initdb and the server refuse to run as
 * root, so under root they run as the `postgres` user, which then owns the folder.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = postgresBin();
  const dir = await mkdtemp(path.join(tmpdir(), 'bce-svc-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]).then((r) => r.map((x) => Number(x.stdout.trim())));
    await chown(dir, uid!, gid!);
  }
  const tool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, name), ...args]) : run(path.join(bin, name), args);
  let up = false;

  // A server whose pg_ctl never came back (the test process killed): SIGQUIT to the postmaster is an
  // immediate shutdown, the same as `pg_ctl stop -m immediate`.
  const killPostmaster = () => {
    try {
      const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // not running
    }
    rmSync(dir, { recursive: true, force: true });
  };
  exitCleanups.add(killPostmaster);

  const service: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/bce_own`,
    port,
    dir,
    running: () => up,
    async start() {
      if (up) return;
      // -l: the server's output goes to a file; otherwise it would hold pg_ctl's pipes open and the call never return.
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB -c max_connections=40`;
      await tool('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
      up = true;
    },
    async stop(mode: 'fast' | 'immediate' = 'fast') {
      if (!up) return;
      await tool('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      up = false;
    },
    async log() {
      return readFile(logFile, 'utf8').catch(() => '');
    },
    async close() {
      if (up) {
        await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
        up = false;
      }
      exitCleanups.delete(killPostmaster);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
    await service.start();
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE bce_own');
    } finally {
      await admin.end();
    }
  } catch (err) {
    const log = await service.log();
    await service.close();
    if (err instanceof Error && log) err.message += `\n--- server log ---\n${log.slice(-3000)}`;
    throw err;
  }
  return service;
}
