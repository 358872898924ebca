-- Firings of alerts kept at Kite are relayed by the webhook too: one delivery per firing, by
-- its key (`<kite alert id>:<count>`), so enqueueing twice adds nothing. NULL for the app's
-- own alerts and for tests.
ALTER TABLE webhook_deliveries ADD COLUMN kite_firing TEXT;
CREATE UNIQUE INDEX webhook_deliveries_kite_firing ON webhook_deliveries (kite_firing);
