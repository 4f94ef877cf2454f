import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api';
import { currentLang, t, type MessageKey } from './i18n';
import { problemText } from './problem-text';

// The building blocks every page uses: loading and error states, cursor lists, forms, buttons that show
// progress. One of each, so every page behaves the same.

/** What a failed request means to the person in front of the screen, in their language (problem-text.ts). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return problemText(err, currentLang(), t);
  return err instanceof Error ? err.message : String(err);
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div class="msg msg-error" role="alert">
      {errorText(error)}
    </div>
  );
}

export function Notice({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="msg msg-ok" role="status">
      {text}
    </div>
  );
}

export function Loading() {
  return (
    <div class="loading" aria-busy="true">
      {t('common.loading')}
    </div>
  );
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Loads something when the page opens (and again when `deps` change); `reload` after a change. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data: state.data, error: state.error, loading: state.loading, reload: useCallback(() => setTick((n) => n + 1), []) };
}

export interface CursorList<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
}

/** A list endpoint that pages with `{items, nextCursor}`: the first page on open, more on demand. */
export function useCursorList<T>(path: string, query: Record<string, string | number | undefined>, pageSize = 50): CursorList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify([path, query, pageSize]);
  const generation = useRef(0);

  const fetchPage = (after: string | null, replace: boolean) => {
    const gen = generation.current;
    setLoading(true);
    setError(null);
    api.get<{ items: T[]; nextCursor: string | null }>(path, { ...query, limit: pageSize, cursor: after ?? undefined }).then(
      (page) => {
        if (gen !== generation.current) return;
        setItems((prev) => (replace ? page.items : [...prev, ...page.items]));
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(err);
        setLoading(false);
      },
    );
  };

  useEffect(() => {
    generation.current++;
    setItems([]);
    setCursor(null);
    fetchPage(null, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);

  return {
    items,
    error,
    loading,
    hasMore: cursor !== null,
    loadMore: () => cursor && !loading && fetchPage(cursor, false),
    reload: () => setTick((n) => n + 1),
  };
}

/** The foot of a paged list: progress, the error, "load more", or "nothing to show". */
export function ListFooter({ list }: { list: Pick<CursorList<unknown>, 'items' | 'error' | 'loading' | 'hasMore' | 'loadMore'> }) {
  return (
    <div class="list-footer">
      <ErrorMessage error={list.error} />
      {list.loading ? <Loading /> : null}
      {!list.loading && !list.error && list.items.length === 0 ? <p class="muted">{t('common.noItems')}</p> : null}
      {list.hasMore && !list.loading ? (
        <button type="button" class="secondary" onClick={() => list.loadMore()}>
          {t('common.loadMore')}
        </button>
      ) : null}
    </div>
  );
}

type ButtonProps = JSX.HTMLAttributes<HTMLButtonElement> & { busy?: boolean; type?: 'button' | 'submit'; disabled?: boolean };

/** A button that shows it is working and cannot be pressed twice meanwhile. */
export function Button({ busy, disabled, children, type = 'button', ...rest }: ButtonProps) {
  return (
    <button type={type} disabled={disabled || busy} aria-busy={busy ? 'true' : undefined} {...rest}>
      {busy ? <span class="spinner" aria-hidden="true" /> : null}
      {children}
    </button>
  );
}

/** Runs an action with progress and its outcome: `run(fn)` sets busy, then the error or the success text. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async <T,>(fn: () => Promise<T>, success?: string): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const out = await fn();
      setDone(success ?? null);
      return out;
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run, setError, clear: () => (setError(null), setDone(null)) };
}

export function Field({ label, error, children, hint }: { label: string; error?: string | null; hint?: string; children: ComponentChildren }) {
  return (
    <label class={error ? 'field field-invalid' : 'field'}>
      <span class="field-label">{label}</span>
      {children}
      {hint ? <span class="field-hint">{hint}</span> : null}
      {error ? <span class="field-error">{error}</span> : null}
    </label>
  );
}

export function Page({ title, actions, children }: { title: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page">
      <header class="page-head">
        <h1>{title}</h1>
        {actions ? <div class="page-actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const key = `status.${status}` as MessageKey;
  return <span class={`badge badge-${status}`}>{t(key)}</span>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A date field's problem before sending: the format, then the order of a from/to pair. */
export function dateRangeError(from: string, to: string): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  if (from && !DAY.test(from)) out.from = t('error.invalidDate');
  if (to && !DAY.test(to)) out.to = t('error.invalidDate');
  if (!out.from && !out.to && from && to && from > to) out.to = t('error.dateOrder');
  return out;
}
