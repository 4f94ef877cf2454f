-- Footage as received. The bytes live in the object store under object_key and are never rewritten;
-- sha256 is computed while they stream in and is unique: the same content is stored once.
CREATE TABLE recordings (
  id            uuid PRIMARY KEY,
  sha256        text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size          bigint NOT NULL CHECK (size > 0),
  filename      text NOT NULL,
  object_key    text NOT NULL UNIQUE,
  container     text NOT NULL,
  recorder_id   bigint NOT NULL REFERENCES recorders(id),
  officer_id    bigint NOT NULL REFERENCES officers(id),
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz,
  duration_s    double precision,
  seq           integer,
  important     boolean NOT NULL DEFAULT false,
  docked_at     timestamptz NOT NULL,
  ingested_at   timestamptz NOT NULL DEFAULT now(),
  uploaded_by   bigint NOT NULL REFERENCES users(id),
  upload_method text NOT NULL CHECK (upload_method IN ('multipart', 'tus')),
  status        text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'ready', 'unplayable', 'deleted')),
  status_reason text,
  media         jsonb
);
CREATE INDEX recordings_officer_time ON recordings (officer_id, started_at);
CREATE INDEX recordings_recorder_time ON recordings (recorder_id, started_at);

-- The custody log: append-only and hash-chained (DESIGN.md, invariant 3). The database itself refuses to
-- change or remove an event, whoever asks.
CREATE TABLE custody_events (
  seq       bigint PRIMARY KEY CHECK (seq > 0),
  at        timestamptz NOT NULL,
  actor     text NOT NULL,
  action    text NOT NULL,
  target    text NOT NULL,
  detail    jsonb NOT NULL,
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX custody_events_target ON custody_events (target);

CREATE FUNCTION custody_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'custody_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER custody_events_no_update BEFORE UPDATE OR DELETE ON custody_events
  FOR EACH ROW EXECUTE FUNCTION custody_events_append_only();
CREATE TRIGGER custody_events_no_truncate BEFORE TRUNCATE ON custody_events
  FOR EACH STATEMENT EXECUTE FUNCTION custody_events_append_only();
