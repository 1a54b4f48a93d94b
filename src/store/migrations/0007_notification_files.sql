-- Files travel with notifications. A notification is rendered when it is
-- queued but built as MIME when it is sent, so the outbox row names the
-- stored files it carries, and the sender attaches them from `blobs` then:
-- no second copy of a file per recipient. `position` keeps the mail's order.
CREATE TABLE outbox_attachments (
    outbox_id INTEGER NOT NULL REFERENCES outbox(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (outbox_id, attachment_id)
) STRICT;

-- The Content-ID of an inline part (an image an HTML body shows by `cid:`),
-- written again on the part when the file is sent on.
ALTER TABLE attachments ADD COLUMN content_id TEXT;
