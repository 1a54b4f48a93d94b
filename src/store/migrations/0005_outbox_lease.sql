-- Outbox leases. A claimed row is `sending` until lease_until, and only the
-- sender holding lease_token may record what became of it. Before, a row
-- left `sending` was claimed again at once: a killed `ingest` left a row
-- that every later process took first, and two processes could send one
-- row twice. Now only a pending row that is due, or a sending row whose
-- lease has run out, is claimed. Rows left sending by an older mailgate
-- have no lease: they are due at once, as they were.
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN lease_token TEXT;
