import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers block on Redis and must wait out an outage
 * (maxRetriesPerRequest null); producers fail fast instead so a caller can keep the work in the outbox.
 */
export function bullConnection(url: string, use: 'worker' | 'producer', onError: (err: Error) => void): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: use === 'worker' ? null : 1,
    enableOfflineQueue: use === 'worker',
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  redis.on('error', onError);
  return redis;
}
