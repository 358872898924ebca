-- How far each user has read their notification centre: what is newer is unread. Kept per
-- user, so a phone and a desktop agree.
CREATE TABLE notification_reads (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id),
    read_until_ms INTEGER NOT NULL
);
