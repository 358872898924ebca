-- The optional second factor: a TOTP secret (sealed like the Kite secrets), one being enrolled
-- (until its first code confirms it), and the last time step used (a code works once).
ALTER TABLE users ADD COLUMN totp_secret_sealed TEXT;
ALTER TABLE users ADD COLUMN totp_pending_sealed TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
