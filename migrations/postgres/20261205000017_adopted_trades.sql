-- A trade adopted from a position the broker held outside the app has no entry order: its
-- `entry_intent` is NULL (the trade's body says who adopted it, when, and at what price).
ALTER TABLE trades ALTER COLUMN entry_intent DROP NOT NULL;
