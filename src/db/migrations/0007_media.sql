-- What the media pipeline makes of a recording. `proxy` and `thumbnails` point at what is served now (a
-- re-processing run replaces them only when its own outputs exist); `pending` lists the stages this run
-- still has to finish before the recording is ready.
-- upgrade-safe: the CHECK on the new column costs one scan of recordings under an exclusive lock (every row is
-- NULL, so nothing fails); the older version never writes `progress`, and the NOT NULL columns have constant
-- defaults (no rewrite), so its inserts keep working.
ALTER TABLE recordings
  ADD COLUMN progress     real CHECK (progress >= 0 AND progress <= 1),
  ADD COLUMN proxy        jsonb,
  ADD COLUMN thumbnails   jsonb,
  ADD COLUMN pending      text[] NOT NULL DEFAULT '{}',
  ADD COLUMN processed_at timestamptz;

-- A deliberate re-run: the relay removes a finished job of the same id first (BullMQ ignores a new job
-- whose id it still remembers).
-- upgrade-safe: a constant default (no rewrite); the older relay ignores the column, its inserts get false.
ALTER TABLE outbox ADD COLUMN replace boolean NOT NULL DEFAULT false;

-- The relay listens, so a job reaches its queue as soon as the transaction that wrote it commits; polling
-- remains the fallback.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('outbox', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
