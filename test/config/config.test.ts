import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/schema';

describe('configuration', () => {
  test('defaults run the embedded system', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      bureauTz: 'Asia/Shanghai',
      storage: { driver: 'filesystem' },
      database: { url: 'postgres://postgres@127.0.0.1:5432/bodycam' },
      redis: { url: 'redis://127.0.0.1:6379', prefix: 'bce' },
      upload: { maxBytes: 8 * 1024 ** 3 },
    });
  });

  test('environment overrides are typed', () => {
    const c = loadConfig({ PORT: '9090', SESSION_COOKIE_SECURE: 'true', UPLOAD_MAX_BYTES: '1048576', BUREAU_TZ: 'Asia/Urumqi' });
    expect(c.port).toBe(9090);
    expect(c.auth.cookieSecure).toBe(true);
    expect(c.upload.maxBytes).toBe(1048576);
    expect(c.bureauTz).toBe('Asia/Urumqi');
  });

  test('TRUST_PROXY: loopback by default; a hop count, or addresses, ranges and keywords; anything else refused naming it', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, fd00::/8,loopback' }).trustProxy).toBe('10.0.0.0/8, fd00::/8,loopback');
    for (const bad of ['*', 'true', '10.0.0.0/33', 'proxy.example.gov', '10.0.0.1/8/1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/Invalid setting TRUST_PROXY/);
    }
  });

  test('media settings: the pipeline defaults, and overrides', () => {
    const d = loadConfig({ DATA_DIR: '/srv/bce' });
    expect(d.media).toMatchObject({
      workDir: '/srv/bce/work',
      concurrency: { probe: 2, thumbnails: 2, proxy: 1 },
      threads: 0,
      timeout: { baseS: 300, perMediaS: 2 },
      lockMs: 30_000,
      proxy: { maxBitRate: 12_000_000, height: 720, crf: 26, preset: 'veryfast', audioBitRate: '96k', keyframeSeconds: 2, alwaysTranscode: false },
      sprite: { maxFrames: 60, tileWidth: 160 },
    });
    expect(d.custodyViewWindowMs).toBe(30 * 60_000);
    const c = loadConfig({ WORK_DIR: '/scratch', FFMPEG_THREADS: '2', FFMPEG_TIMEOUT_PER_MEDIA_S: '0.5', PROXY_ALWAYS_TRANSCODE: 'true', PROXY_HEIGHT: '480' });
    expect(c.media).toMatchObject({ workDir: '/scratch', threads: 2, timeout: { perMediaS: 0.5 }, proxy: { alwaysTranscode: true, height: 480, threads: 2 } });
  });

  test('retention settings: the regulation\'s defaults, periods in months or permanent, a daily run time', () => {
    expect(loadConfig({}).retention).toEqual({ zone: 'Asia/Shanghai', unlinkedMonths: 6, importantMonths: null, closedCaseMonths: null, runAt: '03:00' });
    const c = loadConfig({ RETENTION_UNLINKED_MONTHS: '12', RETENTION_IMPORTANT_MONTHS: '36', RETENTION_CLOSED_CASE_MONTHS: 'permanent', RETENTION_RUN_AT: 'off' });
    expect(c.retention).toMatchObject({ unlinkedMonths: 12, importantMonths: 36, closedCaseMonths: null, runAt: null });
  });

  test('the regulation file: read and validated at start-up, a bad one refused naming the file and the field', () => {
    const c = loadConfig({});
    expect(c.regulation.rules.R2).toMatchObject({ minCoverage: 0.95, maxGapSeconds: 60 });
    expect(c.regulation.rules.R3.uploadDeadlineHours).toBe(24);
    expect(c.linkBufferMs).toBe(c.regulation.footageBufferMinutes * 60_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'bce-regulation-'));
    try {
      const file = path.join(dir, 'regulation.json');
      const good = JSON.parse(readFileSync(path.join(__dirname, '../../config/regulation.json'), 'utf8'));
      writeFileSync(file, JSON.stringify({ ...good, version: '2027-1', rules: { ...good.rules, R2: { ...good.rules.R2, minCoverage: 0.9 } } }));
      expect(loadConfig({ REGULATION_FILE: file }).regulation).toMatchObject({ version: '2027-1', rules: { R2: { minCoverage: 0.9 } } });
      writeFileSync(file, JSON.stringify({ ...good, rules: { ...good.rules, R2: { ...good.rules.R2, minCoverage: 1.5 } } }));
      expect(() => loadConfig({ REGULATION_FILE: file })).toThrow(/REGULATION_FILE.*rules\.R2\.minCoverage/);
      writeFileSync(file, '{ not json');
      expect(() => loadConfig({ REGULATION_FILE: file })).toThrow(ConfigError);
      expect(() => loadConfig({ REGULATION_FILE: path.join(dir, 'absent.json') })).toThrow(/REGULATION_FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the minio driver takes its settings', () => {
    const c = loadConfig({ STORAGE_DRIVER: 'minio', MINIO_ENDPOINT: 'http://minio:9000', MINIO_ACCESS_KEY: 'a', MINIO_SECRET_KEY: 'b', MINIO_PART_SIZE_MB: '32' });
    expect(c.storage).toMatchObject({ driver: 'minio', endPoint: 'http://minio:9000', bucket: 'evidence', partSize: 32 * 1024 * 1024 });
  });

  test.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ STORAGE_DRIVER: 's3-ish' }, 'STORAGE_DRIVER'],
    [{ BUREAU_TZ: 'Mars/Olympus' }, 'BUREAU_TZ'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ SESSION_COOKIE_SECURE: 'maybe' }, 'SESSION_COOKIE_SECURE'],
    [{ MINIO_BUCKET: 'Bad_Bucket' }, 'MINIO_BUCKET'],
    [{ STORAGE_DRIVER: 'minio' }, 'MINIO_ENDPOINT'],
    [{ STORAGE_DRIVER: 'minio', MINIO_ENDPOINT: 'http://m:9000', MINIO_ACCESS_KEY: 'a' }, 'MINIO_SECRET_KEY'],
    [{ PROXY_PRESET: 'ludicrous' }, 'PROXY_PRESET'],
    [{ PROXY_CRF: '60' }, 'PROXY_CRF'],
    [{ FFMPEG_TIMEOUT_PER_MEDIA_S: 'slow' }, 'FFMPEG_TIMEOUT_PER_MEDIA_S'],
    [{ TRANSCODE_CONCURRENCY: '0' }, 'TRANSCODE_CONCURRENCY'],
    [{ PROXY_ALWAYS_TRANSCODE: 'sometimes' }, 'PROXY_ALWAYS_TRANSCODE'],
    // The regulation keeps footage at least six months: no setting may shorten that.
    [{ RETENTION_UNLINKED_MONTHS: '3' }, 'RETENTION_UNLINKED_MONTHS'],
    [{ RETENTION_IMPORTANT_MONTHS: '2' }, 'RETENTION_IMPORTANT_MONTHS'],
    [{ RETENTION_CLOSED_CASE_MONTHS: 'forever' }, 'RETENTION_CLOSED_CASE_MONTHS'],
    [{ RETENTION_RUN_AT: '25:00' }, 'RETENTION_RUN_AT'],
  ])('%j is refused with an error naming %s', (env, setting) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid setting ${setting}: `));
  });
});
