import { randomBytes } from 'node:crypto';
import net from 'node:net';
import request from 'supertest';
import { issueToken } from '../../src/auth/tokens';
import { fakeMp4 } from '../evidence/helpers';
import { seedBureau } from '../support/bureau';
import { listen } from '../support/listen';
import { startTestEnv, type TestEnv } from '../support/harness';
import { evidenceState, fieldPart, multipartBody, rawRequest, tableCounts, type RawPart } from './support';

// Oversized and malformed requests: headers past Node's limit, bodies past the parsers' limits, multipart forms
// with too many or too large parts, and malformed JSON and CSV on every route that reads them. Each is a 4xx
// with a stable code (never a 500), the server keeps answering, and nothing is stored or imported.

let env: TestEnv;
let tokens: Awaited<ReturnType<typeof seedBureau>>;
let server: Awaited<ReturnType<typeof listen>>;
let adminId: number;

beforeAll(async () => {
  env = await startTestEnv();
  tokens = await seedBureau(env);
  server = await listen(env.app);
  adminId = (await env.ctx.pool.query("SELECT id FROM users WHERE username = 'root'")).rows[0].id;
});
afterAll(async () => {
  await server?.close();
  await env?.close();
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const isProblem = (res: { headers: Record<string, string | string[] | undefined> }) => /application\/problem\+json/.test(String(res.headers['content-type']));

/** Sends raw bytes on a socket of its own and resolves with the status line of the answer (or what the server did instead). */
function rawStatusLine(bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 20 s (got ${JSON.stringify(got.slice(0, 80))})`));
    }, 20_000);
    socket.on('data', (c) => (got += c.toString('latin1')));
    const done = () => {
      clearTimeout(timer);
      resolve(got.split('\r\n')[0] ?? '');
    };
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.end(bytes);
  });
}

const healthy = async () => (await fetch(`${server.base}/healthz`)).status;

describe('oversized', () => {
  test('request headers past Node\'s limit are 431, the URL counts too, and the server keeps answering', async () => {
    const token = `Authorization: Bearer ${tokens.admin}\r\n`;
    expect(await rawStatusLine(`GET /api/recordings HTTP/1.1\r\nHost: x\r\n${token}X-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    const many = Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${'b'.repeat(10)}\r\n`).join('');
    expect(await rawStatusLine(`GET /api/recordings HTTP/1.1\r\nHost: x\r\n${token}${many}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    expect(await rawStatusLine(`GET /api/recordings?caseNo=${'c'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${token}Connection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    // A multipart upload with a huge header is refused the same way, before any of it is read.
    expect(
      await rawStatusLine(`POST /api/recordings HTTP/1.1\r\nHost: x\r\n${token}Content-Type: multipart/form-data; boundary=${'x'.repeat(20_000)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 431 /);
    // Not HTTP at all.
    expect(await rawStatusLine(randomBytes(4096))).toMatch(/^(HTTP\/1\.1 400 .*|)$/);
    expect(await healthy()).toBe(200);
    // Under the limit, a long value is the application's to refuse, by its field.
    const long = await request(env.app).get(`/api/recordings?caseNo=${'c'.repeat(8000)}`).set(bearer(tokens.admin));
    expect([long.status, long.body.code, long.body.field]).toEqual([400, 'invalid_field', 'caseNo']);
  });

  test('a JSON body over 1 MB is 413 too_large; a CSV over 20 MB too; a field over its length is 400 naming it', async () => {
    const before = await tableCounts(env);
    const json = await request(env.app)
      .post('/api/units')
      .set(bearer(tokens.admin))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ code: 'BIG1', name: 'x'.repeat(1024 * 1024 + 10) }));
    expect([json.status, json.body.code]).toEqual([413, 'too_large']);
    expect(isProblem(json)).toBe(true);
    const csv = await request(env.app)
      .post('/api/directory/import')
      .set(bearer(tokens.admin))
      .set('Content-Type', 'text/csv')
      .send(Buffer.alloc(21 * 1024 * 1024, 'a'));
    expect([csv.status, csv.body.code]).toEqual([413, 'too_large']);
    const field = await request(env.app).post('/api/units').set(bearer(tokens.admin)).send({ code: 'BIG1', name: 'x'.repeat(10_000) });
    expect([field.status, field.body.code, field.body.field]).toEqual([400, 'invalid_field', 'name']);
    const array = await request(env.app).post('/api/recordings/lookup').set(bearer(tokens.station)).send({ sha256: Array.from({ length: 1001 }, () => 'a'.repeat(64)) });
    expect([array.status, array.body.code, array.body.field]).toEqual([400, 'invalid_field', 'sha256']);
    expect(await tableCounts(env)).toEqual(before);
  });

  describe('multipart', () => {
    const boundary = 'bce-oversized';
    const FIELDS = { recorderSerial: 'DSJ0001', badgeNo: '100001', startedAt: '2026-03-01T08:30:00+08:00' };
    const filePart = (name: string, body: Buffer, extraHeaders: string[] = []): RawPart => ({
      headers: [`Content-Disposition: form-data; name="file"; filename="${name}"`, 'Content-Type: video/mp4', ...extraHeaders],
      body,
    });
    const post = (parts: RawPart[], contentType = `multipart/form-data; boundary=${boundary}`) =>
      request(env.app).post('/api/recordings').set(bearer(tokens.station)).set('Content-Type', contentType).send(multipartBody(boundary, parts));
    const fields = Object.entries(FIELDS).map(([k, v]) => fieldPart(k, v));

    test.each<[string, number, string, string | undefined, () => RawPart[]]>([
      ['too many fields', 400, 'too_many_fields', undefined, () => Array.from({ length: 17 }, (_, i) => fieldPart('important', String(i % 2 === 0)))],
      ['a field value over 1 KiB', 400, 'invalid_field', 'badgeNo', () => [fieldPart('badgeNo', '1'.repeat(2000)), filePart('a.MP4', fakeMp4(2048))]],
      ['a field name over 64 characters', 400, 'invalid_field', undefined, () => [fieldPart('x'.repeat(100), 'v'), filePart('a.MP4', fakeMp4(2048))]],
      // The first hundred are stored as they arrive, then removed again with the refusal.
      ['more than 100 files', 400, 'too_many_files', undefined, () => Array.from({ length: 101 }, (_, i) => filePart(`DSJ0001_100001_20260301083000_${i}.MP4`, fakeMp4(1024)))],
      ['a part header over 16 KiB', 400, 'malformed_multipart', undefined, () => [...fields, filePart('a.MP4', fakeMp4(2048), [`X-Pad: ${'p'.repeat(20_000)}`])]],
      ['a part with headers past 16 KiB in all', 400, 'malformed_multipart', undefined, () => [...fields, filePart('a.MP4', fakeMp4(2048), Array.from({ length: 2000 }, (_, i) => `X-P${i}: v`))]],
      ['a part without a name', 400, 'invalid_field', undefined, () => [{ headers: ['Content-Disposition: form-data'], body: Buffer.from('v') }]],
      ['a field sent twice', 400, 'invalid_field', 'badgeNo', () => [fieldPart('badgeNo', '100001'), fieldPart('badgeNo', '100002'), filePart('a.MP4', fakeMp4(2048))]],
      ['a nested field name', 400, 'invalid_field', 'badgeNo', () => [fieldPart('badgeNo[__proto__]', 'x'), filePart('a.MP4', fakeMp4(2048))]],
    ])('%s: %i %s, nothing stored', async (_what, status, code, field, parts) => {
      const before = await evidenceState(env);
      const res = await post(parts());
      expect({ status: res.status, code: res.body.code, field: res.body.field }).toEqual({ status, code, field });
      expect(isProblem(res)).toBe(true);
      expect(await evidenceState(env)).toEqual(before);
    });

    test('a form without its boundary, or with a broken content type, is 400 malformed_multipart, not a server error', async () => {
      const before = await evidenceState(env);
      for (const [type, code] of [
        ['multipart/form-data', 'malformed_multipart'],
        ['multipart/form-data; charset=utf-8', 'malformed_multipart'],
        // A boundary that is empty or not the body's finds no part in it.
        ['multipart/form-data; boundary="unclosed', 'no_file'],
        ['multipart/form-data; boundary=', 'no_file'],
      ]) {
        const res = await post([...fields, filePart('a.MP4', fakeMp4(2048))], type);
        expect({ type, status: res.status, code: res.body.code }).toEqual({ type, status: 400, code });
      }
      expect(await evidenceState(env)).toEqual(before);
      expect(await healthy()).toBe(200);
    });
  });
});

