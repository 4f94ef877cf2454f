-- Footage matching at catalog scale (issue 5; the cases benchmark, `npm run bench -- --only cases`).
-- relinkCase finds an officer's footage overlapping an activity's window: by officer and span. The span is
-- [started_at, ended_at], a point at the start while the end is unknown; greatest() ignores a NULL end and
-- keeps the range valid should an end ever precede its start (the query re-checks the exact condition).
-- upgrade-safe: a GiST build, about 7 s per million recordings (measured, 2 cores): uploads finishing in that
-- time wait for it (their INSERT blocks, it does not fail; no statement_timeout is set); reads go on.
CREATE INDEX recordings_officer_span ON recordings USING gist (officer_id, tstzrange(started_at, greatest(started_at, ended_at), '[]'));

-- relinkRecording reads the cases a recording was unlinked from by hand (the primary key leads with the case).
-- upgrade-safe: case_unlinks holds only pairs unlinked by hand (small); its build is momentary.
CREATE INDEX case_unlinks_recording ON case_unlinks (recording_id);
