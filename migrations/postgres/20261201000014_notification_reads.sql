-- How far each user has read their notification centre: what is newer is unread. Kept per
-- user, so a phone and a desktop agree.
CREATE TABLE notification_reads (
    user_id       BIGINT  PRIMARY KEY REFERENCES users (id),
    read_until_ms BIGINT  NOT NULL
);
