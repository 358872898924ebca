-- An order that exits units the broker holds outside the app's trades (the Account page's
-- Exit on an outside position): it opens no trade and closes none, and the risk gate lets it
-- through like every exit.
ALTER TABLE order_intents ADD COLUMN outside_exit BOOLEAN NOT NULL DEFAULT FALSE;
