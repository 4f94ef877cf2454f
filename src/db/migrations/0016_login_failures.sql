-- Failed logins, shared by every API process, so a guesser cannot spread attempts across them. One row per
-- failure names the account tried (lower-cased, whether or not it exists: the limit must not tell) and the
-- client address. A successful login clears `account` but keeps the row: it still counts against the address.
-- Rows older than the window are useless and are pruned as new attempts arrive (login_failures_at).
CREATE TABLE login_failures (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account   text,
  address   text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_account ON login_failures (account, failed_at) WHERE account IS NOT NULL;
CREATE INDEX login_failures_address ON login_failures (address, failed_at);
CREATE INDEX login_failures_at ON login_failures (failed_at);
