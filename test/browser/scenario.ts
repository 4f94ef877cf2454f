import request from 'supertest';
import { makeClip } from '../fixtures/clips';
import { settle } from '../support/settle';
import type { WorkingSystem } from '../support/working-system';

export const CASE_NO = '某交执罚〔2026〕208号';

export interface Scenario {
  caseNo: string;
  /** The footage linked to the case, oldest first: officer 100001's, then 100002's. */
  recordingIds: string[];
  /** Footage of 100001 the same afternoon, not linked to any case. */
  unlinkedId: string;
}

/**
 * A roadside inspection on 3 February 2026 (ZF1, officers 100001 and 100002, 10:00–10:20), the footage of
 * both docked at dock-01 and auto-linked, plus an unrelated clip: enough for every journey of the web UI.
 */
export async function seedScenario(system: WorkingSystem, opts: { seconds?: number } = {}): Promise<Scenario> {
  const { env, tokens, dir } = system;
  const seconds = opts.seconds ?? 8;
  const dock = async (name: string) => {
    // 320x240 H.264/AAC: the proxy plays in Debian's Chromium and the sprite has tiles to scrub.
    const clip = await makeClip(dir, name, { seconds, size: '320x240' });
    const res = await request(env.app)
      .post('/api/recordings')
      .set('Authorization', `Bearer ${tokens.station}`)
      .field('dockedAt', '2026-02-03T18:30:00+08:00')
      .attach('file', clip);
    if (res.status !== 201) throw new Error(`docking ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.recordings[0].id as string;
  };
  const first = await dock('DSJ0001_20260203_100100_0001.MP4');
  const second = await dock('DSJ0002_20260203_100500_0001.MP4');
  const unlinkedId = await dock('DSJ0001_20260203_150000_0002.MP4');
  const put = await request(env.app)
    .put(`/api/cases/${encodeURIComponent(CASE_NO)}`)
    .set('Authorization', `Bearer ${tokens.integration}`)
    .send({
      title: 'G205 国道超限运输检查',
      kind: 'penalty',
      status: 'open',
      unitCode: 'ZF1',
      activities: [
        {
          key: 'A1',
          type: 'inspection',
          badgeNos: ['100001', '100002'],
          startedAt: '2026-02-03T10:00:00+08:00',
          endedAt: '2026-02-03T10:20:00+08:00',
          location: 'G205 国道 K12',
        },
      ],
    });
  if (put.status !== 201) throw new Error(`case: ${put.status} ${JSON.stringify(put.body)}`);
  await settle(env, 60_000);
  return { caseNo: CASE_NO, recordingIds: [first, second], unlinkedId };
}
