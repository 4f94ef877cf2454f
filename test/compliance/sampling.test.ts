import { dealInspectors, drawSample, inspectorKey, rankKey, ratioBasisPoints, sampleSize, type PoolInspector } from '../../src/compliance/sampling';

// The expected keys below were computed outside this code base, once, with OpenSSL (UTF-8 locale):
//   printf '%s' '某交执罚〔2026〕1号/A1' | openssl dgst -sha256 -hmac '抽查-2026-03'
// so the test does not check the implementation against itself.
const SEED = '抽查-2026-03';
const KEYS = {
  'ZF1-2026-003/X': '8d75a877cb7d19766de351b93bd5bac4143cbe241b3fc678bf525131f69eb9ac',
  '某交执罚〔2026〕1号/A1': 'd25fd7d143b27938c66679460727d5b2a15bad3afdd7f864c384166117d9a096',
  '某交执罚〔2026〕2号/A1': 'e4149d94da60c1db2750584de4ad839146cf499b032afa7766d459a6b86ab84a',
  '某交执罚〔2026〕1号/A2': 'e4c22895a1aec6d19a783f7eee20bcd65d83c39a0978a8543f6575340b8d28b4',
  'ZF2-9/B': '0bfe1e334b3b5fcc8e75352b20bc05242c7aa559d34d1ea8fa9ef7ba8c1c29bc',
  '某交执罚〔2026〕7号/A1': 'c11873b53f53dc357ab634b7f3dba18ac7d5b29d97e2e6d8bf6708640930120a',
} as const;
const INSPECTOR_KEYS = {
  'rev-zf1': '1a452e33ea7e7ad7a2c52f543e101d6143e53ccc719ce67d64528dad8b3655a1',
  'sup-zf2': '201e3479b4e0f64595a8c0a1722801d84b348a00344162783da11e486a9dd59c',
  'rev-all': 'bfcd9d2feb206c2ec48f15985ce96d9051a35cfd6f9092aa92163099b15800e7',
  'sup-zf1': 'daef2ffdada785b0ec43a959b71d2fd02fca3a855d949ea8d559ebe5bd6ccc27',
} as const;

const act = (unitCode: string, caseNo: string, activityKey: string) => ({ unitCode, caseNo, activityKey });
// Deliberately not in any sorted order.
const POPULATION = [
  act('ZF2', '某交执罚〔2026〕7号', 'A1'),
  act('ZF1', '某交执罚〔2026〕1号', 'A2'),
  act('ZF1', '某交执罚〔2026〕1号', 'A1'),
  act('ZF2', 'ZF2-9', 'B'),
  act('ZF1', 'ZF1-2026-003', 'X'),
  act('ZF1', '某交执罚〔2026〕2号', 'A1'),
];
const ids = (sample: { caseNo: string; activityKey: string }[]) => sample.map((s) => `${s.caseNo}/${s.activityKey}`);

test('rank and inspector keys are the lowercase hex HMAC-SHA256 of the UTF-8 seed and message', () => {
  for (const [message, key] of Object.entries(KEYS)) {
    const slash = message.lastIndexOf('/');
    expect(rankKey(SEED, message.slice(0, slash), message.slice(slash + 1))).toBe(key);
  }
  for (const [username, key] of Object.entries(INSPECTOR_KEYS)) expect(inspectorKey(SEED, username)).toBe(key);
});

test('a known seed draws the hand-computed sample: per unit by rank key, listed by unit code then rank key', () => {
  // ZF1 ranks 8d75 (003/X) < d25f (1号/A1) < e414 (2号/A1) < e4c2 (1号/A2); ZF2 ranks 0bfe (9/B) < c118 (7号/A1).
  // ratio 0.5: ZF1 n=4 → k=2, ZF2 n=2 → k=1.
  const half = drawSample(POPULATION, { mode: 'ratio', value: 0.5 }, SEED);
  expect(ids(half)).toEqual(['ZF1-2026-003/X', '某交执罚〔2026〕1号/A1', 'ZF2-9/B']);
  expect(half.map((s) => s.rankKey)).toEqual([KEYS['ZF1-2026-003/X'], KEYS['某交执罚〔2026〕1号/A1'], KEYS['ZF2-9/B']]);
  expect(half.map((s) => s.unitCode)).toEqual(['ZF1', 'ZF1', 'ZF2']);

  const three = drawSample(POPULATION, { mode: 'perUnit', value: 3 }, SEED);
  expect(ids(three)).toEqual(['ZF1-2026-003/X', '某交执罚〔2026〕1号/A1', '某交执罚〔2026〕2号/A1', 'ZF2-9/B', '某交执罚〔2026〕7号/A1']);
});

