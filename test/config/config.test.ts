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