describe('malformed JSON', () => {
  // Syntax that is not JSON, or bytes that are not text.
  const MALFORMED: [string, Buffer][] = [
    ['truncated', Buffer.from('{"name": "a", ')],
    ['single quotes', Buffer.from("{'name': 'a'}")],
    ['trailing garbage', Buffer.from('{"name": "a"} x')],
    ['not JSON at all', Buffer.from('name=a&code=b')],
    ['NaN', Buffer.from('{"value": NaN}')],
    ['a bare scalar', Buffer.from('1')],
    ['an unclosed deep nesting', Buffer.from('['.repeat(100_000))],
    ['random bytes', randomBytes(512)],
  ];
  const TEXT_FIELDS = ['code', 'name', 'username', 'password', 'reason', 'note', 'title', 'badgeNo', 'serial', 'recordingId', 'number', 'seed'];
  // Well-formed JSON of the wrong shape (or bytes that are not UTF-8 in a string, read as U+FFFD): refused by the
  // route's own checks. NUL and other control characters in every text field a route might read.
  const WRONG_SHAPE: Buffer[] = [
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    Buffer.from(JSON.stringify(Object.fromEntries(TEXT_FIELDS.map((k) => [k, 'a\u0000b\u001b'])))),
    ...['[]', 'null', '"text"', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}', `${'['.repeat(5000)}${']'.repeat(5000)}`].map((t) => Buffer.from(t)),
  ];

  const concrete = (p: string) => p.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'format' ? 'html' : 'X-1'));
  /** The bytes exactly as given (supertest would serialize a Buffer sent as JSON); the answer with its JSON body. */
  const send = async (method: string, url: string, body: Buffer, type = 'application/json', token = tokens.admin) => {
    const res = await rawRequest(server.base, {
      method: method.toUpperCase(),
      path: url,
      headers: { ...bearer(token), 'Content-Type': type, 'Content-Length': String(body.length) },
      body,
      timeoutMs: 20_000,
    });
    const text = res.body.toString();
    return { status: res.status, headers: res.headers, body: (text.startsWith('{') ? JSON.parse(text) : {}) as { code?: string } };
  };

  test('every route that reads JSON answers 400 malformed_json to each malformed body, and 4xx to JSON of the wrong shape', async () => {
    const before = await tableCounts(env);
    const jsonRoutes = env.routes.filter((r) => r.body === 'json');
    expect(jsonRoutes.length).toBeGreaterThanOrEqual(15);
    const wrong: string[] = [];
    for (const route of jsonRoutes) {
      for (const [what, body] of MALFORMED) {
        const res = await send(route.method, concrete(route.path), body);
        if (res.status !== 400 || res.body.code !== 'malformed_json' || !isProblem(res)) wrong.push(`${route.method} ${route.path} ${what} → ${res.status} ${res.body.code}`);
      }
      for (const body of WRONG_SHAPE) {
        const res = await send(route.method, concrete(route.path), body);
        if (res.status < 400 || res.status >= 500 || !isProblem(res)) wrong.push(`${route.method} ${route.path} ${body.toString().slice(0, 30)} → ${res.status} ${res.body.code}`);
      }
      // A JSON body in a charset the parser does not know.
      const charset = await send(route.method, concrete(route.path), Buffer.from('{}'), 'application/json; charset=x-unknown');
      if (charset.status !== 415) wrong.push(`${route.method} ${route.path} unknown charset → ${charset.status}`);
    }
    expect(wrong).toEqual([]);
    // The login route is public: its body is read without credentials, and still refused the same way.
    const login = await rawRequest(server.base, { method: 'POST', path: '/api/auth/login', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"username": '), timeoutMs: 20_000 }).then((r) => ({ status: r.status, body: JSON.parse(r.body.toString()) }));
    expect([login.status, login.body.code]).toEqual([400, 'malformed_json']);
    expect(await tableCounts(env)).toEqual(before);
  });

  test('routes that read CSV, multipart or no body answer a JSON body (malformed or not) without a server error; CSV ones with 415', async () => {
    const others = env.routes.filter((r) => r.body !== 'json' && r.method !== 'get' && r.method !== 'head');
    expect(others.filter((r) => r.body === 'csv').length).toBeGreaterThanOrEqual(2);
    const wrong: string[] = [];
    for (const route of others) {
      for (const [what, body] of [...MALFORMED, ['valid', Buffer.from('{"a": 1}')] as [string, Buffer]]) {
        // A route that reads no body may do what it does (logout ends the session): each call gets a session of its own.
        const { token } = await issueToken(env.ctx.pool, adminId, 'session', 60_000);
        const res = await send(route.method, concrete(route.path), body, 'application/json', token);
        if (res.status >= 500 || (route.body === 'csv' && res.status !== 415)) wrong.push(`${route.method} ${route.path} ${what} → ${res.status} ${res.body.code}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('malformed CSV', () => {
  const DIRECTORY_HEADER = 'unit_code,unit_name,badge_no,officer_name,recorder_serial,assigned_from';
  const CASE_HEADER = 'case_no,case_kind,case_status,unit_code,activity_key,activity_type,badge_nos,started_at,ended_at,location';
  const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const gzip = Buffer.from('1f8b0800000000000003cb48cdc9c95728cf2fca49010085114a0d0b000000', 'hex');
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) % 256))]);

  const IMPORTS: [string, string, string][] = [
    ['/api/directory/import', DIRECTORY_HEADER, 'ZF7,u,300001,o,,'],
    ['/api/cases/import', CASE_HEADER, 'C-1,penalty,open,ZF1,A1,inspection,100001;100002,2026-03-01 09:00:00,2026-03-01 09:30:00,x'],
  ];

  test.each(IMPORTS)('%s: broken quotes, another encoding, binary, a BOM alone, a huge line → 400 naming what is wrong; nothing imported', async (url, header, row) => {
    const before = await tableCounts(env);
    // Binary is decoded as GB18030 (it is not UTF-8): a stray quote in it breaks the CSV before the header is judged.
    const BINARY = ['malformed_csv', 'invalid_header'];
    const cases: [string, Buffer, string | string[]][] = [
      ['an unclosed quote', Buffer.from(`${header}\r\n"${row}\r\n`), 'malformed_csv'],
      ['a quote inside an unquoted cell', Buffer.from(`${header}\r\n${row.replace(',', ',a"b"c')}\r\n`), 'malformed_csv'],
      ['UTF-16 with its BOM', utf16(`${header}\r\n${row}\r\n`), 'invalid_header'],
      ['gzip', gzip, BINARY],
      ['a PNG', png, BINARY],
      ['random bytes', randomBytes(4096), BINARY],
      ['a BOM alone', Buffer.from([0xef, 0xbb, 0xbf]), 'empty_csv'],
      ['blank lines only', Buffer.from('\r\n\r\n,,,\r\n'), 'empty_csv'],
      // A line of megabytes is no row of either spreadsheet: refused where it is met, not parsed whole.
      ['a 5 MB header line', Buffer.from(`${'h'.repeat(5 * 1024 * 1024)}\r\n${row}\r\n`), 'malformed_csv'],
      ['a 1 MB cell', Buffer.from(`${header}\r\n${row}\r\n${row.replace(/^[^,]*/, `"${'x'.repeat(1024 * 1024)}"`)}\r\n`), 'malformed_csv'],
      ['a NUL in the header', Buffer.from(`${header.replace(',', '\u0000,')}\r\n${row}\r\n`), 'invalid_header'],
    ];
    const wrong: string[] = [];
    for (const [what, body, code] of cases) {
      const res = await request(env.app).post(url).set(bearer(tokens.admin)).set('Content-Type', 'text/csv').send(body);
      if (res.status !== 400 || ![code].flat().includes(res.body.code) || !isProblem(res) || typeof res.body.detail !== 'string') wrong.push(`${what} → ${res.status} ${res.body.code}`);
    }
    // Not CSV by its type, or no body: 415.
    for (const [type, body] of [['application/json', Buffer.from('{}')], ['text/csv', Buffer.alloc(0)]] as const) {
      const res = await request(env.app).post(url).set(bearer(tokens.admin)).set('Content-Type', type).send(body);
      if (res.status !== 415) wrong.push(`${type} ${body.length} bytes → ${res.status} ${res.body.code}`);
    }
    expect(wrong).toEqual([]);
    expect(await tableCounts(env)).toEqual(before);
  });

  test.each(IMPORTS)('%s: rows with NUL bytes, escapes, an over-long cell or binary are reported by line, and none of them imported', async (url, header, row) => {
    const before = await tableCounts(env);
    const body = Buffer.concat([
      Buffer.from(`${header}\r\n`),
      Buffer.from(`${row.replace(/^[^,]*/, (c) => `${c}\u0000`)}\r\n`),
      Buffer.from(`${row.replace(/,[^,]*$/, `,"${'x'.repeat(10_000)}"`).replace(/,o,/, `,${'o'.repeat(10_000)},`)}\r\n`),
      Buffer.from(`${row.replace(/^[^,]*/, (c) => `${c}\u0007\u001b[2J`)}\r\n`),
      randomBytes(64).map((b) => (b === 0x0a || b === 0x0d || b === 0x22 || b === 0x2c ? 0x41 : b)),
      Buffer.from('\r\n'),
    ]);
    const res = await request(env.app).post(url).set(bearer(tokens.admin)).set('Content-Type', 'text/csv').send(body);
    expect(res.status).toBe(200);
    expect({ created: res.body.created, updated: res.body.updated }).toEqual({ created: 0, updated: 0 });
    expect(res.body.errors.map((e: { line: number }) => e.line)).toEqual([2, 3, 4, 5]);
    expect(await tableCounts(env)).toEqual(before);
  });
});
