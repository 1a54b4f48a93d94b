-- The per-address rate guard (notifications.max_per_address_per_hour)
-- counts what was sent to an address in the last hour.
CREATE INDEX outbox_recipient_sent ON outbox(recipient, sent_at);
-- A held row an operator released with `mailgate outbox retry`: it goes out
-- even past the guard, which would otherwise hold it again at once.
ALTER TABLE outbox ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
