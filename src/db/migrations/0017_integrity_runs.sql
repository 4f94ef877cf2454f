-- Integrity audit runs (src/integrity/run.ts): what each daily run set out to do and what it found, so the
-- dashboard can say when the audit last ran and how it went (integrity_audits rows are per recording, and
-- exports write them too). A run that failed (the store unreadable) is kept with its error.
CREATE TABLE integrity_runs (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  -- The run's share: how many recordings it was to re-hash (0 when the day's share was already done).
  planned     integer NOT NULL CHECK (planned >= 0),
  checked     integer NOT NULL CHECK (checked >= 0),
  ok          integer NOT NULL CHECK (ok >= 0),
  mismatch    integer NOT NULL CHECK (mismatch >= 0),
  missing     integer NOT NULL CHECK (missing >= 0),
  bytes       bigint NOT NULL CHECK (bytes >= 0),
  error       text,
  -- Coverage when the run ended: stored originals, and how many of them were checked within the cycle. Counted
  -- here once a day because counting it per dashboard view costs seconds at a million recordings.
  live        integer CHECK (live >= 0),
  covered     integer CHECK (covered >= 0)
);
CREATE INDEX integrity_runs_finished ON integrity_runs (finished_at DESC);

-- The dashboard lists recordings whose latest audit failed: failed audits are few, so it starts from them.
-- upgrade-safe: one scan of integrity_audits (a daily batch of rows, plus exports) to index its few failures.
CREATE INDEX integrity_audits_failed ON integrity_audits (recording_id) WHERE result <> 'ok';
