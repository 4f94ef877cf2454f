import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startWorkerRole, type WorkerRole } from '../../workers/worker';
import { seedBureau } from './bureau';
import { startTestEnv, userWithToken, type TestEnv } from './harness';

export interface WorkingSystem {
  env: TestEnv;
  tokens: Awaited<ReturnType<typeof seedBureau>> & { integration: string; reviewer: string };
  worker: WorkerRole;
  /** A folder for the test's clips, removed by close(). */
  dir: string;
  close(): Promise<void>;
}

/**
 * The small bureau with its workers running (the outbox polled often): docked footage is probed and linked
 * as in production. Adds the penalty-case system's `integration` account and a ZF1 reviewer.
 */
export async function startWorkingSystem(settings: Record<string, string> = {}): Promise<WorkingSystem> {
  const env = await startTestEnv({ OUTBOX_POLL_MS: '200', RETENTION_RUN_AT: 'off', ...settings });
  const bureau = await seedBureau(env);
  const tokens = {
    ...bureau,
    integration: await userWithToken(env, 'penalty-system', 'integration'),
    reviewer: await userWithToken(env, 'rev-zf1', 'reviewer', { unitCode: 'ZF1' }),
  };
  const worker = startWorkerRole(env.ctx);
  const dir = await mkdtemp(path.join(tmpdir(), 'bce-system-'));
  return {
    env,
    tokens,
    worker,
    dir,
    async close() {
      await worker.close();
      await env.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
