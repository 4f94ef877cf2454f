import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig, settings } from '../../config/schema';
import { REGENERATE, SETTINGS_DOC, describeSettings, renderSettingsDoc } from '../../scripts/settings-doc';
import { projectRoot } from '../../src/paths';

describe('settings reference (docs/settings.md)', () => {
  test('is what the generator makes of config/schema.ts now', () => {
    const file = path.join(projectRoot(), SETTINGS_DOC);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // a missing file is stale too
    }
    const fresh = renderSettingsDoc();
    if (current !== fresh) {
      throw new Error(`${SETTINGS_DOC} differs from config/schema.ts: run \`${REGENERATE}\` and commit the result`);
    }
  });

  test('has one row per setting, each described', () => {
    const docs = describeSettings();
    expect(docs.map((d) => d.name)).toEqual(Object.keys(settings.shape));
    const undescribed = docs.filter((d) => d.description.trim() === '').map((d) => d.name);
    expect(undescribed).toEqual([]);
    const page = renderSettingsDoc(docs);
    for (const d of docs) expect(page).toContain(`| \`${d.name}\` |`);
  });

  test('every documented default, written into the environment, gives the default configuration', () => {
    const defaults = loadConfig({});
    const withDefault = describeSettings().filter((d) => d.default !== null);
    expect(withDefault.length).toBeGreaterThan(40);
    for (const d of withDefault) {
      expect({ name: d.name, config: loadConfig({ [d.name]: d.default! }) }).toEqual({ name: d.name, config: defaults });
    }
  });

  test('accepted values are read from the schema: ranges, choices, yes/no, messages, null words', () => {
    const docs = describeSettings({
      SIZE_BYTES: z.string().regex(/^\d+$/, 'expected a whole number').transform(Number).pipe(z.number().int().min(1).max(2 * 1024 ** 3)).default(1024 ** 3).describe('a size'),
      COLOUR: z.enum(['red', 'green']).default('red').describe('a choice'),
      FLAG: z.enum(['true', 'false']).transform((v) => v === 'true').default(true).describe('a flag'),
      TOKEN: z.string().regex(/^[a-z]+$/, 'lower-case letters only').optional().describe('a word'),
      KEEP: z
        .string()
        .regex(/^(permanent|\d+)$/, 'expected months or "permanent"')
        .transform((v) => (v === 'permanent' ? null : Number(v)))
        .pipe(z.number().int().positive().nullable())
        .default(null)
        .describe('how long'),
    });
    expect(docs).toEqual([
      { name: 'SIZE_BYTES', default: '1073741824', values: 'whole number from 1 to 2147483648 (2 GiB)', description: 'a size' },
      { name: 'COLOUR', default: 'red', values: '`red`, `green`', description: 'a choice' },
      { name: 'FLAG', default: 'true', values: '`true` or `false`', description: 'a flag' },
      { name: 'TOKEN', default: null, values: 'lower-case letters only', description: 'a word' },
      { name: 'KEEP', default: 'permanent', values: 'months or "permanent"; whole number, above 0', description: 'how long' },
    ]);
    expect(renderSettingsDoc(docs)).toContain('| `SIZE_BYTES` | `1073741824` (1 GiB) | whole number from 1 to 2147483648 (2 GiB) | a size |');
  });
});
