-- Compliance facts (src/compliance/facts.ts). F(A, O) also takes footage recorded under another badge on a
-- recorder assigned to O at the time: by recorder and span, as 0011 indexes it by officer and span.
-- upgrade-safe: a GiST build like 0011's, about 7 s per million recordings, in which writes to recordings wait.
CREATE INDEX recordings_recorder_span ON recordings USING gist (recorder_id, tstzrange(started_at, greatest(started_at, ended_at), '[]'));

-- The spot-check population: activities whose start falls in a period.
-- upgrade-safe: a few thousand activities a year: the build is momentary.
CREATE INDEX case_activities_started ON case_activities (started_at);
