-- An item is a snapshot of what was drawn: it keeps its case number, activity key, times and officers, so it needs
-- no link to the activity. The link made a case impossible to update once one of its activities sat in a closed
-- check (removing the activity set the link to NULL, an UPDATE the immutability trigger refuses).
-- upgrade-safe: dropping a foreign key only loosens: every write the older version makes still succeeds (an
-- activity it removes now leaves the item's activity_id as it was, which nothing reads); the lock is brief, no scan.
ALTER TABLE spot_check_items DROP CONSTRAINT spot_check_items_activity_id_fkey;

-- The footage an item's inspector watches (F(A, O) of its officers when the check opened): what the inspector's
-- read exception (API.md) covers, exactly.
-- upgrade-safe: the new column has a constant default (no rewrite); spot_check_items holds a few hundred rows
-- per check, so the index builds are momentary.
ALTER TABLE spot_check_items ADD COLUMN recording_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX spot_check_items_inspector ON spot_check_items (inspector, case_no) WHERE inspector IS NOT NULL;
CREATE INDEX spot_check_items_recordings ON spot_check_items USING gin (recording_ids) WHERE inspector IS NOT NULL;
