import { useState } from 'preact/hooks';
import { api, mediaUrl } from '../api';
import { dateTime } from '../format';
import { t } from '../i18n';
import { setQuery } from '../router';
import type { PageProps } from '../routes';
import { can, useUser } from '../session';
import { Loading, Notice, Page, useAsync } from '../ui';
import { LinkForm, UnlinkAction } from '../evidence-actions';
import { CustodyLog } from '../evidence-custody';
import { LoadError, NoteText } from '../evidence-facts';
import { RecordingPanels } from '../evidence-recording';
import { selectedRecording } from '../evidence-format';
import { caseStatusLabel, kindLabel } from '../evidence-labels';
import { ActivityTable, CaseTimeline, LinkedRecordingTable } from '../evidence-timeline';
import { recordingApi, type CaseDetail, type RecordingDetail } from '../evidence-types';
import '../evidence.css';

function CaseFacts({ c }: { c: CaseDetail }) {
  return (
    <section class="card" data-testid="case-facts">
      <dl class="props">
        <dt>{t('ev.case.caseNo')}</dt>
        <dd data-testid="case-no">{c.caseNo}</dd>
        <dt>{t('ev.case.name')}</dt>
        <dd>{c.title ?? <span class="muted">—</span>}</dd>
        <dt>{t('ev.case.kind')}</dt>
        <dd>{kindLabel(c.kind)}</dd>
        <dt>{t('common.status')}</dt>
        <dd>
          <span class={`badge badge-${c.status}`}>{caseStatusLabel(c.status)}</span>
          {c.closedAt ? <span class="muted"> {dateTime(c.closedAt)}</span> : null}
        </dd>
        <dt>{t('common.unit')}</dt>
        <dd>{c.unitCode}</dd>
        <dt>{t('ev.hold')}</dt>
        <dd data-testid="case-hold">
          {c.hold ? (
            <>
              <span class="badge badge-hold">{t('ev.hold')}</span> <NoteText note={c.hold} />
            </>
          ) : (
            <span class="muted">{t('ev.case.noHold')}</span>
          )}
        </dd>
      </dl>
      <h3>{t('ev.case.activities')}</h3>
      <ActivityTable activities={c.activities} />
    </section>
  );
}

function ExportLink({ caseNo }: { caseNo: string }) {
  return (
    <div class="ev-export">
      <a class="button" href={mediaUrl.export(caseNo)} download data-testid="export-case">
        {t('ev.case.export')}
      </a>
      <span class="muted">{t('ev.case.exportNote')}</span>
    </div>
  );
}

interface SelectedProps {
  c: CaseDetail;
  rec: RecordingDetail;
  mayWrite: boolean;
  custodyVersion: number;
  onChanged(message: string): void;
}

/** The recording being looked at: the player, what it is, what may be done with it, and its custody. */
function SelectedRecording({ c, rec, mayWrite, custodyVersion, onChanged }: SelectedProps) {
  const { role } = useUser();
  const linked = c.recordings.some((r) => r.id === rec.id);
  return (
    <>
      <RecordingPanels
        rec={rec}
        onChanged={onChanged}
        banner={
          linked ? null : (
            <p class="msg msg-warn" data-testid="not-linked">
              {t('ev.case.notLinked')}
            </p>
          )
        }
        actions={mayWrite && linked ? <UnlinkAction caseNo={c.caseNo} recordingId={rec.id} onDone={() => onChanged(t('ev.act.unlinked'))} /> : null}
      />
      {can.readCustody(role) ? <CustodyLog recordingId={rec.id} version={custodyVersion} /> : null}
    </>
  );
}

export function CasePage({ params, query }: PageProps) {
  const { role } = useUser();
  const caseNo = params.caseNo!;
  const loaded = useAsync(() => api.get<CaseDetail>(`/api/cases/${encodeURIComponent(caseNo)}`), [caseNo]);
  const c = loaded.data?.caseNo === caseNo ? loaded.data : undefined;
  const selected = c ? selectedRecording(query.get('recording'), c.recordings) : null;
  const recording = useAsync(() => (selected ? api.get<RecordingDetail>(recordingApi(selected)) : Promise.resolve(null)), [selected]);
  const rec = recording.data && recording.data.id === selected ? recording.data : null;
  const [notice, setNotice] = useState<string | null>(null);
  const [custodyVersion, setCustodyVersion] = useState(0);
  const mayWrite = can.writeLinks(role);

  if (!c) return <Page title={caseNo}>{loaded.error ? <LoadError error={loaded.error} what={caseNo} /> : <Loading />}</Page>;

  const select = (id: string) => {
    setNotice(null);
    setQuery({ recording: id });
  };
  // Whatever changed is read again: the case (its links), the recording (its marks) and its custody log.
  const changed = (message: string) => {
    loaded.reload();
    recording.reload();
    setCustodyVersion((n) => n + 1);
    setNotice(message);
  };

  return (
    <Page title={<span data-testid="case-title">{c.caseNo}</span>} actions={can.exportCase(role) ? <ExportLink caseNo={c.caseNo} /> : null}>
      <Notice text={notice} />
      <CaseFacts c={c} />
      <section class="card" data-testid="case-timeline">
        <h2>{t('ev.case.recordings', { n: c.recordings.length })}</h2>
        <CaseTimeline activities={c.activities} recordings={c.recordings} selectedId={selected} onSelect={select} />
        <LinkedRecordingTable recordings={c.recordings} selectedId={selected} onSelect={select} />
      </section>
      {selected ? (
        rec ? (
          <SelectedRecording c={c} rec={rec} mayWrite={mayWrite} custodyVersion={custodyVersion} onChanged={changed} />
        ) : recording.error ? (
          <LoadError error={recording.error} what={selected} />
        ) : (
          <Loading />
        )
      ) : null}
      {mayWrite ? (
        <section class="card">
          <h2>{t('ev.link.title')}</h2>
          <LinkForm c={c} preferId={rec && !c.recordings.some((r) => r.id === rec.id) ? rec.id : null} onLinked={(id) => (changed(t('ev.link.linked')), setQuery({ recording: id }))} />
        </section>
      ) : null}
    </Page>
  );
}
