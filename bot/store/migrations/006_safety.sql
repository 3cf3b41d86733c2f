-- Safety invariants (issue #12): what the checker in bot/store/invariants.py reads.
-- relayed: the case's current helper has this student message (a copy queued, in a digest, or
-- in the take-over summary); 0 while nobody holds the case or while a flood digest is pending.
ALTER TABLE case_messages ADD COLUMN relayed INTEGER NOT NULL DEFAULT 1;
-- Which case a queued message belongs to (the student's code) and who it is for: the case's
-- student, its current helper, or staff being alerted/offered it. Staff reply to a case by
-- replying to one of its messages: platform_ref is kept for those.
ALTER TABLE outbox ADD COLUMN case_code TEXT;
ALTER TABLE outbox ADD COLUMN audience TEXT CHECK (audience IN ('student', 'helper', 'staff'));
CREATE INDEX outbox_case ON outbox (case_code) WHERE case_code IS NOT NULL;
CREATE INDEX outbox_platform_ref ON outbox (recipient_key, platform_ref)
  WHERE platform_ref IS NOT NULL;
-- Set when a message to this person fails for good (blocked the bot, chat gone); cleared when
-- they write again. sebaya doctor lists them.
ALTER TABLE users ADD COLUMN unreachable_since TEXT;
