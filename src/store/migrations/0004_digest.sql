-- The daily digest of open tickets (notifications.digest_at).

-- A digest is about many tickets, so an outbox row may name none. SQLite
-- cannot drop a NOT NULL constraint: the table is rebuilt with the same
-- columns, checks and indexes, and the rows are copied with their ids.
-- Nothing references outbox, so dropping it with foreign keys on deletes
-- nothing elsewhere.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER REFERENCES tickets(id),
    event TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    references_ids TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sending','sent','failed','held')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    delivered_to TEXT,
    released INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO outbox_new (id, ticket_id, event, recipient, subject, body_text, message_id, in_reply_to,
                        references_ids, state, attempts, last_error, next_attempt_at, created_at, sent_at,
                        delivered_to, released)
    SELECT id, ticket_id, event, recipient, subject, body_text, message_id, in_reply_to,
           references_ids, state, attempts, last_error, next_attempt_at, created_at, sent_at,
           delivered_to, released
    FROM outbox;
-- Keep the id counter: an id an operator once saw (`outbox retry ID`) is
-- never given to another notification. The rename below carries it along.
DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
UPDATE sqlite_sequence SET name = 'outbox_new' WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_recipient_sent ON outbox(recipient, sent_at);

-- One row per day the digest was queued, written in the transaction of its
-- outbox rows: the day's digest goes out once, at digest_at or at the first
-- look after it, whatever restarts happen, and a ticket assigned later in
-- the day waits for the next one. day: the local date, YYYY-MM-DD.
CREATE TABLE digest_runs (
    day TEXT PRIMARY KEY,
    queued_at TEXT NOT NULL,
    digests INTEGER NOT NULL
) STRICT;

-- Who got a digest of that day, and of how many tickets: at most one each.
CREATE TABLE digests (
    day TEXT NOT NULL REFERENCES digest_runs(day),
    recipient TEXT NOT NULL,
    tickets INTEGER NOT NULL,
    PRIMARY KEY (day, recipient)
) STRICT;
