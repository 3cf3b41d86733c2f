-- One active booking per counselor slot, per school (SQLite's 022_appointment_slot): the
-- slot while an appointment is requested or confirmed, NULL otherwise, unique per school.
-- Rows from before keep NULL (row-level security shows a migration no school's rows); the
-- core's read of taken slots (by status) still keeps them from being booked twice.
ALTER TABLE appointments ADD COLUMN slot_hold text COLLATE "C";
CREATE UNIQUE INDEX appointments_slot_hold ON appointments (school, slot_hold);
