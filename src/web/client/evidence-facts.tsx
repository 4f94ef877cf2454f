import { ApiError, mediaUrl } from './api';
import { bytes, date, dateTime, duration } from './format';
import { t } from './i18n';
import { Link } from './router';
import { linkSourceLabel } from './evidence-labels';
import { casePath, type Note, type RecordingDetail } from './evidence-types';
import { progressPercent } from './officer-format';
import { ErrorMessage, StatusBadge } from './ui';

/** Who did it, when, and why: a mark's or a hold's note. */
export function NoteText({ note }: { note: Note }) {
  return <span class="muted">{t('ev.note', { by: note.by, at: dateTime(note.at), reason: note.reason })}</span>;
}

/** What a recording that cannot play says instead of a broken player: its status and the reason. */
export function NotPlayable({ rec }: { rec: RecordingDetail }) {
  const pct = progressPercent(rec.progress);
  const text =
    rec.status === 'processing'
      ? t('ev.rec.processing', { pct })
      : rec.status === 'received'
        ? t('ev.rec.received')
        : rec.status === 'unplayable'
          ? t('ev.rec.unplayable', { reason: rec.statusReason ?? t('ev.rec.unknownReason') })
          : rec.status === 'deleted'
            ? t('ev.rec.deleted', { at: dateTime(rec.deletedAt) })
            : t('ev.rec.noProxy');
  return (
    <div class="player-unavailable" data-testid="player-unavailable" data-status={rec.status}>
      <StatusBadge status={rec.status} />
      <p>{text}</p>
      {rec.status === 'processing' ? (
        <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
          <span style={{ width: `${pct}%` }} />
        </div>
      ) : null}
    </div>
  );
}

/** The original as stored, through the browser's own download (the cookie authenticates it). */
export function DownloadOriginal({ rec }: { rec: RecordingDetail }) {
  if (rec.status === 'deleted') return null;
  return (
    <a class="button" href={mediaUrl.original(rec.id)} download={rec.filename} data-testid="download-original">
      {t('ev.rec.download')}
    </a>
  );
}

function LinkedCases({ rec, linkCases }: { rec: RecordingDetail; linkCases: boolean }) {
  if (!rec.cases.length) return <span class="muted">{t('ev.rec.noCases')}</span>;
  return (
    <>
      {rec.cases.map((c) => (
        <div key={c.caseNo}>
          {linkCases ? <Link href={casePath(c.caseNo, rec.id)}>{c.caseNo}</Link> : c.caseNo} <span class="muted">({linkSourceLabel(c.source)})</span>
        </div>
      ))}
    </>
  );
}

/** Everything a reviewer cites about a recording; `linkCases` when the reader may open case pages. */
export function RecordingFacts({ rec, linkCases }: { rec: RecordingDetail; linkCases: boolean }) {
  return (
    <dl class="props ev-facts" data-testid="recording-facts">
      <dt>{t('ev.rec.filename')}</dt>
      <dd class="mono" data-testid="recording-filename">
        {rec.filename}
      </dd>
      <dt>{t('common.officer')}</dt>
      <dd>
        {rec.badgeNo}
        {rec.unitCode ? <span class="muted"> · {rec.unitCode}</span> : null}
      </dd>
      <dt>{t('ev.rec.recorder')}</dt>
      <dd>{rec.recorderSerial}</dd>
      <dt>{t('ev.rec.started')}</dt>
      <dd>{dateTime(rec.startedAt)}</dd>
      <dt>{t('ev.rec.ended')}</dt>
      <dd>{rec.endedAt ? dateTime(rec.endedAt) : <span class="muted">—</span>}</dd>
      <dt>{t('ev.rec.duration')}</dt>
      <dd>{rec.durationS === null ? <span class="muted">—</span> : duration(rec.durationS)}</dd>
      <dt>{t('ev.rec.size')}</dt>
      <dd>
        {bytes(rec.size)} <span class="muted">({rec.size.toLocaleString()} B)</span>
      </dd>
      <dt>{t('common.status')}</dt>
      <dd>
        <StatusBadge status={rec.status} />
        {rec.statusReason ? <span class="muted"> {rec.statusReason}</span> : null}
      </dd>
      <dt>{t('ev.rec.docked')}</dt>
      <dd>{dateTime(rec.dockedAt)}</dd>
      <dt>SHA-256</dt>
      <dd class="mono" data-testid="recording-sha256">
        {rec.sha256}
      </dd>
      <dt>{t('ev.rec.important')}</dt>
      <dd data-testid="recording-important" data-important={String(rec.important)}>
        {rec.important ? <span class="badge badge-important">{t('ev.rec.important')}</span> : t('common.no')}
        {rec.importantNote ? (
          <div>
            <NoteText note={rec.importantNote} />
          </div>
        ) : null}
      </dd>
      <dt>{t('ev.rec.retainUntil')}</dt>
      <dd>{rec.retainUntil ? date(rec.retainUntil) : t('ev.rec.keptForever')}</dd>
      {rec.hold ? (
        <>
          <dt>{t('ev.hold')}</dt>
          <dd>
            <span class="badge badge-hold">{t('ev.hold')}</span> <NoteText note={rec.hold} />
          </dd>
        </>
      ) : null}
      <dt>{t('ev.rec.cases')}</dt>
      <dd data-testid="recording-cases">
        <LinkedCases rec={rec} linkCases={linkCases} />
      </dd>
    </dl>
  );
}

/** Why a case or recording did not load, in the reader's words: gone, outside their scope, or what the API said. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.status === 404) return <p class="msg msg-error" role="alert">{t('ev.notFound', { what })}</p>;
  if (error instanceof ApiError && error.status === 403) return <p class="msg msg-error" role="alert">{t('ev.outOfScope', { what })}</p>;
  return <ErrorMessage error={error} />;
}
