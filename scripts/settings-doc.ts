import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { settings } from '../config/schema';
import { projectRoot } from '../src/paths';

// `npm run settings-doc`: docs/settings.md, the reference of every setting, generated from config/schema.ts
// (names, defaults, the values the schema accepts, the `.describe()` texts). `-- --check` only compares and
// exits 1 when the file is stale; test/config/settings-doc.test.ts does the same in `npm test`.

export const SETTINGS_DOC = 'docs/settings.md';
export const REGENERATE = 'npm run settings-doc';

export interface SettingDoc {
  name: string;
  /** As it would be written in the environment; null when the setting has no default (unset). */
  default: string | null;
  /** What the schema accepts, in words. */
  values: string;
  description: string;
}

// Zod 4 keeps a schema's structure in `_zod.def`; only the parts read here are typed.
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
  element?: Schema;
  entries?: Record<string, string>;
  checks?: { _zod: { def: CheckDef } }[];
  defaultValue?: unknown;
}
interface CheckDef {
  check: string;
  format?: string;
  value?: number;
  inclusive?: boolean;
  error?: unknown;
}
type Schema = z.ZodType & { _zod: { def: Def } };

const GENERIC_NUMBER_MESSAGES = ['expected a whole number', 'expected a number'];

/** The custom message of a check (the text a bad value is refused with), if it has one. */
function messageOf(check: CheckDef): string | undefined {
  const e = check.error;
  const text = typeof e === 'function' ? (e as () => unknown)() : e;
  return typeof text === 'string' ? text : undefined;
}

/** Refusal messages as a phrase: "expected a URL…" → "a URL…". */
const asPhrase = (message: string) => message.replace(/^expected /, '');

interface Shape {
  messages: string[];
  enumValues?: string[];
  /** Words of a yes/no setting besides true and false (1, 0, yes, no). */
  boolean?: string[];
  /** Bounds are inclusive unless marked open (`.positive()`, `.lt()`). */
  number?: { int: boolean; min?: number; max?: number; minOpen?: boolean; maxOpen?: boolean };
  list?: boolean;
  text?: boolean;
}

/** Walks a setting's schema (defaults, optionals, pipes, transforms) and collects what it accepts. */
function shapeOf(schema: Schema, into: Shape = { messages: [] }): Shape {
  const def = schema._zod.def;
  switch (def.type) {
    case 'default':
    case 'optional':
    case 'nullable':
      return shapeOf(def.innerType!, into);
    case 'pipe':
      shapeOf(def.in!, into);
      // An enum of words piped into a transform is the yes/no kind.
      if (def.in!._zod.def.type === 'enum' && def.out!._zod.def.type === 'transform') {
        const words = Object.values(def.in!._zod.def.entries ?? {});
        if (words.includes('true') && words.includes('false')) into.boolean = words.filter((w) => w !== 'true' && w !== 'false');
      }
      return shapeOf(def.out!, into);
    case 'enum':
      into.enumValues = Object.values(def.entries ?? {});
      return into;
    case 'array':
      into.list = true;
      return shapeOf(def.element!, into);
    case 'number': {
      const n: NonNullable<Shape['number']> = { int: false };
      for (const { _zod } of def.checks ?? []) {
        const c = _zod.def;
        if (c.check === 'number_format' && /int/.test(c.format ?? '')) n.int = true;
        if (c.check === 'greater_than') Object.assign(n, { min: c.value, minOpen: c.inclusive === false });
        if (c.check === 'less_than') Object.assign(n, { max: c.value, maxOpen: c.inclusive === false });
      }
      into.number = n;
      return into;
    }
    case 'string':
      into.text = true;
      for (const { _zod } of def.checks ?? []) {
        const m = messageOf(_zod.def);
        if (m) into.messages.push(m);
      }
      return into;
    default:
      return into; // transforms: nothing to say
  }
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A round byte count in words (8589934592 → "8 GiB"), or nothing. */
function roundBytes(n: number): string | undefined {
  if (n >= GiB && n % GiB === 0) return `${n / GiB} GiB`;
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  return undefined;
}
const bytes = (n: number) => (roundBytes(n) ? `${n} (${roundBytes(n)})` : String(n));

function describeValues(name: string, shape: Shape): string {
  if (shape.boolean) {
    const also = shape.boolean.map((w) => `\`${w}\``).join(', ');
    return `\`true\` or \`false\`${also ? ` (also ${also})` : ''}`;
  }
  if (shape.enumValues) return shape.enumValues.map((v) => `\`${v}\``).join(', ');
  const num = (v: number) => (name.endsWith('_BYTES') ? bytes(v) : String(v));
  const parts: string[] = [];
  const messages = shape.number ? shape.messages.filter((m) => !GENERIC_NUMBER_MESSAGES.includes(m)) : shape.messages;
  parts.push(...messages.map(asPhrase));
  if (shape.number) {
    const { int, min, max, minOpen, maxOpen } = shape.number;
    const kind = int ? 'whole number' : 'number';
    const bounds = [
      min === undefined ? '' : `${minOpen ? 'above' : 'at least'} ${num(min)}`,
      max === undefined ? '' : `${maxOpen ? 'below' : 'at most'} ${num(max)}`,
    ].filter(Boolean);
    if (!minOpen && !maxOpen && bounds.length === 2) parts.push(`${kind} from ${num(min!)} to ${num(max!)}`);
    else parts.push(bounds.length ? `${kind}, ${bounds.join(' and ')}` : kind);
  }
  if (parts.length === 0) return shape.list ? 'comma-separated list' : 'any text';
  return parts.join('; ');
}

/** The default as it would be written in the environment (a path inside the installation stays relative). */
function describeDefault(schema: Schema, value: unknown): string | null {
  if (value === undefined) return null;
  if (value === null) {
    // A word the schema turns into null ("permanent").
    const word = ['permanent', 'off', 'none'].find((w) => {
      const r = schema.safeParse(w);
      return r.success && r.data === null;
    });
    return word ?? null;
  }
  if (Array.isArray(value)) return value.length ? value.join(',') : null;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const root = projectRoot() + path.sep;
    return value.startsWith(root) ? value.slice(root.length).split(path.sep).join('/') : value;
  }
  return String(value);
}

