import request from 'supertest';
import { decodeCsv } from '../../src/csv/decode';
import { readDirectoryRow } from '../../src/directory/import';
import { startTestEnv, userWithToken, type TestEnv } from '../support/harness';

let env: TestEnv;
let admin: string;

beforeAll(async () => {
  env = await startTestEnv();
  admin = await userWithToken(env, 'root', 'admin');
});
afterAll(() => env.close());

const HEADER = 'unit_code,unit_name,badge_no,officer_name,recorder_serial,assigned_from';
const upload = (body: Buffer | string, type = 'text/csv') =>
  request(env.app).post('/api/directory/import').set('Authorization', `Bearer ${admin}`).set('Content-Type', type).send(Buffer.from(body));
const get = (path: string) => request(env.app).get(path).set('Authorization', `Bearer ${admin}`);

describe('decoding', () => {
  test('UTF-8 with and without BOM, and GB18030 as Excel writes it', () => {
    const text = '执法一股,张三';
    expect(decodeCsv(Buffer.from(text))).toBe(text);
    expect(decodeCsv(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toBe(text);
    // GB18030 bytes of the same text (ASCII comma kept).
    const gb = Buffer.from([0xd6, 0xb4, 0xb7, 0xa8, 0xd2, 0xbb, 0xb9, 0xc9, 0x2c, 0xd5, 0xc5, 0xc8, 0xfd]);
    expect(decodeCsv(gb)).toBe(text);
  });

  test('row checks are pure and say what is wrong', () => {
    expect(readDirectoryRow({ unit_code: 'ZF1', badge_no: '1_2' }, 'Asia/Shanghai')).toMatchObject({ code: 'invalid_badge_no' });
    expect(readDirectoryRow({ unit_code: 'ZF1', badge_no: '100001', assigned_from: 'yesterday' }, 'Asia/Shanghai')).toMatchObject({
      code: 'invalid_assigned_from',
    });
    expect(readDirectoryRow({ unit_code: 'ZF1', badge_no: '100001', assigned_from: '2025-01-01 08:00:00' }, 'Asia/Shanghai')).toMatchObject({
      assignedFrom: new Date('2025-01-01T00:00:00Z'),
    });
  });
});

describe('POST /api/directory/import', () => {
  const SHEET = [
    HEADER,
    'ZF1,执法一股,100001,张三,DSJ0001,',
    'ZF1,执法一股,100002,李四,DSJ0002,',
    'ZF2,执法二股,200001,王五,DSJ0003,2025-01-01 08:00:00',
    'ZF2,执法二股,200_02,赵六,DSJ0004,', // bad badge
    'ZF3,,300001,孙七,,', // new unit without a name
    'ZF2,执法二股,200003,,DSJ0005,', // new officer without a name
    'ZF2,执法二股,200004,周八,DSJ0003,', // DSJ0003 is on line 4 already
    'ZF2,执法二股,200001,王五,,', // and so is 200001
    'ZF1,执法1股,100005,吴九,,', // ZF1 has another name on line 2
    ',,,,,', // what Excel leaves below a table
    ',,,,,',
  ].join('\r\n');

  test('a bureau spreadsheet in GB18030 creates units, officers, recorders and assignments; bad rows are reported by line', async () => {
    const res = await upload(encodeGb18030(SHEET));
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([
      { line: 5, code: 'invalid_badge_no', detail: expect.any(String) },
      { line: 6, code: 'unknown_unit', detail: expect.stringContaining('unit_name') },
      { line: 7, code: 'officer_name_required', detail: expect.any(String) },
      { line: 8, code: 'duplicate_recorder_serial', detail: expect.stringContaining('line 4') },
      { line: 9, code: 'duplicate_badge_no', detail: expect.stringContaining('line 4') },
      { line: 10, code: 'conflicting_unit_name', detail: expect.stringContaining('line 2') },
    ]);
    expect(res.body.created).toBe(3);
    expect(res.body.updated).toBe(0);

    const units = await get('/api/units');
    expect(units.body.items).toEqual([
      { code: 'ZF1', name: '执法一股', active: true },
      { code: 'ZF2', name: '执法二股', active: true },
    ]);
    const zhang = await get('/api/officers/100001');
    expect(zhang.body).toMatchObject({ name: '张三', unitCode: 'ZF1', recorderSerial: 'DSJ0001' });
    expect(zhang.body.units[0].from).toBeNull(); // since before the system knew
    expect(zhang.body.recorders).toEqual([{ recorderSerial: 'DSJ0001', from: null, to: null }]);
    const dsj3 = await get('/api/recorders/DSJ0003');
    expect(dsj3.body.assignments).toEqual([{ badgeNo: '200001', from: '2025-01-01T00:00:00.000Z', to: null }]);
    // The failed rows left nothing behind.
    expect((await get('/api/officers/200003')).status).toBe(404);
    expect((await get('/api/recorders/DSJ0005')).status).toBe(404);
    expect((await get('/api/officers/100005')).status).toBe(404);
  });

  test('the whole sheet imported again changes nothing and reports the same bad rows', async () => {
    const again = await upload(encodeGb18030(SHEET));
    expect(again.body.created).toBe(0);
    expect(again.body.updated).toBe(0);
    expect(again.body.errors.map((e: { line: number }) => e.line)).toEqual([5, 6, 7, 8, 9, 10]);
  });

  test('a quoted cell with a line break and commas keeps the line numbers right', async () => {
    const res = await upload(`${HEADER}\r\nZF1,"执法一股",100001,"张\r\n三",,\r\nZF1,执法一股,1_1,x,,\r\nZF2,执法二股,200001,"王五, 队长",,\r\n`);
    // A name with a line break in it is refused (no control characters in names); the lines stay true.
    expect(res.body.errors).toEqual([
      { line: 2, code: 'invalid_officer_name', detail: expect.any(String) },
      { line: 4, code: 'invalid_badge_no', detail: expect.any(String) },
    ]);
    expect((await get('/api/officers/200001')).body.name).toBe('王五, 队长');
  });

  test('importing the same sheet again changes nothing; a transfer is an update with history', async () => {
    const again = await upload(`\ufeff${HEADER}\nZF1,执法一股,100001,,DSJ0001,\nZF1,执法一股,100002,李四,DSJ0002,\n`);
    expect(again.body).toEqual({ created: 0, updated: 0, errors: [] });
    const moved = await upload(`${HEADER}\nZF2,执法二股,100002,李四,DSJ0002,2026-02-01T09:00:00+08:00\n`);
    expect(moved.body).toEqual({ created: 0, updated: 1, errors: [] });
    const li = await get('/api/officers/100002');
    expect(li.body.units).toEqual([
      expect.objectContaining({ unitCode: 'ZF1', from: null, to: '2026-02-01T01:00:00.000Z' }),
      expect.objectContaining({ unitCode: 'ZF2', from: '2026-02-01T01:00:00.000Z', to: null }),
    ]);
  });

  test('a missing column, a non-CSV body and an empty body are refused whole', async () => {
    const noColumn = await upload('unit_code,unit_name,badge_no\nZF9,x,900001\n');
    expect(noColumn.status).toBe(400);
    expect(noColumn.body.code).toBe('invalid_header');
    expect((await upload('{}', 'application/json')).status).toBe(415);
    expect((await upload('')).status).toBe(415);
    expect((await upload(`${HEADER}\n"unterminated,x\n`)).body.code).toBe('malformed_csv');
    expect((await get('/api/units')).body.items.map((u: { code: string }) => u.code)).not.toContain('ZF9');
  });
});

// GB18030 encoding for the test fixture: Node decodes GB18030 but cannot encode it, so map the few
// characters used here through a table built by decoding every two-byte GBK code.
function encodeGb18030(text: string): Buffer {
  const table = new Map<string, number[]>();
  const decoder = new TextDecoder('gb18030');
  for (let hi = 0x81; hi <= 0xfe; hi++) {
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      const ch = decoder.decode(Uint8Array.from([hi, lo]));
      if (!table.has(ch)) table.set(ch, [hi, lo]);
    }
  }
  const bytes: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) bytes.push(ch.charCodeAt(0));
    else bytes.push(...(table.get(ch) ?? (() => { throw new Error(`no GB18030 code for ${ch}`); })()));
  }
  return Buffer.from(bytes);
}
