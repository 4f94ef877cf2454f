-- Footage linked to cases: by the machine (`auto`, from activities and time windows) or by hand (`manual`,
-- with a reason). A pair unlinked by hand is remembered, so the machine never links it again.
CREATE TABLE case_links (
  case_id      bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  recording_id uuid NOT NULL REFERENCES recordings(id),
  source       text NOT NULL CHECK (source IN ('auto', 'manual')),
  reason       text,
  linked_by    text NOT NULL,
  linked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_id, recording_id),
  CHECK (source = 'auto' OR reason IS NOT NULL)
);
CREATE INDEX case_links_recording ON case_links (recording_id);

CREATE TABLE case_unlinks (
  case_id      bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  recording_id uuid NOT NULL REFERENCES recordings(id),
  reason       text NOT NULL,
  unlinked_by  text NOT NULL,
  unlinked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (case_id, recording_id)
);
