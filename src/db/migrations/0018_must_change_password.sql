-- A password an admin set (a new account, a reset) is known to the admin: its owner changes it before doing
-- anything else. Set by the API when an admin sets a password for a person's account, cleared when the owner
-- changes it (POST /api/auth/password). A constant default adds the column without rewriting the table.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
