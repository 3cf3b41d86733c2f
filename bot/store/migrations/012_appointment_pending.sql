-- A change of time asked by one side waits for the other without losing what is agreed: a
-- student moving a confirmed appointment keeps it until guru BK confirms the new time (a
-- declined move leaves it as it was), and guru BK may propose a time the student accepts.
ALTER TABLE appointments ADD COLUMN pending_slot TEXT;  -- UTC; NULL when nothing waits
ALTER TABLE appointments ADD COLUMN pending_from TEXT;  -- 'student' | 'counselor'
ALTER TABLE appointments ADD COLUMN pending_by TEXT;    -- the counselor who proposed it
