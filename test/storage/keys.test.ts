import {
  assertValidKey,
  assertValidPrefix,
  derivedKey,
  derivedPrefix,
  MAX_KEY_LENGTH,
  originalKey,
} from '../../storage/keys';

describe('assertValidKey', () => {
  it.each([
    'a',
    'originals/01/0123456789abcdef',
    'derived/ab/ab12/proxy.mp4',
    'A-Z_a-z.0-9',
    'x.',
    'a/b..c/d',
  ])('accepts %s', (key) => {
    expect(() => assertValidKey(key)).not.toThrow();
  });

  it.each([
    ['', /empty/],
    ['/abs', /relative/],
    ['a//b', /bad segment ""/],
    ['a/', /bad segment ""/],
    ['./a', /bad segment "\."/],
    ['a/../b', /bad segment "\.\."/],
    ['..', /bad segment/],
    ['.incoming/x', /do not start with a dot/],
    ['a/.hidden', /bad segment "\.hidden"/],
    ['a b', /bad segment "a b"/],
    ['a\\b', /bad segment/],
    ['ключ', /bad segment/],
    ['a%2Fb', /bad segment/],
    ['a\nb', /bad segment/],
  ])('refuses %j', (key, message) => {
    expect(() => assertValidKey(key)).toThrow(message);
  });

  it('refuses keys longer than the limit and accepts one exactly at it', () => {
    expect(() => assertValidKey('k'.repeat(MAX_KEY_LENGTH))).not.toThrow();
    expect(() => assertValidKey('k'.repeat(MAX_KEY_LENGTH + 1))).toThrow(/more than 512/);
  });

  it('throws a plain Error', () => {
    try {
      assertValidKey('../x');
      throw new Error('did not throw');
    } catch (err) {
      expect((err as Error).constructor).toBe(Error);
    }
  });
});

describe('assertValidPrefix', () => {
  it.each(['', 'originals/', 'originals/a', 'derived/ab/abc/'])('accepts %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).not.toThrow();
  });
  it.each(['/', '/originals', 'a//', '../', 'a/../b/'])('refuses %j', (prefix) => {
    expect(() => assertValidPrefix(prefix)).toThrow(/list prefix/);
  });
});

describe('key layout', () => {
  const id = '3f2c9a1e-7b4d-4c1a-9e2f-0a1b2c3d4e5f';

  it('puts originals under two characters of the id', () => {
    expect(originalKey(id)).toBe(`originals/3f/${id}`);
  });

  it('puts derived files in a folder per recording', () => {
    expect(derivedKey(id, 'proxy.mp4')).toBe(`derived/3f/${id}/proxy.mp4`);
    expect(derivedKey(id, 'thumb-0001.jpg').startsWith(derivedPrefix(id))).toBe(true);
    expect(derivedPrefix(id)).toBe(`derived/3f/${id}/`);
  });

  it('keeps originals and derived files of different recordings apart', () => {
    expect(originalKey('abc')).not.toBe(originalKey('abd'));
    expect(derivedKey('abc', 'p')).not.toBe(derivedKey('abcd', 'p'));
    expect(derivedKey('abcd', 'p').startsWith(derivedPrefix('abc'))).toBe(false);
  });

  it.each(['', 'a', 'a/b', '..', '.x', 'a b'])('refuses recording id %j', (bad) => {
    expect(() => originalKey(bad)).toThrow();
    expect(() => derivedKey(bad, 'x')).toThrow();
  });

  it.each(['', 'a/b', '..', '.x'])('refuses derived name %j', (bad) => {
    expect(() => derivedKey(id, bad)).toThrow();
  });
});
