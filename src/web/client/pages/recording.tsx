import { useState } from 'preact/hooks';
import { api } from '../api';
import { t } from '../i18n';
import type { PageProps } from '../routes';
import { can, useUser } from '../session';
import { Loading, Notice, Page, useAsync } from '../ui';
import { LinkToCaseForm } from '../evidence-actions';
import { CustodyLog } from '../evidence-custody';
import { LoadError } from '../evidence-facts';
import { RecordingPanels } from '../evidence-recording';
import { recordingApi, type RecordingDetail } from '../evidence-types';
import '../evidence.css';

/**
 * One recording: the player and the facts for everyone who may see it (an officer their own footage); the
 * custody log and the marks for the evidence roles only.
 */
export function RecordingPage({ params }: PageProps) {
  const { role } = useUser();
  const id = params.id!;
  const loaded = useAsync(() => api.get<RecordingDetail>(recordingApi(id)), [id]);
  const rec = loaded.data?.id === id ? loaded.data : undefined;
  const [notice, setNotice] = useState<string | null>(null);
  const [custodyVersion, setCustodyVersion] = useState(0);
  const mayWrite = can.writeLinks(role);

  if (!rec) return <Page title={t('ev.rec.facts')}>{loaded.error ? <LoadError error={loaded.error} what={id} /> : <Loading />}</Page>;

  const changed = (message: string) => {
    loaded.reload();
    setCustodyVersion((n) => n + 1);
    setNotice(message);
  };

  return (
    <Page title={<span class="mono ev-title-file" data-testid="recording-title">{rec.filename}</span>}>
      <Notice text={notice} />
      <RecordingPanels rec={rec} onChanged={changed} />
      {mayWrite && rec.status !== 'deleted' ? (
        <section class="card">
          <h2>{t('ev.link.toCaseTitle')}</h2>
          <LinkToCaseForm recordingId={rec.id} onLinked={(caseNo) => changed(t('ev.link.linkedTo', { caseNo }))} />
        </section>
      ) : null}
      {can.readCustody(role) ? <CustodyLog recordingId={rec.id} version={custodyVersion} /> : null}
    </Page>
  );
}
