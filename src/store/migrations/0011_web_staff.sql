-- Technicians and operators on the web (issue 16).

-- Sign-in links: a link mailed to a staff address carries a random token;
-- only its SHA-256 is kept, so a copy of the database signs nobody in. A
-- token is consumed by deleting its row, which happens once.
CREATE TABLE web_signin_tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX web_signin_tokens_email ON web_signin_tokens(email, expires_at);

-- Sessions, by the SHA-256 of the cookie's random id. idle_until moves on
-- with each request, never past absolute_until. origin: 'link' or 'proxy'.
CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    origin TEXT NOT NULL CHECK (origin IN ('link', 'proxy')),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    idle_until TEXT NOT NULL,
    absolute_until TEXT NOT NULL
) STRICT;
CREATE INDEX web_sessions_absolute ON web_sessions(absolute_until);

-- The dashboard counts tickets opened per day over 30 days: a range over
-- created_at instead of a scan of every ticket.
CREATE INDEX tickets_created ON tickets(created_at);

