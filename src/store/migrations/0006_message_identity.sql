-- One record per mail, guarded by the database itself: the first record of
-- a Message-ID + content pair that is not a duplicate (nor a replay) claims
-- the pair here, so two processes delivering the same mail at once can never
-- both record it as new, whatever happens before their transactions.
CREATE TABLE message_identities (
    message_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    message_row INTEGER NOT NULL REFERENCES messages(id),
    PRIMARY KEY (message_id, content_hash)
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO message_identities (message_id, content_hash, message_row)
    SELECT message_id, content_hash, MIN(id) FROM messages
    WHERE outcome != 'duplicate' AND replay_of IS NULL
    GROUP BY message_id, content_hash;

-- What could not be read or was cut (an unknown charset, a text over the
-- size kept), one per line; shown by `tickets show` and `messages show`.
ALTER TABLE messages ADD COLUMN defects TEXT;

-- The sender's authentication verdict ([trust] report or enforce), and
-- whether the mail is held in quarantine for an operator.
ALTER TABLE messages ADD COLUMN trust TEXT;
ALTER TABLE messages ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
