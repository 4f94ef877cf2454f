import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api';
import { dateTime } from './format';
import { t } from './i18n';
import { detailText, shortHash } from './evidence-format';
import { custodyActionLabel } from './evidence-labels';
import type { CustodyEvent } from './evidence-types';
import { Button, ListFooter } from './ui';

const PAGE = 100;

interface CustodyState {
  items: CustodyEvent[];
  next: number | null;
  loading: boolean;
  error: unknown;
}

/**
 * A recording's custody events, oldest first, a page at a time (GET /api/custody pages by `afterSeq`, not by
 * cursor). `version` changes when the page did something that wrote an event, so the log is read again.
 */
function useCustody(recordingId: string, version: number) {
  const [state, setState] = useState<CustodyState>({ items: [], next: null, loading: true, error: null });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const load = (afterSeq: number | null, replace: boolean) => {
    const gen = generation.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    api
      .get<{ items: CustodyEvent[]; nextAfterSeq: number | null }>('/api/custody', { recordingId, limit: PAGE, afterSeq: afterSeq ?? undefined })
      .then(
        (page) => gen === generation.current && setState((s) => ({ items: replace ? page.items : [...s.items, ...page.items], next: page.nextAfterSeq, loading: false, error: null })),
        (error: unknown) => gen === generation.current && setState((s) => ({ ...s, loading: false, error })),
      );
  };
  useEffect(() => {
    generation.current++;
    setState({ items: [], next: null, loading: true, error: null });
    load(null, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [recordingId, version, tick]);
  return {
    ...state,
    hasMore: state.next !== null,
    loadMore: () => state.next !== null && !state.loading && load(state.next, false),
    refresh: () => setTick((n) => n + 1),
  };
}

export function CustodyLog({ recordingId, version = 0 }: { recordingId: string; version?: number }) {
  const log = useCustody(recordingId, version);
  return (
    <section class="card" data-testid="custody-log">
      <div class="ev-card-head">
        <h2>{t('ev.custody.title')}</h2>
        <Button onClick={log.refresh} busy={log.loading} data-testid="custody-refresh">
          {t('ev.custody.refresh')}
        </Button>
      </div>
      <p class="muted ev-note">{t('ev.custody.note')}</p>
      {log.items.length ? (
        <div class="table-wrap">
          <table class="ev-custody">
            <thead>
              <tr>
                <th class="num">{t('ev.custody.seq')}</th>
                <th>{t('common.time')}</th>
                <th>{t('ev.custody.actor')}</th>
                <th>{t('ev.custody.action')}</th>
                <th>{t('ev.custody.detail')}</th>
                <th>{t('ev.custody.hash')}</th>
              </tr>
            </thead>
            <tbody>
              {log.items.map((e) => (
                <tr key={e.seq} data-testid="custody-row" data-action={e.action}>
                  <td class="num">{e.seq}</td>
                  <td class="nowrap">{dateTime(e.at)}</td>
                  <td>{e.actor}</td>
                  <td class="nowrap">{custodyActionLabel(e.action)}</td>
                  <td class="ev-detail">{detailText(e.detail)}</td>
                  <td class="mono nowrap" title={e.hash}>
                    {shortHash(e.hash)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <ListFooter list={log} />
    </section>
  );
}
