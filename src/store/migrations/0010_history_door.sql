-- Which door each change came through (mail, web, timer, cli): the web is a
-- second way into the life cycle, and the audit log must say which one a
-- change used. Every line written before this migration came by mail or by
-- the daemon itself; 'mail' is the truthful default for the former.
ALTER TABLE ticket_history ADD COLUMN door TEXT NOT NULL DEFAULT 'mail';