test('the sample does not depend on the order the population comes in, and a different seed draws differently', () => {
  const a = drawSample(POPULATION, { mode: 'perUnit', value: 2 }, SEED);
  const b = drawSample([...POPULATION].reverse(), { mode: 'perUnit', value: 2 }, SEED);
  expect(b).toEqual(a);
  expect(drawSample(POPULATION, { mode: 'perUnit', value: 2 }, SEED)).toEqual(a);
  const other = drawSample(POPULATION, { mode: 'perUnit', value: 2 }, 'another seed');
  expect(other.map((s) => s.rankKey)).not.toEqual(a.map((s) => s.rankKey));
  expect(drawSample([], { mode: 'ratio', value: 0.1 }, SEED)).toEqual([]);
});

test.each([
  // ratio r: k = ceil(round(r × 10000) × n / 10000), at least 1 where n ≥ 1
  ['ratio', 0.1, 0, 0],
  ['ratio', 0.1, 1, 1],
  ['ratio', 0.1, 9, 1],
  ['ratio', 0.1, 10, 1],
  ['ratio', 0.1, 11, 2],
  ['ratio', 0.1, 20, 2],
  ['ratio', 0.1, 21, 3],
  ['ratio', 0.0001, 1, 1],
  ['ratio', 0.0001, 10_000, 1],
  ['ratio', 0.0001, 10_001, 2],
  ['ratio', 0.3, 10, 3], // 0.3 × 10 is 3.0000000000000004 in floating point: the integer form gives 3, not 4
  ['ratio', 0.07, 100, 7], // 0.07 × 100 is 7.000000000000001
  ['ratio', 1, 7, 7],
  // perUnit v: min(v, n)
  ['perUnit', 5, 3, 3],
  ['perUnit', 5, 5, 5],
  ['perUnit', 5, 8, 5],
  ['perUnit', 1, 0, 0],
] as const)('sampleSize(%s, %d, n=%d) = %d', (mode, value, n, k) => {
  expect(sampleSize(mode, value, n)).toBe(k);
});

test('a ratio with more than 4 decimals, outside (0, 1], or a perUnit that is not a whole number is refused', () => {
  expect(ratioBasisPoints(0.1234)).toBe(1234);
  expect(ratioBasisPoints(0.0001)).toBe(1);
  expect(ratioBasisPoints(0.12345)).toBeNull();
  expect(ratioBasisPoints(0.00005)).toBeNull();
  expect(ratioBasisPoints(0)).toBeNull();
  expect(ratioBasisPoints(1.0001)).toBeNull();
  expect(() => sampleSize('ratio', 0.12345, 10)).toThrow(RangeError);
  expect(() => sampleSize('perUnit', 1.5, 10)).toThrow(RangeError);
  expect(() => sampleSize('perUnit', 0, 10)).toThrow(RangeError);
  expect(() => sampleSize('ratio', 0.1, -1)).toThrow(RangeError);
});

describe('dealing inspectors', () => {
  const pool: PoolInspector[] = [
    { username: 'sup-zf1', ownUnitCode: 'ZF1' },
    { username: 'rev-all', ownUnitCode: null },
    { username: 'sup-zf2', ownUnitCode: 'ZF2' },
    { username: 'rev-zf1', ownUnitCode: 'ZF1' },
  ];

  test('the pool in key order, items dealt round-robin, an inspector of the item\'s own unit skipped', () => {
    // Pool order by key: rev-zf1 (1a45) < sup-zf2 (201e) < rev-all (bfcd) < sup-zf1 (daef).
    // Items: ZF1, ZF1, ZF1, ZF2, ZF2 (the perUnit-3 sample above).
    //  1 ZF1: rev-zf1 skipped (ZF1) → sup-zf2      2 ZF1: → rev-all
    //  3 ZF1: sup-zf1 and rev-zf1 skipped → sup-zf2  4 ZF2: → rev-all    5 ZF2: → sup-zf1
    const items = drawSample(POPULATION, { mode: 'perUnit', value: 3 }, SEED);
    const dealt = dealInspectors(items, pool, SEED);
    expect(dealt).toEqual(['sup-zf2', 'rev-all', 'sup-zf2', 'rev-all', 'sup-zf1']);
    expect(dealInspectors(items, [...pool].reverse(), SEED)).toEqual(dealt);
    items.forEach((item, i) => expect(pool.find((p) => p.username === dealt[i])!.ownUnitCode).not.toBe(item.unitCode));
  });

  test('an item every inspector of the pool would be skipped for stays unassigned, and the turn does not move', () => {
    const sameUnit = pool.filter((p) => p.ownUnitCode === 'ZF1'); // order: rev-zf1, sup-zf1
    const items = [{ unitCode: 'ZF1' }, { unitCode: 'ZF2' }, { unitCode: 'ZF1' }, { unitCode: 'ZF2' }, { unitCode: 'ZF2' }];
    expect(dealInspectors(items, sameUnit, SEED)).toEqual([null, 'rev-zf1', null, 'sup-zf1', 'rev-zf1']);
  });

  test('no pool: nobody is assigned', () => {
    expect(dealInspectors([{ unitCode: 'ZF1' }, { unitCode: 'ZF2' }], [], SEED)).toEqual([null, null]);
    expect(dealInspectors([], pool, SEED)).toEqual([]);
  });
});
