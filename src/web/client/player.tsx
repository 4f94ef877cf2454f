import { useEffect, useRef, useState } from 'preact/hooks';
import { api, mediaUrl } from './api';
import { duration } from './format';
import { t, type MessageKey } from './i18n';
import { fitScale, fractionAlong, previewCentre, spriteTile, timeAtFraction, type SpriteGeometry } from './sprite';
import { recordingApi, type RecordingDetail } from './evidence-types';
import { NotPlayable } from './evidence-facts';
import { isProcessing } from './officer-format';
import { ErrorMessage, Loading, useAsync } from './ui';
import './evidence.css';

export interface PlayerProps {
  recordingId: string;
  /** The recording's detail when the page has it already (saves a request); else the player asks for it. */
  recording?: RecordingDetail;
}

/** While footage is in the pipeline, the player asks again this often and plays it once it is ready. */
const RECHECK_MS = 4000;
const PREVIEW_MAX_WIDTH = 200;
const KEY_STEP_S = 5;


/**
 * Plays a recording's proxy with a scrub bar that previews the sprite thumbnail under the pointer and seeks on
 * click. Footage that cannot play (in the pipeline, unplayable, deleted) shows its status and why instead.
 */
export function Player({ recordingId, recording }: PlayerProps) {
  const loaded = useAsync<RecordingDetail>(
    () => (recording && recording.id === recordingId ? Promise.resolve(recording) : api.get<RecordingDetail>(recordingApi(recordingId))),
    [recordingId, recording],
  );
  // Footage in the pipeline is asked about again until it plays (a page's copy would stay as it was).
  const [polled, setPolled] = useState<RecordingDetail | null>(null);
  const [attempt, setAttempt] = useState(0);
  const base = loaded.data?.id === recordingId ? loaded.data : undefined;
  const rec = polled?.id === recordingId ? polled : base;
  const waiting = !!rec && isProcessing(rec.status) && !rec.playback?.proxy;
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(
      () => api.get<RecordingDetail>(recordingApi(recordingId)).then(setPolled, () => setAttempt((n) => n + 1)),
      RECHECK_MS,
    );
    return () => clearTimeout(timer);
  }, [waiting, rec, attempt, recordingId]);

  if (!rec) return loaded.error ? <ErrorMessage error={loaded.error} /> : <Loading />;
  if (rec.status === 'deleted' || !rec.playback?.proxy) return <NotPlayable rec={rec} />;
  return <VideoWithScrub key={rec.id} rec={rec} />;
}

function mediaErrorText(code: number | undefined): string {
  const what = code && code >= 1 && code <= 4 ? t(`ev.player.error.${code}` as MessageKey) : t('error.generic');
  return t('ev.player.error', { what });
}

function VideoWithScrub({ rec }: { rec: RecordingDetail }) {
  const video = useRef<HTMLVideoElement>(null);
  const [now, setNow] = useState(0);
  const [length, setLength] = useState(rec.durationS ?? 0);
  const [failure, setFailure] = useState<string | null>(null);
  const playback = rec.playback!;

  const seek = (seconds: number) => {
    const v = video.current;
    if (!v) return;
    v.currentTime = seconds;
    setNow(seconds);
  };
  const onMeta = () => {
    const d = video.current?.duration;
    if (d && Number.isFinite(d)) setLength(d);
  };

  return (
    <div class="player" data-testid="player-box">
      <video
        ref={video}
        class="player-video"
        src={mediaUrl.proxy(rec.id)}
        poster={playback.poster ? mediaUrl.poster(rec.id) : undefined}
        controls
        preload="metadata"
        playsInline
        aria-label={t('ev.player.label')}
        data-testid="player"
        onLoadedMetadata={onMeta}
        onDurationChange={onMeta}
        onTimeUpdate={() => setNow(video.current?.currentTime ?? 0)}
        onSeeked={() => setNow(video.current?.currentTime ?? 0)}
        onError={() => setFailure(mediaErrorText(video.current?.error?.code))}
        onPlaying={() => setFailure(null)}
      />
      <ScrubBar recordingId={rec.id} sprite={playback.sprite} now={now} length={length} onSeek={seek} />
      {failure ? (
        <div class="msg msg-error" role="alert" data-testid="player-error">
          {failure}
        </div>
      ) : null}
    </div>
  );
}

interface ScrubProps {
  recordingId: string;
  sprite: SpriteGeometry | null;
  now: number;
  length: number;
  onSeek(seconds: number): void;
}

/** The bar under the video: where playback is, the thumbnail of the moment under the pointer, a click seeks there. */
function ScrubBar({ recordingId, sprite, now, length, onSeek }: ScrubProps) {
  const bar = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<{ fraction: number; width: number } | null>(null);
  const at = (e: MouseEvent) => {
    const box = bar.current!.getBoundingClientRect();
    return { fraction: fractionAlong(e.clientX, box.left, box.width), width: box.width };
  };
  const onKey = (e: KeyboardEvent) => {
    const to = { ArrowLeft: now - KEY_STEP_S, ArrowRight: now + KEY_STEP_S, Home: 0, End: length }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    onSeek(Math.min(length, Math.max(0, to)));
  };
  const played = length > 0 ? Math.min(100, (now / length) * 100) : 0;
  return (
    <div class="scrub-row">
      <span class="scrub-time mono" data-testid="player-time">
        {duration(now)} / {duration(length)}
      </span>
      <div
        ref={bar}
        class="scrub"
        role="slider"
        tabIndex={0}
        aria-label={t('ev.player.scrub')}
        aria-valuemin={0}
        aria-valuemax={Math.round(length)}
        aria-valuenow={Math.round(now)}
        aria-valuetext={duration(now)}
        data-testid="scrub-bar"
        onMouseMove={(e) => setHover(at(e))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => onSeek(timeAtFraction(at(e).fraction, length))}
        onKeyDown={onKey}
      >
        <div class="scrub-track">
          <div class="scrub-played" style={{ width: `${played}%` }} />
        </div>
        {hover && length > 0 ? <ScrubPreview recordingId={recordingId} sprite={sprite} seconds={timeAtFraction(hover.fraction, length)} fraction={hover.fraction} barWidth={hover.width} /> : null}
      </div>
    </div>
  );
}

function ScrubPreview({ recordingId, sprite, seconds, fraction, barWidth }: { recordingId: string; sprite: SpriteGeometry | null; seconds: number; fraction: number; barWidth: number }) {
  const tile = sprite ? spriteTile(sprite, seconds, fitScale(sprite, PREVIEW_MAX_WIDTH)) : null;
  const boxWidth = tile ? tile.width : 60;
  return (
    <div class="scrub-preview" style={{ left: `${previewCentre(fraction, barWidth, boxWidth)}px` }} data-testid="scrub-preview" aria-hidden="true">
      {tile ? (
        <div
          class="scrub-tile"
          data-tile={tile.index}
          style={{
            width: `${tile.width}px`,
            height: `${tile.height}px`,
            backgroundImage: `url("${mediaUrl.sprite(recordingId)}")`,
            backgroundPosition: tile.position,
            backgroundSize: tile.size,
          }}
        />
      ) : null}
      <span class="scrub-preview-time mono">{duration(seconds)}</span>
    </div>
  );
}
