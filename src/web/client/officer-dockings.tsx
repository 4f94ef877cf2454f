import { bytes, dateTime } from './format';
import { t } from './i18n';
import type { Role } from './session';
import { ListFooter, useCursorList } from './ui';
import { statusCounts } from './officer-format';
import './officer.css';

export interface Docking {
  dockedAt: string;
  station: string;
  stationRole: Role;
  badgeNos: string[];
  files: number;
  bytes: number;
  firstIngestedAt: string;
  lastIngestedAt: string;
  statuses: Record<string, number>;
}

/** "3 files: ready 2, processing 1" as badges, so a docking still in the pipeline stands out. */
function DockingFiles({ docking }: { docking: Docking }) {
  return (
    <span class="docking-files">
      <span>{t('my.files', { n: docking.files })}</span>
      {statusCounts(docking.statuses).map(({ status, n }) => (
        <span key={status} class={`badge badge-${status}`}>
          {t('my.statusCount', { status: t(`status.${status}`), n })}
        </span>
      ))}
    </span>
  );
}

/** Who uploaded: a docking station, or (by hand) an officer or admin, which the role says. */
function Uploader({ docking }: { docking: Docking }) {
  return (
    <span>
      {docking.station}
      {docking.stationRole === 'station' ? null : <span class="muted"> · {t('my.byHand', { role: t(`role.${docking.stationRole}`) })}</span>}
    </span>
  );
}

/**
 * The dockings the caller may see (an officer's own footage, or all for an admin), newest first, a page at a
 * time. `from`/`to` are dates of the bureau's zone.
 */
export function DockingTable({ query, showOfficers }: { query: { from?: string; to?: string; badgeNo?: string }; showOfficers: boolean }) {
  const list = useCursorList<Docking>('/api/dockings', query, 25);
  return (
    <>
      <div class="table-wrap">
        <table data-testid="dockings-table">
          <thead>
            <tr>
              <th>{t('my.col.dockedAt')}</th>
              <th>{t('my.col.station')}</th>
              {showOfficers ? <th>{t('common.badgeNo')}</th> : null}
              <th>{t('my.col.files')}</th>
              <th class="num">{t('my.col.bytes')}</th>
              <th>{t('my.col.uploaded')}</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((d) => (
              <tr key={`${d.dockedAt}|${d.station}`} data-testid="docking-row">
                <td>{dateTime(d.dockedAt)}</td>
                <td>
                  <Uploader docking={d} />
                </td>
                {showOfficers ? <td class="mono">{d.badgeNos.join(', ')}</td> : null}
                <td>
                  <DockingFiles docking={d} />
                </td>
                <td class="num">{bytes(d.bytes)}</td>
                <td class="muted">
                  {dateTime(d.firstIngestedAt)}
                  {d.lastIngestedAt !== d.firstIngestedAt ? ` – ${dateTime(d.lastIngestedAt)}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ListFooter list={list} />
    </>
  );
}
