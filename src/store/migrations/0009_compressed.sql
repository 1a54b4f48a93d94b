-- Compressed storage. How a blob's bytes are stored: NULL as they are, 'zstd' compressed
-- (store/blobs.rs). Older rows stay as they were.
ALTER TABLE blobs ADD COLUMN codec TEXT;

-- A notification's body, zstd-compressed (body_text is then empty).
ALTER TABLE outbox ADD COLUMN body_zstd BLOB;
