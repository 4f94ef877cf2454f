import { isIP } from 'node:net';
import path from 'node:path';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { ProxySettings } from '../src/media/plan';
import type { RetentionPolicy } from '../src/retention/policy';
import { projectRoot } from '../src/paths';
import { loadRegulation, RegulationError, type Regulation } from './regulation';

// Every setting is an environment variable with a default that runs the embedded system on one machine.
// The descriptions are the reference documentation: keep them short and true.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `expected a URL starting with ${protocols.join(' or ')}//`);

// A retention period: whole calendar months (at least 6, as the regulation keeps footage), or permanent (null).
const months = z
  .string()
  .regex(/^(permanent|\d+)$/, 'expected a number of months or "permanent"')
  .transform((v) => (v === 'permanent' ? null : Number(v)))
  .pipe(z.number().int().min(6).max(1200).nullable());

// When a daily job runs: HH:MM in the bureau's zone, or off.
const dailyAt = z.string().regex(/^(off|([01]\d|2[0-3]):[0-5]\d)$/, 'expected HH:MM (24-hour, in BUREAU_TZ) or off');

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);
function trustProxyValid(v: string): boolean {
  if (/^\d{1,2}$/.test(v)) return true;
  return v.split(',').every((item) => {
    const t = item.trim();
    const [addr, prefix, ...rest] = t.split('/');
    if (PROXY_KEYWORDS.has(t)) return true;
    if (rest.length || !addr || isIP(addr) === 0) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(addr) === 4 ? 32 : 128));
  });
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const settings = z.object({
  PORT: int(1, 65535).default(8080).describe('HTTP port of the API process'),
  HOST: z.string().min(1).default('0.0.0.0').describe('address the API listens on'),
  TRUST_PROXY: z
    .string()
    .refine((v) => trustProxyValid(v), 'expected a number of proxy hops, or comma-separated addresses, CIDR ranges or loopback, linklocal, uniquelocal')
    .default('loopback')
    .describe('reverse proxies whose X-Forwarded-For names the client (login limits and logs count by client address): their addresses or ranges, or the number of hops'),
  DATABASE_URL: url(['postgres:', 'postgresql:'])
    .default('postgres://postgres@127.0.0.1:5432/bodycam')
    .describe('PostgreSQL connection string'),
  DATABASE_POOL_SIZE: int(1, 200).default(10).describe('connections per process'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379').describe('Redis for BullMQ'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only')
    .default('bce')
    .describe('key prefix of every queue in Redis (one Redis can serve several installations)'),
  STORAGE_DRIVER: z.enum(['filesystem', 'minio']).default('filesystem').describe('where footage is kept'),
  DATA_DIR: z.string().min(1).default('./data').describe('filesystem store and working files'),
  MINIO_ENDPOINT: url(['http:', 'https:']).optional().describe('S3/MinIO endpoint, e.g. http://minio:9000'),
  MINIO_ACCESS_KEY: z.string().min(1).optional().describe('S3 access key'),
  MINIO_SECRET_KEY: z.string().min(1).optional().describe('S3 secret key'),
  MINIO_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
    .default('evidence')
    .describe('bucket that holds the footage'),
  MINIO_REGION: z.string().min(1).default('us-east-1').describe('S3 region'),
  MINIO_CREATE_BUCKET: bool.default(true).describe('create the bucket at start-up when it is missing'),
  MINIO_PART_SIZE_MB: int(5, 1024).default(8).describe('multipart part size in MiB (memory per part in flight)'),
  MINIO_PART_CONCURRENCY: int(1, 16).default(2).describe('multipart parts uploaded in parallel per upload'),
  BUREAU_TZ: z
    .string()
    .refine((v) => IANAZone.isValidZone(v), 'expected an IANA time zone such as Asia/Shanghai')
    .default('Asia/Shanghai')
    .describe('zone of recorder file names, CSV times without offset, periods and months'),
  METRICS_PORT: int(1, 65535).optional().describe('serve /metrics on this port (default: on PORT, admin only)'),
  METRICS_HOST: z.string().min(1).optional().describe('address the METRICS_PORT listener binds, e.g. a private network\'s (default: HOST); it asks no credentials'),
  METRICS_CACHE_S: int(0, 3600).default(300).describe('the catalog figures of /metrics (bytes stored per retention class, integrity) are recomputed in the background at most this often (seconds; a scrape answers with the last ones); 0: at every scrape, which then waits for them'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino level'),
  SESSION_TTL_HOURS: int(1, 24 * 30).default(12).describe('browser login sessions expire after this many hours'),
  SESSION_COOKIE_SECURE: bool.default(false).describe('mark the session cookie Secure (set true behind HTTPS)'),
  PASSWORD_MIN_LENGTH: int(8, 128).default(10).describe('shortest password accepted'),
  LOGIN_MAX_FAILURES: int(1, 1000).default(5).describe('failed logins to one account within LOGIN_FAILURE_WINDOW_MIN before its logins are refused (429) until the window passes'),
  LOGIN_MAX_FAILURES_PER_ADDRESS: int(1, 100_000).default(20).describe('failed logins from one client address within LOGIN_FAILURE_WINDOW_MIN before its logins are refused (429)'),
  LOGIN_FAILURE_WINDOW_MIN: int(1, 24 * 60).default(15).describe('the window of the two login limits, in minutes'),
  CORS_ORIGINS: z
    .string()
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected comma-separated origins such as https://review.example.gov')))
    .default([])
    .describe('other web origins allowed to call the API from a browser, comma-separated (default: none, same origin only)'),
  UPLOAD_MAX_BYTES: int(1, 1024 * GiB).default(8 * GiB).describe('largest footage file accepted'),
  UPLOAD_ABANDONED_HOURS: int(1, 24 * 90)
    .default(24)
    .describe('a resumable (tus) or S3 multipart upload untouched this long is abandoned: the sweeper deletes its bytes'),
  OUTBOX_POLL_MS: int(50, 60_000).default(500).describe('how often the outbox relay looks for new jobs'),
  SHUTDOWN_TIMEOUT_MS: int(1000, 600_000).default(30_000).describe('grace period for in-flight work on SIGTERM'),
  WORK_DIR: z.string().min(1).optional().describe('temporary files of media jobs (default: DATA_DIR/work)'),
  PROBE_CONCURRENCY: int(1, 64).default(2).describe('probe jobs run at once per worker process'),
  THUMBNAIL_CONCURRENCY: int(1, 64).default(2).describe('thumbnail jobs run at once per worker process'),
  TRANSCODE_CONCURRENCY: int(1, 64).default(1).describe('proxy (remux or transcode) jobs run at once per worker process'),
  FFMPEG_THREADS: int(0, 64).default(0).describe('threads per ffmpeg run; 0 lets ffmpeg choose (measured best on 2 cores)'),
  FFMPEG_TIMEOUT_BASE_S: int(10, 86_400).default(300).describe('an ffmpeg run is killed after this many seconds ...'),
  FFMPEG_TIMEOUT_PER_MEDIA_S: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected a number')
    .transform(Number)
    .pipe(z.number().min(0).max(100))
    .default(2)
    .describe('... plus this many seconds per second of footage'),
  JOB_LOCK_MS: int(1000, 600_000).default(30_000).describe('a job whose worker stops renewing its lock this long is handed to another worker'),
  PROXY_MAX_BITRATE_KBPS: int(100, 1_000_000).default(12_000).describe('an original above this bit rate gets a proxy'),
  PROXY_HEIGHT: int(144, 2160).default(720).describe('height of a transcoded proxy (never upscaled)'),
  PROXY_CRF: int(0, 51).default(26).describe('x264 quality of a transcoded proxy (higher is smaller)'),
  PROXY_PRESET: z
    .enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'])
    .default('veryfast')
    .describe('x264 speed preset of a transcoded proxy'),
  PROXY_AUDIO_KBPS: int(16, 512).default(96).describe('AAC bit rate of proxy audio'),
  PROXY_KEYFRAME_S: int(1, 10).default(2).describe('seconds between keyframes of a transcoded proxy (seek granularity)'),
  PROXY_ALWAYS_TRANSCODE: bool.default(false).describe('transcode every recording (a low-bit-rate proxy for slow links)'),
  SPRITE_FRAMES: int(1, 400).default(60).describe('most frames in a recording\'s scrubbing sprite sheet'),
  SPRITE_TILE_WIDTH: int(32, 640).default(160).describe('width of one sprite frame in pixels'),
  REGULATION_FILE: z
    .string()
    .min(1)
    .default(path.join(projectRoot(), 'config', 'regulation.json'))
    .describe('the recorder-usage regulation as data (rules, thresholds, footage buffer); see config/regulation.json'),
  CUSTODY_VIEW_WINDOW_MIN: int(1, 24 * 60).default(30).describe('a playback is one custody view event per user and recording in this window'),
  // REGULATION.md, Retention: "kept ≥ 6 months", so no setting may go below that.
  RETENTION_UNLINKED_MONTHS: int(6, 1200).default(6).describe('footage in no case and not important is deleted this many calendar months after docking (at least 6)'),
  RETENTION_IMPORTANT_MONTHS: months.default(null).describe('important footage in no case is kept this many months after docking, or "permanent"'),
  RETENTION_CLOSED_CASE_MONTHS: months.default(null).describe('footage of closed cases is kept this many months after the case closed, or "permanent"'),
  RETENTION_RUN_AT: dailyAt
    .default('03:00')
    .describe('when the daily retention run deletes expired footage (HH:MM in BUREAU_TZ), or off'),
  INTEGRITY_AUDIT_AT: dailyAt
    .default('04:00')
    .describe('when the daily integrity audit re-hashes originals from the store (HH:MM in BUREAU_TZ), or off'),
  INTEGRITY_AUDIT_BATCH: int(1, 10_000_000).default(2000).describe('how many recordings one integrity audit run re-hashes (never audited first, then the longest unaudited)'),
  INTEGRITY_AUDIT_CYCLE_DAYS: int(1, 3660).default(180).describe('every stored original is re-hashed at least once in this many days (each daily run takes its share; 180: every original is checked before the shortest retention can delete it)'),
});

export type Settings = z.output<typeof settings>;

export interface Config {
  port: number;
  host: string;
  /** Express's `trust proxy`: a hop count, or the addresses and ranges of the reverse proxies. */
  trustProxy: number | string;
  /** Where /metrics is served: on `port` without credentials when set, else on PORT to admins. */
  metrics: { port?: number; host: string; cacheS: number };
  logLevel: Settings['LOG_LEVEL'];
  bureauTz: string;
  database: { url: string; poolSize: number };
  redis: { url: string; prefix: string };
  storage:
    | { driver: 'filesystem'; dataDir: string }
    | {
        driver: 'minio';
        dataDir: string;
        endPoint: string;
        accessKey: string;
        secretKey: string;
        bucket: string;
        region: string;
        createBucket: boolean;
        partSize: number;
        partConcurrency: number;
      };
  dataDir: string;
  auth: {
    sessionTtlMs: number;
    cookieSecure: boolean;
    passwordMinLength: number;
    /** Failed logins allowed per account and per client address within windowMs. */
    loginThrottle: { maxPerAccount: number; maxPerAddress: number; windowMs: number };
  };
  /** Browser origins besides the API's own that may call it (CORS); empty: same origin only. */
  corsOrigins: string[];
  upload: { maxBytes: number; abandonedAfterMs: number };
  outboxPollMs: number;
  shutdownTimeoutMs: number;
  media: MediaConfig;
  custodyViewWindowMs: number;
  /** Footage this close before or after an activity belongs to it (the regulation's buffer). */
  linkBufferMs: number;
  retention: RetentionConfig;
  integrity: IntegrityConfig;
  regulation: Regulation;
}

export interface IntegrityConfig {
  /** When the daily audit starts, `HH:MM` in the bureau's zone; null when it is off. */
  runAt: string | null;
  /** Most recordings re-hashed per run. */
  batch: number;
  /** Every original is due again within this many days: a run takes its share of them. */
  cycleDays: number;
}

export interface RetentionConfig extends RetentionPolicy {
  /** When the daily run starts, `HH:MM` in the bureau's zone; null when it is off. */
  runAt: string | null;
}

export interface MediaConfig {
  workDir: string;
  concurrency: { probe: number; thumbnails: number; proxy: number };
  threads: number;
  timeout: { baseS: number; perMediaS: number };
  lockMs: number;
  proxy: ProxySettings;
  sprite: { maxFrames: number; tileWidth: number };
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`Invalid setting ${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Reads the settings from an environment; throws a ConfigError that names the first bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(settings.shape)) {
    const v = env[key];
    // An empty variable means "not set": docker-compose and shells produce them easily.
    raw[key] = v === undefined || v.trim() === '' ? undefined : v.trim();
  }
  const parsed = settings.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'configuration');
    throw new ConfigError(name, `${issue.message} (got ${JSON.stringify(raw[name] ?? null)})`);
  }
  const s = parsed.data;
  let regulation: Regulation;
  try {
    regulation = loadRegulation(path.resolve(s.REGULATION_FILE));
  } catch (err) {
    if (err instanceof RegulationError) throw new ConfigError('REGULATION_FILE', err.message);
    throw err;
  }
  const dataDir = path.resolve(s.DATA_DIR);
  let storage: Config['storage'];
  if (s.STORAGE_DRIVER === 'minio') {
    for (const key of ['MINIO_ENDPOINT', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'] as const) {
      if (!s[key]) throw new ConfigError(key, 'required when STORAGE_DRIVER=minio');
    }
    storage = {
      driver: 'minio',
      dataDir,
      endPoint: s.MINIO_ENDPOINT!,
      accessKey: s.MINIO_ACCESS_KEY!,
      secretKey: s.MINIO_SECRET_KEY!,
      bucket: s.MINIO_BUCKET,
      region: s.MINIO_REGION,
      createBucket: s.MINIO_CREATE_BUCKET,
      partSize: s.MINIO_PART_SIZE_MB * MiB,
      partConcurrency: s.MINIO_PART_CONCURRENCY,
    };
  } else {
    storage = { driver: 'filesystem', dataDir };
  }
  return {
    port: s.PORT,
    host: s.HOST,
    trustProxy: /^\d+$/.test(s.TRUST_PROXY) ? Number(s.TRUST_PROXY) : s.TRUST_PROXY,
    metrics: { port: s.METRICS_PORT, host: s.METRICS_HOST ?? s.HOST, cacheS: s.METRICS_CACHE_S },
    logLevel: s.LOG_LEVEL,
    bureauTz: s.BUREAU_TZ,
    database: { url: s.DATABASE_URL, poolSize: s.DATABASE_POOL_SIZE },
    redis: { url: s.REDIS_URL, prefix: s.REDIS_PREFIX },
    storage,
    dataDir,
    auth: {
      sessionTtlMs: s.SESSION_TTL_HOURS * 3600_000,
      cookieSecure: s.SESSION_COOKIE_SECURE,
      passwordMinLength: s.PASSWORD_MIN_LENGTH,
      loginThrottle: {
        maxPerAccount: s.LOGIN_MAX_FAILURES,
        maxPerAddress: s.LOGIN_MAX_FAILURES_PER_ADDRESS,
        windowMs: s.LOGIN_FAILURE_WINDOW_MIN * 60_000,
      },
    },
    corsOrigins: s.CORS_ORIGINS,
    upload: { maxBytes: s.UPLOAD_MAX_BYTES, abandonedAfterMs: s.UPLOAD_ABANDONED_HOURS * 3600_000 },
    outboxPollMs: s.OUTBOX_POLL_MS,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    media: {
      workDir: path.resolve(s.WORK_DIR ?? path.join(dataDir, 'work')),
      concurrency: { probe: s.PROBE_CONCURRENCY, thumbnails: s.THUMBNAIL_CONCURRENCY, proxy: s.TRANSCODE_CONCURRENCY },
      threads: s.FFMPEG_THREADS,
      timeout: { baseS: s.FFMPEG_TIMEOUT_BASE_S, perMediaS: s.FFMPEG_TIMEOUT_PER_MEDIA_S },
      lockMs: s.JOB_LOCK_MS,
      proxy: {
        maxBitRate: s.PROXY_MAX_BITRATE_KBPS * 1000,
        height: s.PROXY_HEIGHT,
        crf: s.PROXY_CRF,
        preset: s.PROXY_PRESET,
        audioBitRate: `${s.PROXY_AUDIO_KBPS}k`,
        keyframeSeconds: s.PROXY_KEYFRAME_S,
        threads: s.FFMPEG_THREADS,
        alwaysTranscode: s.PROXY_ALWAYS_TRANSCODE,
      },
      sprite: { maxFrames: s.SPRITE_FRAMES, tileWidth: s.SPRITE_TILE_WIDTH },
    },
    custodyViewWindowMs: s.CUSTODY_VIEW_WINDOW_MIN * 60_000,
    linkBufferMs: regulation.footageBufferMinutes * 60_000,
    regulation,
    retention: {
      zone: s.BUREAU_TZ,
      unlinkedMonths: s.RETENTION_UNLINKED_MONTHS,
      importantMonths: s.RETENTION_IMPORTANT_MONTHS,
      closedCaseMonths: s.RETENTION_CLOSED_CASE_MONTHS,
      runAt: s.RETENTION_RUN_AT === 'off' ? null : s.RETENTION_RUN_AT,
    },
    integrity: {
      runAt: s.INTEGRITY_AUDIT_AT === 'off' ? null : s.INTEGRITY_AUDIT_AT,
      batch: s.INTEGRITY_AUDIT_BATCH,
      cycleDays: s.INTEGRITY_AUDIT_CYCLE_DAYS,
    },
  };
}
