-- 0017_handover: a room keeps an owner. When its only owner leaves (or is removed) while other
-- members remain, the store appends a role entry that makes one of them owner; entries.auto
-- marks it, so that clients can tell it from a role someone set. memberships_heirs finds the
-- room's other owners and its heir (the moderator, else the member, who has been one the
-- longest) by a probe of each role instead of a scan of the room's members.
ALTER TABLE entries ADD COLUMN auto INTEGER NOT NULL DEFAULT 0;
CREATE INDEX memberships_heirs ON memberships (room, role, since_ms, user_id) WHERE invited = 0;
