-- An item is a snapshot of what was drawn: it keeps its case number, activity key, times and officers, so it needs
-- no link to the activity. The link made a case impossible to update once one of its activities sat in a closed
-- check (removing the activity set the link to NULL, an UPDATE the immutability trigger refuses).
ALTER TABLE spot_check_items DROP CONSTRAINT spot_check_items_activity_id_fkey;

-- The footage an item's inspector watches (F(A, O) of its officers when the check opened): what the inspector's
-- read exception (API.md) covers, exactly.
ALTER TABLE spot_check_items ADD COLUMN recording_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX spot_check_items_inspector ON spot_check_items (inspector, case_no) WHERE inspector IS NOT NULL;
CREATE INDEX spot_check_items_recordings ON spot_check_items USING gin (recording_ids) WHERE inspector IS NOT NULL;
