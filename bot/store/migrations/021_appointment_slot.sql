-- One active booking per counselor slot (an outside tester: two students booked one time).
-- slot_hold is the slot while the appointment is requested or confirmed, NULL otherwise; the
-- unique index makes a second booking of a held slot fail in the store itself, whatever the
-- core saw (bot/store/services.py turns that into Overtaken: decided afresh).
ALTER TABLE appointments ADD COLUMN slot_hold TEXT;
-- existing bookings hold their slot, the earliest one where two already share it
UPDATE appointments SET slot_hold = slot
WHERE status IN ('requested', 'confirmed')
  AND id = (SELECT MIN(b.id) FROM appointments AS b
            WHERE b.slot = appointments.slot AND b.status IN ('requested', 'confirmed'));
CREATE UNIQUE INDEX appointments_slot_hold ON appointments (slot_hold);
