import type { ComponentChildren, JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { t } from './i18n';
import { check, type Problems, type Rules } from './admin-validate';
import { Button, ErrorMessage, errorText, Field, Notice, useAction, useAsync } from './ui';

// The forms of the admin pages (and of the password page): values, checks before sending, the API's answer
// shown at the field it names.

export interface AdminForm<F extends string> {
  values: Record<F, string>;
  setValue(field: F, value: string): void;
  /** The field's problem: found before sending, or the API's error naming that field. */
  errorOf(field: F): string | null;
  /** The action's error when no field of this form claims it. */
  formError: unknown;
  busy: boolean;
  done: string | null;
  /** A submit handler: checks, sends, then resets the form and calls `after` with the answer. */
  submit<T>(send: (values: Record<F, string>) => Promise<T>, success: string, after?: (out: T) => void): (e: Event) => Promise<void>;
}

/** `rules` may depend on the values (a badge number is required for an officer's account only). */
export function useAdminForm<F extends string>(initial: Record<F, string>, rules: Rules<F> | ((values: Record<F, string>) => Rules<F>)): AdminForm<F> {
  const [values, setValues] = useState(initial);
  const [problems, setProblems] = useState<Problems<F>>({});
  const action = useAction();
  const claimed = action.error instanceof ApiError && !!action.error.field && action.error.field in initial;
  return {
    values,
    setValue: (field, value) => {
      setValues((v) => ({ ...v, [field]: value }));
      setProblems((p) => ({ ...p, [field]: undefined }));
    },
    errorOf: (field) => {
      const problem = problems[field];
      if (problem) return t(problem);
      return claimed && (action.error as ApiError).field === field ? errorText(action.error) : null;
    },
    formError: claimed ? null : action.error,
    busy: action.busy,
    done: action.done,
    submit: (send, success, after) => async (e) => {
      e.preventDefault();
      const found = check(values, typeof rules === 'function' ? rules(values) : rules);
      setProblems(found);
      if (Object.values(found).some(Boolean)) {
        action.clear();
        return;
      }
      let sent = false;
      const out = await action.run(async () => {
        const answer = await send(values);
        sent = true;
        return answer;
      }, success);
      if (!sent) return;
      setValues(initial);
      after?.(out as Awaited<ReturnType<typeof send>>);
    },
  };
}

type InputProps = Omit<JSX.IntrinsicElements['input'], 'form' | 'name' | 'value' | 'onInput'>;

/** A labelled input bound to a form field. */
export function FormInput<F extends string>({ form, name, label, hint, ...rest }: { form: AdminForm<F>; name: NoInfer<F>; label: string; hint?: string } & InputProps) {
  return (
    <Field label={label} error={form.errorOf(name)} hint={hint}>
      <input name={name} value={form.values[name]} onInput={(e) => form.setValue(name, e.currentTarget.value)} {...rest} />
    </Field>
  );
}

/** A labelled select bound to a form field. */
export function FormSelect<F extends string>({ form, name, label, children }: { form: AdminForm<F>; name: NoInfer<F>; label: string; children: ComponentChildren }) {
  return (
    <Field label={label} error={form.errorOf(name)}>
      <select name={name} value={form.values[name]} onChange={(e) => form.setValue(name, e.currentTarget.value)}>
        {children}
      </select>
    </Field>
  );
}

/** The foot of a form: its submit button (busy while sending), the error no field claims, the success. */
export function FormFoot({ form, label, testId }: { form: AdminForm<string>; label: string; testId?: string }) {
  return (
    <div class="admin-form-foot">
      <Button type="submit" class="primary" busy={form.busy} data-testid={testId}>
        {label}
      </Button>
      <ErrorMessage error={form.formError} />
      <Notice text={form.done} />
    </div>
  );
}

/**
 * A button that asks once more before doing something that is not undone by a click (deactivating, revoking),
 * showing progress and the failure where it was pressed.
 */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  danger = true,
  testId,
}: {
  label: string;
  question: string;
  onConfirm(): Promise<unknown>;
  danger?: boolean;
  testId?: string;
}) {
  const [asking, setAsking] = useState(false);
  const action = useAction();
  if (!asking) {
    return (
      <span class="confirm">
        <button type="button" class={danger ? 'danger' : ''} onClick={() => (action.clear(), setAsking(true))} data-testid={testId}>
          {label}
        </button>
        <ErrorMessage error={action.error} />
      </span>
    );
  }
  return (
    <span class="confirm confirm-asking" role="group">
      <span>{question}</span>
      <Button
        class={danger ? 'danger' : 'primary'}
        busy={action.busy}
        data-testid={testId ? `${testId}-confirm` : undefined}
        onClick={async () => {
          await action.run(onConfirm);
          setAsking(false);
        }}
      >
        {t('common.confirm')}
      </Button>
      <button type="button" onClick={() => setAsking(false)} disabled={action.busy}>
        {t('common.cancel')}
      </button>
    </span>
  );
}

/**
 * The directory endpoints answer with whole lists: the page shows them a page at a time, filtered by what the
 * admin types, so a bureau's few thousand officers do not all render at once.
 */
export interface Shown<T> {
  needle: string;
  setNeedle(v: string): void;
  shown: T[];
  total: number;
  hasMore: boolean;
  showMore(): void;
}

export function useShown<T>(items: T[], matches: (item: T, needle: string) => boolean, pageSize = 50): Shown<T> {
  const [needle, setNeedle] = useState('');
  const [count, setCount] = useState(pageSize);
  const wanted = needle.trim().toLowerCase();
  const filtered = wanted ? items.filter((item) => matches(item, wanted)) : items;
  return {
    needle,
    setNeedle: (v: string) => {
      setNeedle(v);
      setCount(pageSize);
    },
    shown: filtered.slice(0, count),
    total: filtered.length,
    hasMore: filtered.length > count,
    showMore: () => setCount((n) => n + pageSize),
  };
}

export function FilterBox({ shown, placeholder }: { shown: Shown<unknown>; placeholder: string }) {
  return (
    <input
      type="search"
      class="admin-filter"
      placeholder={placeholder}
      aria-label={placeholder}
      value={shown.needle}
      onInput={(e) => shown.setNeedle(e.currentTarget.value)}
    />
  );
}

export function ShowMore({ shown }: { shown: Shown<unknown> }) {
  return (
    <div class="list-footer">
      {shown.total === 0 ? <p class="muted">{t('common.noItems')}</p> : null}
      {shown.hasMore ? (
        <button type="button" class="secondary" onClick={shown.showMore}>
          {t('common.loadMore')} ({t('admin.shownOf', { shown: shown.shown.length, total: shown.total })})
        </button>
      ) : null}
    </div>
  );
}

export interface Unit {
  code: string;
  name: string;
  active: boolean;
}

/** The units, for the selects that name one. */
export function useUnits() {
  return useAsync(() => api.get<{ items: Unit[] }>('/api/units').then((r) => r.items), []);
}

/** Options of a unit select; deactivated units are not offered for new placements. */
export function UnitOptions({ units, empty }: { units: Unit[] | undefined; empty: string }) {
  return (
    <>
      <option value="">{empty}</option>
      {(units ?? [])
        .filter((u) => u.active)
        .map((u) => (
          <option key={u.code} value={u.code}>
            {u.code} · {u.name}
          </option>
        ))}
    </>
  );
}
