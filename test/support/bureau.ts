import { inTransaction } from '../../src/db/pool';
import { createOfficer } from '../../src/directory/officers';
import { assignRecorder, createRecorder } from '../../src/directory/recorders';
import { createUnit } from '../../src/directory/units';
import { userWithToken, type TestEnv } from './harness';

/** A small bureau: two units, three officers each with a recorder since always, and one user per role. */
export async function seedBureau(env: TestEnv) {
  await inTransaction(env.ctx.pool, async (c) => {
    await createUnit(c, { code: 'ZF1', name: '执法一股' });
    await createUnit(c, { code: 'ZF2', name: '执法二股' });
    for (const [badgeNo, name, unitCode, serial] of [
      ['100001', '张三', 'ZF1', 'DSJ0001'],
      ['100002', '李四', 'ZF1', 'DSJ0002'],
      ['200001', '王五', 'ZF2', 'DSJ0003'],
    ] as const) {
      await createOfficer(c, { badgeNo, name, unitCode, from: null });
      await createRecorder(c, { serial });
      await assignRecorder(c, serial, { badgeNo, from: 'initial' });
    }
  });
  return {
    admin: await userWithToken(env, 'root', 'admin'),
    station: await userWithToken(env, 'dock-01', 'station'),
    officer: await userWithToken(env, 'zhangsan', 'officer', { badgeNo: '100001' }),
    supervisorZF1: await userWithToken(env, 'sup-zf1', 'supervisor', { unitCode: 'ZF1' }),
    supervisorZF2: await userWithToken(env, 'sup-zf2', 'supervisor', { unitCode: 'ZF2' }),
  };
}
