-- S3 multipart uploads in progress (see src/ingest/multipart-registry.ts).
CREATE TABLE multipart_uploads (
  object_key text NOT NULL,
  upload_id  text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (object_key, upload_id)
);
