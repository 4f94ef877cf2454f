-- Cases from the bureau's penalty-case system and their enforcement activities (API.md, Cases). A case's
-- body is replaced whole by each PUT; an activity is known by its key within the case.
CREATE TABLE cases (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_no    text NOT NULL UNIQUE,
  title      text,
  kind       text NOT NULL CHECK (kind IN ('penalty', 'inspection', 'compulsory', 'other')),
  status     text NOT NULL CHECK (status IN ('open', 'closed')),
  unit_id    bigint NOT NULL REFERENCES units(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  closed_at  timestamptz
);
CREATE INDEX cases_unit ON cases (unit_id);

CREATE TABLE case_activities (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id    bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  key        text NOT NULL,
  type       text NOT NULL CHECK (type IN ('inspection', 'questioning', 'on_the_spot_penalty', 'sampling', 'preservation',
                                           'seizure', 'execution', 'service', 'hearing', 'other')),
  started_at timestamptz NOT NULL,
  ended_at   timestamptz NOT NULL CHECK (ended_at >= started_at),
  location   text,
  UNIQUE (case_id, key)
);
-- The window query of footage matching (issue 5's linking) and of spot checks by period.
CREATE INDEX case_activities_window ON case_activities USING gist (tstzrange(started_at, ended_at, '[]'));

CREATE TABLE activity_officers (
  activity_id bigint NOT NULL REFERENCES case_activities(id) ON DELETE CASCADE,
  officer_id  bigint NOT NULL REFERENCES officers(id),
  PRIMARY KEY (activity_id, officer_id)
);
CREATE INDEX activity_officers_officer ON activity_officers (officer_id);
