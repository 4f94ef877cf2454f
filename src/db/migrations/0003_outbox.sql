-- Work that a state change needs done in the background, written in the same transaction as the change.
-- The relay moves each row to BullMQ under its job id; a job added twice under one id runs once.
CREATE TABLE outbox (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_name   text NOT NULL,
  job_id     text NOT NULL CHECK (position(':' in job_id) = 0),
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  relayed_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE relayed_at IS NULL;
