import { useEffect, useState } from 'preact/hooks';
import { api, mediaUrl } from '../api';
import { bytes, dateTime, duration } from '../format';
import { t } from '../i18n';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { ListFooter, Page, StatusBadge, useCursorList } from '../ui';
import { DateRangeFilter } from '../officer-date-filter';
import { isProcessing, progressPercent, stillProcessing, withUpdates } from '../officer-format';
import '../officer.css';

interface MyRecording {
  id: string;
  filename: string;
  startedAt: string;
  durationS: number | null;
  size: number;
  status: string;
  progress: number | null;
  playback: { poster: boolean } | null;
  important: boolean;
  caseNos: string[];
}

/** The fields of GET /api/recordings/{id} that change while footage is processed. */
interface RecordingNow {
  status: string;
  progress: number | null;
  playback: MyRecording['playback'];
  cases: { caseNo: string }[];
}

const REFRESH_MS = 4000;

/**
 * Asks again about the rows still in the pipeline every few seconds, one small request each, and returns
 * the fresher copies: the list itself is not reloaded, so nothing jumps while the officer reads it.
 */
function useProcessingUpdates(items: MyRecording[]): Record<string, Partial<MyRecording>> {
  const [updates, setUpdates] = useState<Record<string, Partial<MyRecording>>>({});
  const working = stillProcessing(withUpdates(items, updates)).join(',');
  useEffect(() => {
    if (!working) return;
    let live = true;
    const timer = setInterval(async () => {
      const fresh = await Promise.all(
        working.split(',').map((id) =>
          api.get<RecordingNow>(`/api/recordings/${encodeURIComponent(id)}`).then(
            (r) => [id, { status: r.status, progress: r.progress, playback: r.playback, caseNos: r.cases.map((c) => c.caseNo) }] as const,
            // A failed refresh is tried again next round; the row keeps what it showed.
            () => null,
          ),
        ),
      );
      if (!live) return;
      setUpdates((prev) => ({ ...prev, ...Object.fromEntries(fresh.filter((f) => f !== null)) }));
    }, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [working]);
  return updates;
}

function Thumbnail({ rec }: { rec: MyRecording }) {
  const [failed, setFailed] = useState(false);
  const href = `/recordings/${rec.id}`;
  if (!rec.playback?.poster || failed) {
    return (
      <Link href={href} class="thumb-missing" aria-label={rec.filename}>
        {isProcessing(rec.status) ? t('my.thumbPending') : t('my.noThumb')}
      </Link>
    );
  }
  return (
    <Link href={href} aria-label={rec.filename}>
      <img class="thumb" src={mediaUrl.poster(rec.id)} alt="" loading="lazy" onError={() => setFailed(true)} data-testid="thumb" />
    </Link>
  );
}

function StatusCell({ rec }: { rec: MyRecording }) {
  const pct = progressPercent(rec.progress);
  return (
    <div class="status-cell">
      <StatusBadge status={rec.status} />
      {isProcessing(rec.status) ? (
        <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} title={t('my.progress', { pct })}>
          <span style={{ width: `${pct}%` }} />
        </div>
      ) : null}
    </div>
  );
}

function RecordingRow({ rec }: { rec: MyRecording }) {
  return (
    <tr data-testid="my-recording-row" data-id={rec.id}>
      <td>
        <Thumbnail rec={rec} />
      </td>
      <td>
        <Link href={`/recordings/${rec.id}`} data-testid="my-recording-link">
          {rec.filename}
        </Link>
        {rec.important ? <span class="badge badge-important">{t('my.important')}</span> : null}
      </td>
      <td>{dateTime(rec.startedAt)}</td>
      <td class="num">{duration(rec.durationS)}</td>
      <td class="num">{bytes(rec.size)}</td>
      <td>
        <StatusCell rec={rec} />
      </td>
      <td data-testid="my-recording-cases">
        {/* Officers do not open case pages (the API would refuse): the numbers are text. */}
        {rec.caseNos.length ? rec.caseNos.map((c) => <div key={c}>{c}</div>) : <span class="muted">{t('my.noCase')}</span>}
      </td>
    </tr>
  );
}

export function MyRecordingsPage({ query }: PageProps) {
  const from = query.get('from') ?? '';
  const to = query.get('to') ?? '';
  const list = useCursorList<MyRecording>('/api/recordings', { from: from || undefined, to: to || undefined }, 25);
  const updates = useProcessingUpdates(list.items);
  const rows = withUpdates(list.items, updates);
  const refreshing = rows.some((r) => isProcessing(r.status));
  return (
    <Page title={t('my.recordings.title')}>
      <DateRangeFilter key={`${from}|${to}`} from={from} to={to} />
      {refreshing ? <p class="muted" role="status">{t('my.autoRefresh')}</p> : null}
      <div class="table-wrap">
        <table data-testid="my-recordings">
          <thead>
            <tr>
              <th>{t('my.col.thumb')}</th>
              <th>{t('my.col.file')}</th>
              <th>{t('my.col.started')}</th>
              <th class="num">{t('my.col.duration')}</th>
              <th class="num">{t('my.col.size')}</th>
              <th>{t('common.status')}</th>
              <th>{t('my.col.cases')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((rec) => (
              <RecordingRow key={rec.id} rec={rec} />
            ))}
          </tbody>
        </table>
      </div>
      <ListFooter list={list} />
    </Page>
  );
}
