import { mediaUrl } from './api';

export interface PlayerProps {
  recordingId: string;
}

/** Plays a recording's proxy (stub: the evidence helper replaces this with scrubbing over the sprite). */
export function Player({ recordingId }: PlayerProps) {
  return <video class="player-video" src={mediaUrl.proxy(recordingId)} controls preload="metadata" data-testid="player" />;
}
