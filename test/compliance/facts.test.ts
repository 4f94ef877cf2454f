import { createHash, randomUUID } from 'node:crypto';
import { activitiesInPeriod, loadActivityFacts } from '../../src/compliance/facts';
import type { ActivityFacts, FootageFacts } from '../../src/compliance/types';
import { inTransaction } from '../../src/db/pool';
import { assignRecorder } from '../../src/directory/recorders';
import { seedBureau } from '../support/bureau';
import { startTestEnv, type TestEnv } from '../support/harness';

let env: TestEnv;
let uploader: number;
const BUFFER_MS = 5 * 60_000;

beforeAll(async () => {
  env = await startTestEnv();
  await seedBureau(env);
  uploader = (await env.ctx.pool.query<{ id: number }>(`SELECT id FROM users WHERE username = 'dock-01'`)).rows[0]!.id;
}, 60_000);
afterAll(() => env?.close());

const q = <T extends object = Record<string, unknown>>(sql: string, values: unknown[] = []) => env.ctx.pool.query<T>(sql, values).then((r) => r.rows);
/** An instant in UTC on 2026-03-<day>: `at(2, '10:04:10')`. */
const at = (day: number, hms: string) => new Date(`2026-03-${String(day).padStart(2, '0')}T${hms}Z`);

async function insertCase(caseNo: string, unitCode: string): Promise<number> {
  const [row] = await q<{ id: number }>(
    `INSERT INTO cases (case_no, kind, status, unit_id) SELECT $1, 'penalty', 'open', id FROM units WHERE code = $2 RETURNING id`,
    [caseNo, unitCode],
  );
  return row!.id;
}

