-- Compressed storage. How a blob's bytes are stored: NULL as they are, 'zstd' compressed
-- (store/blobs.rs). Older rows stay as they were.
ALTER TABLE blobs ADD COLUMN codec TEXT;

-- A notification's body, zstd-compressed (body_text is then empty).
ALTER TABLE outbox ADD COLUMN body_zstd BLOB;

-- The inbound loop guard counts a sender's answered mails of the last hour
-- for every mail: by sender first, so that a backlog replayed within an
-- hour does not make each count scan the whole hour.
CREATE INDEX messages_sender_received ON messages(sender, received_at);
