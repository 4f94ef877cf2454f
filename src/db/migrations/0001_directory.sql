-- The bureau's directory. Nothing here is ever deleted: rows are deactivated, and who-was-where-when
-- lives in validity ranges that never overlap for the same officer or recorder.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE units (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code       text NOT NULL UNIQUE,
  name       text NOT NULL,
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE officers (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  badge_no   text NOT NULL UNIQUE,
  name       text NOT NULL,
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Which unit an officer belonged to, when. An unbounded lower end means "since before the system knew".
CREATE TABLE officer_units (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  officer_id bigint NOT NULL REFERENCES officers(id),
  unit_id    bigint NOT NULL REFERENCES units(id),
  valid      tstzrange NOT NULL CHECK (NOT isempty(valid)),
  created_at timestamptz NOT NULL DEFAULT now(),
  EXCLUDE USING gist (officer_id WITH =, valid WITH &&)
);
CREATE INDEX officer_units_unit ON officer_units USING gist (unit_id, valid);

CREATE TABLE recorders (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  serial     text NOT NULL UNIQUE,
  model      text,
  active     boolean NOT NULL DEFAULT true,
  note       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- 一人一机: at any instant a recorder has at most one officer and an officer at most one recorder.
CREATE TABLE recorder_assignments (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recorder_id bigint NOT NULL REFERENCES recorders(id),
  officer_id  bigint NOT NULL REFERENCES officers(id),
  valid       tstzrange NOT NULL CHECK (NOT isempty(valid)),
  created_at  timestamptz NOT NULL DEFAULT now(),
  EXCLUDE USING gist (recorder_id WITH =, valid WITH &&),
  EXCLUDE USING gist (officer_id WITH =, valid WITH &&)
);
