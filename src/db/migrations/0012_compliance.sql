-- Integrity audits (DESIGN.md invariant 2): the original re-hashed in the store and compared with the catalog.
-- R5 of the regulation reads the latest result of each recording; nothing re-hashes footage during a check.
CREATE TABLE integrity_audits (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recording_id  uuid NOT NULL REFERENCES recordings(id),
  checked_at    timestamptz NOT NULL DEFAULT now(),
  result        text NOT NULL CHECK (result IN ('ok', 'mismatch', 'missing')),
  actual_sha256 text CHECK (actual_sha256 ~ '^[0-9a-f]{64}$'),
  actual_size   bigint
);
CREATE INDEX integrity_audits_latest ON integrity_audits (recording_id, checked_at DESC);

-- Spot checks (抽查, REGULATION.md): every draw is kept, abandoned ones too; a complete one is immutable.
CREATE TABLE spot_checks (
  id                 uuid PRIMARY KEY,
  opened_by          text NOT NULL,
  opened_at          timestamptz NOT NULL DEFAULT now(),
  period_from        date NOT NULL,
  period_to          date NOT NULL CHECK (period_to >= period_from),
  -- NULL: every unit.
  unit_codes         text[],
  sample_mode        text NOT NULL CHECK (sample_mode IN ('ratio', 'perUnit')),
  sample_value       numeric NOT NULL CHECK (sample_value > 0),
  seed               text NOT NULL,
  regulation_version text NOT NULL,
  -- The regulation as applied: a later edit of the file does not change what this check meant.
  regulation         jsonb NOT NULL,
  inspectors         text[],
  status             text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'abandoned')),
  abandoned_reason   text,
  closed_at          timestamptz,
  summary            jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX spot_checks_period ON spot_checks (period_from, period_to);

CREATE TABLE spot_check_items (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  spot_check_id uuid NOT NULL REFERENCES spot_checks(id),
  position      integer NOT NULL,
  -- What was drawn, as it was: the activity may later change or go.
  activity_id   bigint REFERENCES case_activities(id) ON DELETE SET NULL,
  case_no       text NOT NULL,
  activity_key  text NOT NULL,
  activity_type text NOT NULL,
  unit_code     text NOT NULL,
  badge_nos     text[] NOT NULL,
  started_at    timestamptz NOT NULL,
  ended_at      timestamptz NOT NULL,
  rank_key      text NOT NULL,
  inspector     text,
  -- The automatic rules' findings (R1–R6), stored when the check opens.
  findings      jsonb NOT NULL,
  -- The manual verdicts: {"M1": {"result": "pass", "by": "...", "at": "..."}, ...}
  verdicts      jsonb NOT NULL DEFAULT '{}',
  note          text,
  result        text NOT NULL DEFAULT 'pending' CHECK (result IN ('pending', 'pass', 'fail')),
  UNIQUE (spot_check_id, position)
);

-- A complete or abandoned spot check, and its items, never change again.
CREATE FUNCTION spot_checks_closed_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  closed text;
BEGIN
  IF TG_TABLE_NAME = 'spot_checks' THEN
    closed := OLD.status;
  ELSE
    SELECT status INTO closed FROM spot_checks WHERE id = OLD.spot_check_id;
  END IF;
  IF closed <> 'open' OR TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '% of a % spot check refused', TG_OP, closed USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER spot_checks_immutable BEFORE UPDATE OR DELETE ON spot_checks FOR EACH ROW EXECUTE FUNCTION spot_checks_closed_immutable();
CREATE TRIGGER spot_check_items_immutable BEFORE UPDATE OR DELETE ON spot_check_items FOR EACH ROW EXECUTE FUNCTION spot_checks_closed_immutable();

-- Bulletins (通报): issued once, never changed; a correction is a new version naming what it replaces.
CREATE TABLE bulletins (
  id            uuid PRIMARY KEY,
  spot_check_id uuid NOT NULL REFERENCES spot_checks(id),
  number        text NOT NULL,
  version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  replaces      uuid REFERENCES bulletins(id),
  locale        text NOT NULL CHECK (locale IN ('zh-CN', 'en')),
  issued_by     text NOT NULL,
  issued_at     timestamptz NOT NULL DEFAULT now(),
  custody_head  text NOT NULL CHECK (custody_head ~ '^[0-9a-f]{64}$'),
  -- Everything the bulletin says, computed once at issue: HTML, PDF and CSV are renderings of it.
  content       jsonb NOT NULL,
  pdf           bytea NOT NULL,
  UNIQUE (number, version)
);
CREATE UNIQUE INDEX bulletins_replaced_once ON bulletins (replaces) WHERE replaces IS NOT NULL;

CREATE FUNCTION bulletins_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'bulletins are immutable: % refused (issue a new version)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER bulletins_no_change BEFORE UPDATE OR DELETE ON bulletins FOR EACH ROW EXECUTE FUNCTION bulletins_immutable();
CREATE TRIGGER bulletins_no_truncate BEFORE TRUNCATE ON bulletins FOR EACH STATEMENT EXECUTE FUNCTION bulletins_immutable();
