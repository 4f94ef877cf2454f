-- Retention (REGULATION.md, Retention): when a recording's bytes may go, what stops it, and the tombstone
-- a deletion leaves. retain_until NULL means kept permanently; a new column is NULL for rows that existed
-- before it, which errs on the side of keeping them until the retention run recomputes their date.
ALTER TABLE recordings
  ADD COLUMN retain_until   timestamptz,
  ADD COLUMN important_note jsonb,
  ADD COLUMN hold           jsonb,
  ADD COLUMN deleted_at     timestamptz,
  ADD COLUMN purged_at      timestamptz,
  ADD CONSTRAINT recordings_deleted_at CHECK ((status = 'deleted') = (deleted_at IS NOT NULL));

-- A legal hold on a case holds all of its footage: {reason, by, at}.
ALTER TABLE cases ADD COLUMN hold jsonb;

-- The retention run's two questions: what is due, and which tombstones still have bytes to remove.
CREATE INDEX recordings_retention_due ON recordings (retain_until) WHERE status <> 'deleted' AND retain_until IS NOT NULL;
CREATE INDEX recordings_unpurged ON recordings (deleted_at) WHERE status = 'deleted' AND purged_at IS NULL;

-- GET /api/recordings lists newest first, paging by (started_at, id).
CREATE INDEX recordings_started ON recordings (started_at DESC, id DESC);
