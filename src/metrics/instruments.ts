import { Counter, Histogram } from 'prom-client';
import { processRegistry } from './registry';

// The figures code updates as work happens (counters and histograms of this process). Figures read from the
// catalog or the queues at scrape time are in collectors.ts. Names follow Prometheus conventions: a unit in
// the name, `_total` for counters; every label has a small, fixed set of values.

const registers = [processRegistry];

export const ingestedFiles = new Counter({
  name: 'bodycam_ingested_files_total',
  help: 'Footage files received and recorded, by upload method (multipart, tus) and outcome (new; duplicate: the content was stored already)',
  labelNames: ['method', 'outcome'] as const,
  registers,
});

export const ingestedBytes = new Counter({
  name: 'bodycam_ingested_bytes_total',
  help: 'Bytes of footage files received and recorded, by upload method and outcome (a duplicate is received, then its copy removed)',
  labelNames: ['method', 'outcome'] as const,
  registers,
});

export const uploadErrors = new Counter({
  name: 'bodycam_upload_errors_total',
  help: 'Refused or failed upload requests (POST /api/recordings, /api/uploads…), by upload method, HTTP status and problem code',
  labelNames: ['method', 'status', 'code'] as const,
  registers,
});

export const jobDuration = new Histogram({
  name: 'bodycam_job_duration_seconds',
  help: 'Wall time of background jobs run by this process, by job type and outcome (completed, failed, handed_back: returned to the queue by a stopping worker)',
  labelNames: ['job', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
  registers,
});

export const jobFailures = new Counter({
  name: 'bodycam_job_failures_total',
  help: 'Failed job attempts seen by this process, by job type; final="true" when no attempt is left (the job needs a person)',
  labelNames: ['job', 'final'] as const,
  registers,
});

export const mediaRealtime = new Histogram({
  name: 'bodycam_media_realtime_factor',
  help: 'Seconds of footage a media job processed per second of its wall time (ffmpeg runs and store transfers), by stage (probe, proxy, thumbnails)',
  labelNames: ['stage'] as const,
  buckets: [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000],
  registers,
});

export const storageDuration = new Histogram({
  name: 'bodycam_storage_operation_duration_seconds',
  help: 'Object store operations of this process, by operation and outcome (ok, error): put until stored (paced by the sender for an upload), get until the first byte can be read',
  labelNames: ['operation', 'outcome'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers,
});

export const retentionDeleted = new Counter({
  name: 'bodycam_retention_deleted_total',
  help: 'Recordings the retention runs of this process deleted at the end of their retention period (each leaves a tombstone)',
  registers,
});

export const retentionPurged = new Counter({
  name: 'bodycam_retention_purged_total',
  help: 'Deleted recordings whose bytes the retention runs of this process removed from the store',
  registers,
});

export const retentionPurgeErrors = new Counter({
  name: 'bodycam_retention_purge_errors_total',
  help: 'Deleted recordings whose bytes could not be removed (the next run tries again)',
  registers,
});
