import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { t } from './i18n';
import { setQuery } from './router';
import { dateRangeError, Field, ListFooter, Page, useCursorList } from './ui';

export interface FilterField {
  name: string;
  label: string;
  type?: 'text' | 'date' | 'select';
  options?: { value: string; label: string }[];
  placeholder?: string;
  /** The field's problem before anything is sent (null: fine). Empty fields are not checked. */
  check?(value: string): string | null;
}

/** The filters a list takes from the address, as typed. `from`/`to` fields are checked as a date range. */
export const filterValues = (fields: FilterField[], query: URLSearchParams): Record<string, string> =>
  Object.fromEntries(fields.map((f) => [f.name, query.get(f.name) ?? '']));

function problemsOf(fields: FilterField[], values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name] ?? '';
    const problem = v && f.check ? f.check(v) : null;
    if (problem) out[f.name] = problem;
  }
  const range = dateRangeError(values.from ?? '', values.to ?? '');
  for (const [k, v] of Object.entries(range)) if (v && !out[k]) out[k] = v;
  return out;
}

/**
 * A list's filter bar: the values live in the address (a filtered list can be shared and reloaded), and are
 * checked before the address changes, so a list is never asked for with a filter the API would refuse.
 * Key it on the address's query so it shows what the address says after back and forward.
 */
export function QueryFilter({ fields, values, testid }: { fields: FilterField[]; values: Record<string, string>; testid: string }) {
  const [typed, setTyped] = useState(values);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const set = (name: string, value: string) => setTyped({ ...typed, [name]: value });
  const apply = (e: Event) => {
    e.preventDefault();
    const clean = Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, v.trim()]));
    const found = problemsOf(fields, clean);
    setProblems(found);
    if (!Object.keys(found).length) setQuery(clean);
  };
  const filtered = Object.values(values).some(Boolean);
  return (
    <form class="row filter-bar ev-filter" onSubmit={apply} noValidate data-testid={testid}>
      {fields.map((f) => (
        <Field key={f.name} label={f.label} error={problems[f.name]}>
          {f.type === 'select' ? (
            <select name={f.name} value={typed[f.name]} onChange={(e) => set(f.name, e.currentTarget.value)}>
              {f.options!.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          ) : (
            <input name={f.name} type={f.type ?? 'text'} value={typed[f.name]} placeholder={f.placeholder} onInput={(e) => set(f.name, e.currentTarget.value)} />
          )}
        </Field>
      ))}
      <button type="submit" class="primary" data-testid={`${testid}-submit`}>
        {t('common.search')}
      </button>
      {filtered ? (
        <button type="button" onClick={() => setQuery({})}>
          {t('common.reset')}
        </button>
      ) : null}
    </form>
  );
}

/** A field check from a pattern and the message shown when a value does not match it. */
export const matching = (pattern: RegExp, message: () => string) => (v: string) => (pattern.test(v) ? null : message());

interface FilteredListProps<T> {
  title: string;
  /** The API's paged list, asked with the filters as its query. */
  path: string;
  fields: FilterField[];
  query: URLSearchParams;
  /** The header cells of the results table. */
  columns: ComponentChildren;
  row(item: T): ComponentChildren;
  testids: { form: string; table: string };
}

/** A page that is a filter bar over a paged results table, the filters kept in the address. */
export function FilteredListPage<T>({ title, path, fields, query, columns, row, testids }: FilteredListProps<T>) {
  const values = filterValues(fields, query);
  const list = useCursorList<T>(path, values, 25);
  return (
    <Page title={title}>
      <QueryFilter key={query.toString()} fields={fields} values={values} testid={testids.form} />
      <div class="table-wrap">
        <table data-testid={testids.table}>
          <thead>
            <tr>{columns}</tr>
          </thead>
          <tbody>{list.items.map(row)}</tbody>
        </table>
      </div>
      <ListFooter list={list} />
    </Page>
  );
}
