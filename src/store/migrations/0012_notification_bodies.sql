-- A notification's words, stored once for every recipient of one event who
-- gets the same ones (the technicians told of a new ticket, a group), and
-- apart from the outbox row: the row's state changes as it is sent (pending,
-- sending, sent), and each change rewrote the whole text with it, which was
-- most of what the database wrote per mail. A personal link in the text is
-- stored as a marker and put back for each recipient when sending
-- (outbox.personal_link). Rows written before this keep their own text in
-- outbox.body_text / body_zstd, and body_id is NULL.
CREATE TABLE notification_bodies (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    text_zstd BLOB
) STRICT;
ALTER TABLE outbox ADD COLUMN body_id INTEGER REFERENCES notification_bodies(id);
ALTER TABLE outbox ADD COLUMN personal_link INTEGER NOT NULL DEFAULT 0;
