-- The helpdesk life cycle: ticket fields set by routing rules and by
-- technicians' commands, groups on tickets, and solutions the requester
-- accepts or rejects.

-- category: the full path from the configured tree, "Scolarité > LSU".
-- urgency, impact: 1 (very low) to 5 (very high), GLPI's scale; priority
-- comes from them through tickets.priority_matrix (6 is "major", set by
-- hand only). rule: the routing rule that filed the ticket, for the record.
-- solved_at: when the waiting solution was proposed, for auto-close.
ALTER TABLE tickets ADD COLUMN category TEXT;
ALTER TABLE tickets ADD COLUMN urgency INTEGER NOT NULL DEFAULT 3 CHECK (urgency BETWEEN 1 AND 5);
ALTER TABLE tickets ADD COLUMN impact INTEGER NOT NULL DEFAULT 3 CHECK (impact BETWEEN 1 AND 5);
ALTER TABLE tickets ADD COLUMN priority INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 6);
ALTER TABLE tickets ADD COLUMN location TEXT;
ALTER TABLE tickets ADD COLUMN rule TEXT;
ALTER TABLE tickets ADD COLUMN solved_at TEXT;
ALTER TABLE tickets ADD COLUMN closed_at TEXT;
-- The auto-close timer looks for solved tickets by age.
CREATE INDEX tickets_solved ON tickets(status, solved_at);
CREATE INDEX tickets_category ON tickets(category);

-- Groups on a ticket, by their configured name: the group in charge
-- ('assigned') and groups kept informed ('observer'), such as the first
-- level after an escalation. Members are resolved from the configuration
-- when notifying, so a change of members applies to open tickets.
CREATE TABLE ticket_groups (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    role TEXT NOT NULL CHECK (role IN ('assigned','observer')),
    group_name TEXT NOT NULL,
    PRIMARY KEY (ticket_id, role, group_name)
) STRICT;
CREATE INDEX ticket_groups_name ON ticket_groups(group_name, role);

-- Solutions proposed by technicians (#solve), and what the requester said.
CREATE TABLE solutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    followup_id INTEGER REFERENCES followups(id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting','accepted','rejected')),
    created_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT
) STRICT;
CREATE INDEX solutions_ticket ON solutions(ticket_id, state);
