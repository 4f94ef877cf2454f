-- tus resumable uploads (src/ingest/tus.ts). The bytes wait in <DATA_DIR>/uploads/<id>; the row holds the
-- offset that has been fsynced, so any API process can continue the upload. Once the file has become a
-- recording the row keeps what a client asking with HEAD is told (the recording, its hash, duplicate or not).
CREATE TABLE tus_uploads (
  id            uuid PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users(id),
  length        bigint NOT NULL CHECK (length > 0),
  upload_offset bigint NOT NULL DEFAULT 0 CHECK (upload_offset BETWEEN 0 AND length),
  filename      text NOT NULL,
  fields        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  -- No foreign key: this table must not depend on the shape of the recordings catalog.
  recording_id  uuid,
  sha256        text,
  duplicate     boolean,
  CHECK ((completed_at IS NULL) = (recording_id IS NULL)),
  CHECK (completed_at IS NULL OR upload_offset = length)
);
