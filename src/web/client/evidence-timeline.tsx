import { date, dateTime, duration, time } from './format';
import { t, type MessageKey } from './i18n';
import { activityLabel, linkSourceLabel } from './evidence-labels';
import { BREAK, timelineLayout, type Bar, type Lane, type TimelineLayout } from './evidence-timeline-layout';
import type { CaseActivity, LinkedRecording } from './evidence-types';
import { StatusBadge } from './ui';

interface TimelineProps {
  activities: CaseActivity[];
  recordings: LinkedRecording[];
  selectedId: string | null;
  onSelect(id: string): void;
}

const hm = (iso: string) => time(iso).slice(0, 5);
const BAR_ROW_PX = 18;

function barTitle(bar: Bar, badgeNo: string): string {
  return [
    badgeNo,
    `${dateTime(bar.startedAt)} – ${bar.endedAt ? time(bar.endedAt) : '?'}`,
    t(`status.${bar.status}` as MessageKey),
    linkSourceLabel(bar.source),
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The breaks between segments: time with nothing in it, left out. */
function Breaks({ layout }: { layout: TimelineLayout }) {
  return (
    <>
      {layout.segments.slice(1).map((s) => (
        <span key={s.start} class="tl-break" style={{ left: `${s.left - BREAK}%`, width: `${BREAK}%` }} title={t('ev.tl.break')} />
      ))}
    </>
  );
}

function Axis({ layout }: { layout: TimelineLayout }) {
  return (
    <div class="tl-row tl-axis">
      <div class="tl-label" />
      <div class="tl-track">
        {layout.segments.map((s, i) => (
          <span key={`d${i}`} class="tl-day" style={{ left: `${s.left}%` }}>
            {date(new Date(s.start).toISOString())}
          </span>
        ))}
        {layout.ticks.map((tick) => (
          <span key={tick.at} class="tl-tick" style={{ left: `${tick.left}%` }}>
            {hm(new Date(tick.at).toISOString())}
          </span>
        ))}
        <Breaks layout={layout} />
      </div>
    </div>
  );
}

function LaneRow({ layout, lane, selectedId, onSelect }: { layout: TimelineLayout; lane: Lane; selectedId: string | null; onSelect(id: string): void }) {
  return (
    <div class="tl-row" data-testid="timeline-lane" data-badge={lane.badgeNo}>
      <div class="tl-label">{lane.badgeNo}</div>
      <div class="tl-track tl-lane" style={{ height: `${lane.rows * BAR_ROW_PX + 10}px` }}>
        <Breaks layout={layout} />
        {lane.bands.map((b) => (
          <div key={b.key} class="tl-band" style={{ left: `${b.left}%`, width: `${b.width}%` }} title={`${b.key} · ${activityLabel(b.type)}`} />
        ))}
        {lane.bars.map((bar) => (
          <button
            key={bar.id}
            type="button"
            class={`tl-bar tl-bar-${bar.status}${bar.source === 'manual' ? ' tl-bar-manual' : ''}${bar.id === selectedId ? ' tl-bar-selected' : ''}`}
            style={{ left: `${bar.left}%`, width: `${bar.width}%`, top: `${5 + bar.row * BAR_ROW_PX}px` }}
            title={barTitle(bar, lane.badgeNo)}
            aria-label={barTitle(bar, lane.badgeNo)}
            aria-pressed={bar.id === selectedId}
            data-testid="timeline-bar"
            data-recording-id={bar.id}
            onClick={() => onSelect(bar.id)}
          />
        ))}
      </div>
    </div>
  );
}

/** The case on one time axis: a lane per officer, the activities as bands, each linked recording as a bar. */
export function CaseTimeline({ activities, recordings, selectedId, onSelect }: TimelineProps) {
  const layout = timelineLayout(activities, recordings);
  if (!layout.lanes.length) return <p class="muted">{t('ev.case.noRecordings')}</p>;
  return (
    <div class="tl" data-testid="timeline">
      <Axis layout={layout} />
      {layout.lanes.map((lane) => (
        <LaneRow key={lane.badgeNo} layout={layout} lane={lane} selectedId={selectedId} onSelect={onSelect} />
      ))}
      <div class="tl-legend muted">
        <span>
          <i class="tl-key tl-key-band" /> {t('ev.tl.activity')}
        </span>
        <span>
          <i class="tl-key tl-key-bar" /> {t('ev.link.auto')}
        </span>
        <span>
          <i class="tl-key tl-key-manual" /> {t('ev.link.manual')}
        </span>
      </div>
    </div>
  );
}

/** The activities of the case, as a table under the timeline (what the bands stand for). */
export function ActivityTable({ activities }: { activities: CaseActivity[] }) {
  if (!activities.length) return <p class="muted">{t('ev.case.noActivities')}</p>;
  return (
    <div class="table-wrap">
      <table data-testid="activities">
        <thead>
          <tr>
            <th>{t('ev.col.activity')}</th>
            <th>{t('ev.col.type')}</th>
            <th>{t('ev.col.period')}</th>
            <th>{t('common.officer')}</th>
            <th>{t('ev.col.location')}</th>
          </tr>
        </thead>
        <tbody>
          {activities.map((a) => (
            <tr key={a.key}>
              <td>{a.key}</td>
              <td>{activityLabel(a.type)}</td>
              <td class="nowrap">
                {dateTime(a.startedAt)} – {time(a.endedAt)}
              </td>
              <td>{a.badgeNos.join(', ')}</td>
              <td>{a.location ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const lengthOf = (r: LinkedRecording) => (r.endedAt ? (new Date(r.endedAt).getTime() - new Date(r.startedAt).getTime()) / 1000 : null);

/** Every linked recording as a row (the timeline's bars in words): pick one to play it. */
export function LinkedRecordingTable({ recordings, selectedId, onSelect }: Omit<TimelineProps, 'activities'>) {
  if (!recordings.length) return null;
  return (
    <div class="table-wrap">
      <table data-testid="linked-recordings">
        <thead>
          <tr>
            <th>{t('common.officer')}</th>
            <th>{t('ev.rec.started')}</th>
            <th>{t('ev.rec.duration')}</th>
            <th>{t('common.status')}</th>
            <th>{t('ev.col.link')}</th>
            <th>{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {recordings.map((r) => (
            <tr key={r.id} class={r.id === selectedId ? 'selected' : ''} data-testid="linked-row" data-recording-id={r.id}>
              <td>{r.badgeNo}</td>
              <td class="nowrap">{dateTime(r.startedAt)}</td>
              <td class="num">{duration(lengthOf(r))}</td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>
                {linkSourceLabel(r.link.source)}
                {r.link.reason ? <div class="muted">{t('ev.note', { by: r.link.by ?? '', at: dateTime(r.link.at), reason: r.link.reason })}</div> : null}
              </td>
              <td>
                {r.id === selectedId ? (
                  <span class="muted">{t('ev.playing')}</span>
                ) : (
                  <button type="button" class="link" onClick={() => onSelect(r.id)} data-testid="linked-select">
                    {t('ev.play')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