/** Every setting of the schema, in its order. */
export function describeSettings(shape: Record<string, z.ZodType> = settings.shape): SettingDoc[] {
  return Object.entries(shape).map(([name, s]) => {
    const schema = s as Schema;
    const def = schema._zod.def;
    const defaultValue = def.type === 'default' ? def.defaultValue : undefined;
    return {
      name,
      default: describeDefault(schema, defaultValue),
      values: describeValues(name, shapeOf(schema)),
      description: schema.description ?? '',
    };
  });
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function defaultCell({ name, default: value }: SettingDoc): string {
  if (value === null) return '—';
  const inWords = name.endsWith('_BYTES') && /^\d+$/.test(value) ? roundBytes(Number(value)) : undefined;
  return `\`${cell(value)}\`${inWords ? ` (${inWords})` : ''}`;
}

/** The Markdown page. */
export function renderSettingsDoc(docs: SettingDoc[] = describeSettings()): string {
  const rows = docs.map(
    (d) => `| \`${d.name}\` | ${defaultCell(d)} | ${cell(d.values)} | ${cell(d.description)} |`,
  );
  return [
    '# Settings reference',
    '',
    `<!-- Generated from config/schema.ts by \`${REGENERATE}\`: do not edit by hand. -->`,
    '',
    'Every setting is an environment variable. Each is checked when a process starts: a bad value stops it',
    'with exit status 78 and a message naming the setting, e.g. `Invalid setting PORT: expected a whole number',
    '(got "eighty")`. An empty variable counts as unset. Defaults run the whole system on one machine;',
    '"—" means unset. Rules between settings are checked at start-up too: with `STORAGE_DRIVER=minio`,',
    '`MINIO_ENDPOINT`, `MINIO_ACCESS_KEY` and `MINIO_SECRET_KEY` are required. How to use them in a',
    'deployment: [deploy.md](deploy.md).',
    '',
    '| setting | default | accepted values | what it does |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function main(): void {
  const file = path.join(projectRoot(), SETTINGS_DOC);
  const text = renderSettingsDoc();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error(`${SETTINGS_DOC} is out of date with config/schema.ts: run ${REGENERATE}`);
      process.exit(1);
    }
    console.log(`${SETTINGS_DOC} is up to date`);
    return;
  }
  writeFileSync(file, text);
  console.log(`wrote ${SETTINGS_DOC} (${describeSettings().length} settings)`);
}

if (require.main === module) main();
