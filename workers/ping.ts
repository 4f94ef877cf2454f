import type { Job } from 'bullmq';
import type { JobPayloads } from '../src/queue/jobs';

export async function ping(job: Job<JobPayloads['ping']>): Promise<{ pong: true; requestedAt: string; at: string }> {
  return { pong: true, requestedAt: job.data.requestedAt, at: new Date().toISOString() };
}
