import path from 'node:path';
import request from 'supertest';
import { originalKey } from '../../storage/keys';
import { makeClip } from '../fixtures/clips';
import type { TestEnv } from '../support/harness';

/** A docking station of a test system: each call docks one small real clip through the API. */
export function docker(env: TestEnv, stationToken: string, dir: string) {
  let clips = 0;
  return async (): Promise<{ id: string; sha256: string; size: number; file: string }> => {
    clips++;
    const clip = await makeClip(dir, `DSJ0001_20260110_${String(8 + clips).padStart(2, '0')}0000_0001.MP4`);
    const res = await request(env.app).post('/api/recordings').set('Authorization', `Bearer ${stationToken}`).attach('file', clip);
    if (res.status !== 201) throw new Error(`docking failed: ${res.status} ${JSON.stringify(res.body)}`);
    const { id, sha256, size } = res.body.recordings[0];
    return { id, sha256, size, file: clip };
  };
}

/** The original's file in a filesystem store (DATA_DIR/objects/<key>). */
export const storedFile = (dataDir: string, id: string) => path.join(dataDir, 'objects', ...originalKey(id).split('/'));
