-- Retention (REGULATION.md, Retention): when a recording's bytes may go, what stops it, and the tombstone
-- a deletion leaves. retain_until NULL means kept permanently; a new column is NULL for rows that existed
-- before it, which errs on the side of keeping them until the retention run recomputes their date.
-- upgrade-safe: the CHECK scans recordings once under an exclusive lock held until this file commits (with the
-- index builds below: about 2 s per million recordings on a 2-core machine, reads and writes of recordings wait).
-- The older version never sets status 'deleted' (retention arrives here), so the check refuses none of its writes.
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
-- upgrade-safe: partial B-tree indexes; writes to recordings wait while they build (well under a second per
-- million recordings), nothing fails.
CREATE INDEX recordings_retention_due ON recordings (retain_until) WHERE status <> 'deleted' AND retain_until IS NOT NULL;
CREATE INDEX recordings_unpurged ON recordings (deleted_at) WHERE status = 'deleted' AND purged_at IS NULL;

-- GET /api/recordings lists newest first, paging by (started_at, id).
-- upgrade-safe: a B-tree build, about 0.6 s per million recordings (measured, 2 cores) during which writes wait.
CREATE INDEX recordings_started ON recordings (started_at DESC, id DESC);