async function insertActivity(caseId: number, key: string, startedAt: Date, endedAt: Date, badgeNos: string[], type = 'inspection'): Promise<number> {
  const [row] = await q<{ id: number }>(`INSERT INTO case_activities (case_id, key, type, started_at, ended_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
    caseId,
    key,
    type,
    startedAt,
    endedAt,
  ]);
  await q(`INSERT INTO activity_officers (activity_id, officer_id) SELECT $1, id FROM officers WHERE badge_no = ANY($2::text[])`, [row!.id, badgeNos]);
  return row!.id;
}

/** A recording straight in the catalog (no bytes): under `badgeNo`, made on `serial`. */
async function insertRecording(
  serial: string,
  badgeNo: string,
  startedAt: Date,
  endedAt: Date | null,
  more: { seq?: number | null; dockedAt?: Date; status?: string } = {},
): Promise<string> {
  const id = randomUUID();
  const status = more.status ?? (endedAt ? 'ready' : 'unplayable');
  await q(
    `INSERT INTO recordings (id, sha256, size, filename, object_key, container, recorder_id, officer_id, started_at, ended_at, seq,
                             docked_at, uploaded_by, upload_method, status, deleted_at)
     SELECT $1::uuid, $2, 1000, $3, 'originals/' || $1::text, 'mp4', rc.id, o.id, $6, $7, $8, $9, $10, 'multipart', $11::text,
            CASE WHEN $11 = 'deleted' THEN now() END
       FROM recorders rc, officers o WHERE rc.serial = $4 AND o.badge_no = $5`,
    [
      id,
      createHash('sha256').update(id).digest('hex'),
      `${serial}_${badgeNo}_${startedAt.toISOString()}.MP4`,
      serial,
      badgeNo,
      startedAt,
      endedAt,
      more.seq ?? null,
      more.dockedAt ?? new Date(startedAt.getTime() + 8 * 3_600_000),
      uploader,
      status,
    ],
  );
  return id;
}

const footageOf = (facts: ActivityFacts, badgeNo: string): FootageFacts[] => facts.officers.find((o) => o.badgeNo === badgeNo)!.footage;
const idsOf = (footage: FootageFacts[]) => footage.map((f) => f.recordingId);

test('F(A, O): own badge, the buffer\'s edges included, unknown ends, recorder assigned to O, links, unlinks and the latest audit', async () => {
  // Day 2, 10:00–10:20 UTC, officers 100001 and 100002 (ZF1); the buffer is 5 min.
  const caseId = await insertCase('某交执罚〔2026〕11号', 'ZF1');
  const otherCase = await insertCase('某交执罚〔2026〕12号', 'ZF1');
  const activityId = await insertActivity(caseId, 'A1', at(2, '10:00:00'), at(2, '10:20:00'), ['100001', '100002']);

  const own = await insertRecording('DSJ0001', '100001', at(2, '10:00:00'), at(2, '10:10:00'), { seq: 2 });
  const endsAtBuffer = await insertRecording('DSJ0001', '100001', at(2, '09:50:00'), at(2, '09:55:00'), { seq: 1 });
  await insertRecording('DSJ0001', '100001', at(2, '09:40:00'), at(2, '09:54:59.999'));
  const startsAtBuffer = await insertRecording('DSJ0001', '100001', at(2, '10:25:00'), null); // unknown end: a point at its start
  await insertRecording('DSJ0001', '100001', at(2, '10:25:00.001'), at(2, '10:40:00'));
  const deleted = await insertRecording('DSJ0001', '100001', at(2, '10:10:00'), at(2, '10:20:00'), { seq: 4, status: 'deleted' });
  // Recorded under 200001's badge, who took no part, on DSJ0002: 100002's recorder at the time.
  const onTheirRecorder = await insertRecording('DSJ0002', '200001', at(2, '10:05:00'), at(2, '10:15:00'));
  // 200001's own footage on their own recorder is nobody's here.
  const stranger = await insertRecording('DSJ0003', '200001', at(2, '10:05:00'), at(2, '10:15:00'));

  await q(`INSERT INTO case_links (case_id, recording_id, source, linked_by) VALUES ($1, $2, 'auto', 'system'), ($3, $4, 'auto', 'system')`, [caseId, own, otherCase, startsAtBuffer]);
  await q(`INSERT INTO case_unlinks (case_id, recording_id, reason, unlinked_by) VALUES ($1, $2, '另一起案件', 'sup-zf1')`, [caseId, endsAtBuffer]);
  // The latest audit by time, whatever the insertion order.
  await q(
    `INSERT INTO integrity_audits (recording_id, checked_at, result) VALUES ($1, $2, 'mismatch'), ($1, $3, 'ok'), ($4, $3, 'missing'), ($4, $2, 'ok')`,
    [own, at(20, '00:00:00'), at(10, '00:00:00'), onTheirRecorder],
  );

  const [facts] = await loadActivityFacts(env.ctx.pool, [activityId], BUFFER_MS);
  expect(facts).toMatchObject({
    activityId,
    caseId,
    caseNo: '某交执罚〔2026〕11号',
    activityKey: 'A1',
    type: 'inspection',
    unitCode: 'ZF1',
    startedAt: at(2, '10:00:00'),
    endedAt: at(2, '10:20:00'),
  });
  expect(facts!.officers.map((o) => [o.badgeNo, o.name])).toEqual([
    ['100001', '张三'],
    ['100002', '李四'],
  ]);

  const f1 = footageOf(facts!, '100001');
  // In start order; exactly at either edge of the buffer is in, a millisecond beyond is out; deleted footage is in.
  expect(idsOf(f1)).toEqual([endsAtBuffer, own, deleted, startsAtBuffer]);
  expect(f1.find((f) => f.recordingId === own)).toMatchObject({
    recorderSerial: 'DSJ0001',
    recorderAssignedTo: '100001',
    seq: 2,
    status: 'ready',
    linkedToCase: true,
    unlinkedByHand: null,
    audit: { result: 'mismatch', checkedAt: at(20, '00:00:00') },
    endedAt: at(2, '10:10:00'),
    dockedAt: at(2, '18:00:00'),
  });
  expect(f1.find((f) => f.recordingId === endsAtBuffer)).toMatchObject({ linkedToCase: false, unlinkedByHand: { by: 'sup-zf1', reason: '另一起案件' }, audit: null });
  // Linked to another case only: not linked to this one.
  expect(f1.find((f) => f.recordingId === startsAtBuffer)).toMatchObject({ endedAt: null, status: 'unplayable', linkedToCase: false, unlinkedByHand: null });
  expect(f1.find((f) => f.recordingId === deleted)).toMatchObject({ status: 'deleted', seq: 4 });

  const f2 = footageOf(facts!, '100002');
  expect(idsOf(f2)).toEqual([onTheirRecorder]);
  expect(f2[0]).toMatchObject({ recorderSerial: 'DSJ0002', recorderAssignedTo: '100002', audit: { result: 'ok', checkedAt: at(20, '00:00:00') } });
  expect(idsOf([...f1, ...f2])).not.toContain(stranger);

  // A wider buffer takes the rest in; none takes only what overlaps the window itself.
  const [wide] = await loadActivityFacts(env.ctx.pool, [activityId], 30 * 60_000);
  expect(footageOf(wide!, '100001')).toHaveLength(6);
  const [none] = await loadActivityFacts(env.ctx.pool, [activityId], 0);
  expect(idsOf(footageOf(none!, '100001'))).toEqual([own, deleted]);
});

test('a recorder reassigned mid-activity: each recording goes by the assignment at its start', async () => {
  // Day 3, 10:00–10:20 UTC, officers 100002 and 200001. At 10:10 DSJ0003 passes from 200001 to 100002
  // (which also ends 100002's hold on DSJ0002 there).
  const caseId = await insertCase('某交执罚〔2026〕13号', 'ZF1');
  const activityId = await insertActivity(caseId, 'A1', at(3, '10:00:00'), at(3, '10:20:00'), ['100002', '200001']);
  await inTransaction(env.ctx.pool, (c) => assignRecorder(c, 'DSJ0003', { badgeNo: '100002', from: at(3, '10:10:00') }));

  // 100002 picked up DSJ0003 early and started at 10:05 under their badge: still 200001's recorder then.
  const early = await insertRecording('DSJ0003', '100002', at(3, '10:05:00'), at(3, '10:10:00'));
  // After the change, under 200001's badge on DSJ0003: 100002's recorder by then.
  const later = await insertRecording('DSJ0003', '200001', at(3, '10:10:00'), at(3, '10:20:00'));
  const [facts] = await loadActivityFacts(env.ctx.pool, [activityId], BUFFER_MS);

  const f2 = footageOf(facts!, '100002');
  expect(f2.map((f) => [f.recordingId, f.recorderAssignedTo])).toEqual([
    [early, '200001'],
    [later, '100002'],
  ]);
  // 200001: `early` was on their recorder at its start, `later` under their badge.
  expect(footageOf(facts!, '200001').map((f) => [f.recordingId, f.recorderAssignedTo])).toEqual([
    [early, '200001'],
    [later, '100002'],
  ]);
});

test('activities come back in the order asked, unknown ids left out; an activity without footage has empty footage', async () => {
  const caseId = await insertCase('某交执罚〔2026〕14号', 'ZF2');
  const a = await insertActivity(caseId, 'A1', at(5, '10:00:00'), at(5, '10:00:00'), ['200001'], 'other');
  const b = await insertActivity(caseId, 'A2', at(5, '11:00:00'), at(5, '11:30:00'), ['200001']);
  const facts = await loadActivityFacts(env.ctx.pool, [b, 999_999, a], BUFFER_MS);
  expect(facts.map((f) => [f.activityId, f.activityKey, f.unitCode, f.type])).toEqual([
    [b, 'A2', 'ZF2', 'inspection'],
    [a, 'A1', 'ZF2', 'other'],
  ]);
  expect(facts.every((f) => f.officers.length === 1 && f.officers[0]!.footage.length === 0)).toBe(true);
  expect(await loadActivityFacts(env.ctx.pool, [], BUFFER_MS)).toEqual([]);
});

test('activitiesInPeriod: cases of the units in scope, start in [from, to)', async () => {
  const zf1 = await insertCase('某交执罚〔2026〕21号', 'ZF1');
  const zf2 = await insertCase('某交执罚〔2026〕22号', 'ZF2');
  const first = await insertActivity(zf1, 'A1', at(10, '00:00:00'), at(10, '00:30:00'), ['100001']);
  const second = await insertActivity(zf2, 'A1', at(11, '12:00:00'), at(11, '12:30:00'), ['200001']);
  await insertActivity(zf1, 'A2', at(12, '00:00:00'), at(12, '00:30:00'), ['100001']); // starts at `to`: out
  await insertActivity(zf1, 'A0', at(9, '23:00:00'), at(10, '01:00:00'), ['100001']); // starts before `from`: out

  const period = { from: at(10, '00:00:00'), to: at(12, '00:00:00') };
  expect(await activitiesInPeriod(env.ctx.pool, { ...period, unitCodes: null })).toEqual([
    { activityId: first, caseNo: '某交执罚〔2026〕21号', activityKey: 'A1', unitCode: 'ZF1' },
    { activityId: second, caseNo: '某交执罚〔2026〕22号', activityKey: 'A1', unitCode: 'ZF2' },
  ]);
  expect((await activitiesInPeriod(env.ctx.pool, { ...period, unitCodes: ['ZF2'] })).map((a) => a.activityId)).toEqual([second]);
  expect(await activitiesInPeriod(env.ctx.pool, { ...period, unitCodes: [] })).toEqual([]);
});
