-- An appointment has a code of its own (bot/core/identity.py appointment_ref), no longer the
-- student's case code: a name shared with guru BK for an appointment cannot be matched to the
-- student's anonymous cases. Older rows keep showing the case code (COALESCE in the queries).
ALTER TABLE appointments ADD COLUMN ref TEXT;
CREATE INDEX appointments_ref ON appointments (ref);
