CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'supervisor', 'reviewer', 'officer', 'station', 'integration')),
  unit_id       bigint REFERENCES units(id),
  officer_id    bigint REFERENCES officers(id),
  active        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (role <> 'officer' OR officer_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- Login sessions (they expire) and machine tokens for stations and integrations (until revoked).
-- Only the SHA-256 of a token is kept: a database dump does not hand out working credentials.
CREATE TABLE auth_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users(id),
  kind         text NOT NULL CHECK (kind IN ('session', 'api')),
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id) WHERE revoked_at IS NULL;
