import { z } from 'zod';
import { AppError } from '../../src/errors';
import { parse } from '../../src/http/validate';

const problemOf = (fn: () => unknown): Pick<AppError, 'code' | 'field' | 'message'> => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, field: err.field, message: err.message };
    throw err;
  }
  throw new Error('no problem raised');
};

const query = z.object({ limit: z.coerce.number().int().min(1), q: z.string().optional(), nested: z.object({ n: z.number() }).optional() });

test('a value of the wrong type is invalid, not missing, and the field is named', () => {
  expect(problemOf(() => parse(query, { limit: 'many' }, 'query'))).toMatchObject({ code: 'invalid_field', field: 'limit' });
  expect(problemOf(() => parse(query, { limit: '5', nested: { n: 'x' } }, 'query'))).toMatchObject({ code: 'invalid_field', field: 'nested.n' });
});

test('an absent value is missing, at any depth', () => {
  expect(problemOf(() => parse(query, {}, 'query'))).toMatchObject({ code: 'missing_field', field: 'limit', message: 'limit is required' });
  expect(problemOf(() => parse(query, { limit: '5', nested: {} }, 'query'))).toMatchObject({ code: 'missing_field', field: 'nested.n' });
});

test('a body that is not a JSON object is refused as a whole', () => {
  for (const body of [null, 'text', 3, [1]]) expect(problemOf(() => parse(query, body))).toMatchObject({ code: 'invalid_body' });
});

test('an unknown field is named by its path, at any depth', () => {
  const body = z.strictObject({ title: z.string(), activities: z.array(z.strictObject({ at: z.string() })) });
  expect(problemOf(() => parse(body, { title: 't', activities: [], colour: 'red' }))).toMatchObject({ code: 'unknown_field', field: 'colour', message: 'unknown field colour' });
  expect(problemOf(() => parse(body, { title: 't', activities: [{ at: 'a' }, { at: 'b', officer: 'x', car: 'y' }] }))).toMatchObject({
    code: 'unknown_field',
    field: 'activities.1.officer',
    message: 'unknown field activities.1.officer, activities.1.car',
  });
});
