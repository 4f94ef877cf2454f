import { useState } from 'preact/hooks';
import { mediaUrl } from '../api';
import { bytes, dateTime, duration } from '../format';
import { t } from '../i18n';
import { Link } from '../router';
import type { PageProps } from '../routes';
import { StatusBadge } from '../ui';
import { FilteredListPage, matching, type FilterField } from '../evidence-filter';
import { BADGE_NO, RECORDER_SERIAL, UNIT_CODE } from '../../../directory/identifiers';
import { casePath, recordingPath, type RecordingSummary } from '../evidence-types';
import { progressPercent, RECORDING_STATUSES } from '../officer-format';
import '../evidence.css';

const fields = (): FilterField[] => {
  return [
    { name: 'badgeNo', label: t('common.badgeNo'), check: matching(BADGE_NO, () => t('ev.err.badge')) },
    { name: 'recorderSerial', label: t('ev.rec.recorder'), check: matching(RECORDER_SERIAL, () => t('ev.err.code')) },
    { name: 'unitCode', label: t('common.unit'), check: matching(UNIT_CODE, () => t('ev.err.code')) },
    { name: 'caseNo', label: t('ev.case.caseNo') },
    {
      name: 'status',
      label: t('common.status'),
      type: 'select',
      options: [{ value: '', label: t('ev.recs.anyStatus') }, ...RECORDING_STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))],
    },
    { name: 'from', label: t('common.from'), type: 'date' },
    { name: 'to', label: t('common.to'), type: 'date' },
  ];
};

/** The poster frame when there is one, else a grey box saying there is none (a broken image tells nothing). */
function Poster({ r }: { r: RecordingSummary }) {
  const [broken, setBroken] = useState(false);
  if (!r.playback?.poster || broken) return <div class="thumb-missing">{t('ev.noThumb')}</div>;
  return <img class="thumb" src={mediaUrl.poster(r.id)} alt="" loading="lazy" onError={() => setBroken(true)} />;
}

function RecordingRow({ r }: { r: RecordingSummary }) {
  const working = r.status === 'processing' || r.status === 'received';
  return (
    <tr data-testid="recording-row" data-recording-id={r.id}>
      <td>
        <Link href={recordingPath(r.id)} aria-label={r.filename}>
          <Poster r={r} />
        </Link>
      </td>
      <td>
        <Link href={recordingPath(r.id)} class="mono" data-testid="recording-link">
          {r.filename}
        </Link>
        {r.important ? <span class="badge badge-important ev-inline-badge">{t('ev.rec.important')}</span> : null}
      </td>
      <td>
        {r.badgeNo}
        {r.unitCode ? <div class="muted">{r.unitCode}</div> : null}
      </td>
      <td>{r.recorderSerial}</td>
      <td class="nowrap">{dateTime(r.startedAt)}</td>
      <td class="num">{duration(r.durationS)}</td>
      <td class="num">{bytes(r.size)}</td>
      <td>
        <StatusBadge status={r.status} />
        {working ? (
          <div class="progress ev-row-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progressPercent(r.progress)}>
            <span style={{ width: `${progressPercent(r.progress)}%` }} />
          </div>
        ) : null}
      </td>
      <td>
        {r.caseNos.length ? (
          r.caseNos.map((no) => (
            <div key={no}>
              <Link href={casePath(no, r.id)}>{no}</Link>
            </div>
          ))
        ) : (
          <span class="muted">{t('ev.rec.noCases')}</span>
        )}
      </td>
    </tr>
  );
}

/** All footage the reader may see, filtered by officer, recorder, unit, case, status and dates. */
export function RecordingsPage({ query }: PageProps) {
  return (
    <FilteredListPage<RecordingSummary>
      title={t('ev.recs.title')}
      path="/api/recordings"
      fields={fields()}
      query={query}
      testids={{ form: 'recording-search', table: 'recording-results' }}
      columns={
        <>
          <th>{t('ev.col.thumb')}</th>
          <th>{t('ev.rec.filename')}</th>
          <th>{t('common.officer')}</th>
          <th>{t('ev.rec.recorder')}</th>
          <th>{t('ev.rec.started')}</th>
          <th class="num">{t('ev.rec.duration')}</th>
          <th class="num">{t('ev.rec.size')}</th>
          <th>{t('common.status')}</th>
          <th>{t('ev.rec.cases')}</th>
        </>
      }
      row={(r) => <RecordingRow key={r.id} r={r} />}
    />
  );
}
