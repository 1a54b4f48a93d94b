-- mailgate schema, version 1. Never edit a migration that has shipped: add
-- the next file instead; the binary applies them in order inside one
-- transaction and records the version in PRAGMA user_version.

-- Content-addressed bytes: raw mail copies and attachment contents. Kept in
-- the database, not on disk, so that a mail, its ticket and its files commit
-- in one transaction and a backup is one file. Identical bytes (a duplicate
-- delivery, the same logo in every signature) are stored once.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    bytes BLOB
) STRICT;

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new','assigned','planned','pending','solved','closed','cancelled')),
    type TEXT NOT NULL DEFAULT 'incident' CHECK (type IN ('incident','request')),
    entity TEXT NOT NULL,
    requester TEXT NOT NULL,
    related_ticket_id INTEGER REFERENCES tickets(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX tickets_status ON tickets(status);

-- People on a ticket: its requester, observers (Cc of the first mail) and
-- assigned technicians. The name is the last display name seen.
CREATE TABLE actors (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    role TEXT NOT NULL CHECK (role IN ('requester','observer','technician')),
    email TEXT NOT NULL,
    name TEXT,
    PRIMARY KEY (ticket_id, role, email)
) STRICT;
CREATE INDEX actors_email ON actors(email);

-- Every mail mailgate was given, whatever became of it.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    message_id_derived INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    raw_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size INTEGER NOT NULL,
    sender TEXT,
    subject TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL CHECK (outcome IN ('ticket_created','followup_added','refused','ignored','duplicate')),
    reason TEXT,
    ticket_id INTEGER REFERENCES tickets(id),
    replay_of INTEGER REFERENCES messages(id),
    received_at TEXT NOT NULL
) STRICT;
CREATE INDEX messages_identity ON messages(message_id, content_hash);
CREATE INDEX messages_source_key ON messages(source, source_key);
CREATE INDEX messages_ticket ON messages(ticket_id);
CREATE INDEX messages_received ON messages(received_at);

CREATE TABLE followups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    message_row_id INTEGER REFERENCES messages(id),
    author TEXT NOT NULL,
    author_name TEXT,
    role TEXT NOT NULL CHECK (role IN ('requester','observer','technician')),
    body TEXT NOT NULL,
    private INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX followups_ticket ON followups(ticket_id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    followup_id INTEGER REFERENCES followups(id),
    message_row_id INTEGER REFERENCES messages(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    inline INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX attachments_ticket ON attachments(ticket_id);

-- The audit log of each ticket: who changed what, when.
CREATE TABLE ticket_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX ticket_history_ticket ON ticket_history(ticket_id);

-- Notifications, written in the transaction of the change that caused them,
-- with their subject and text rendered then, so that a resend carries the
-- same words and the same Message-ID. The HTML alternative is the layout
-- around that text, rendered when sending: storing it too would double what
-- every notification costs on disk.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
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
    delivered_to TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- One row, bumped by Store::make_durable: a write committed with
-- synchronous=FULL, whose fsync of the WAL makes every earlier commit durable.
CREATE TABLE durability (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    syncs INTEGER NOT NULL
) STRICT;
INSERT INTO durability (id, syncs) VALUES (1, 0);
