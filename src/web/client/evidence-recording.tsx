import type { ComponentChildren } from 'preact';
import { t } from './i18n';
import { Player } from './player';
import { can, useUser } from './session';
import { ImportantAction } from './evidence-actions';
import { DownloadOriginal, RecordingFacts } from './evidence-facts';
import type { RecordingDetail } from './evidence-types';

interface Props {
  rec: RecordingDetail;
  /** Said above the player (e.g. that the recording is not linked to the case shown). */
  banner?: ComponentChildren;
  /** Further actions beside download and the important mark (e.g. unlink from the case shown). */
  actions?: ComponentChildren;
  onChanged(message: string): void;
}

/**
 * A recording as the evidence pages show it: the player with what may be done with it, and beside it the
 * facts a reviewer cites. The marks are offered to the roles that may set them only.
 */
export function RecordingPanels({ rec, banner, actions, onChanged }: Props) {
  const { role } = useUser();
  return (
    <div class="grid-2">
      <section class="card ev-player-card">
        {banner}
        <Player recordingId={rec.id} recording={rec} />
        <div class="row ev-actions" data-testid="recording-actions">
          <DownloadOriginal rec={rec} />
          {can.writeLinks(role) && rec.status !== 'deleted' ? (
            <ImportantAction rec={rec} onDone={(important) => onChanged(important ? t('ev.act.marked') : t('ev.act.unmarked'))} />
          ) : null}
          {actions}
        </div>
      </section>
      <section class="card">
        <h2>{t('ev.rec.facts')}</h2>
        <RecordingFacts rec={rec} linkCases={can.readCases(role)} />
      </section>
    </div>
  );
}
