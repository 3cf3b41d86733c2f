-- What students wrote is sealed at rest like the outbox and inbox payloads (issue #12): rows
-- written before this migration are sealed now (seal() is registered by bot/store/db.py).
UPDATE case_messages SET text = seal(text) WHERE typeof(text) = 'text';
UPDATE cases SET intake = seal(intake) WHERE typeof(intake) = 'text';
UPDATE cases SET outcome_note = seal(outcome_note) WHERE typeof(outcome_note) = 'text';
UPDATE staff_notes SET text = seal(text) WHERE typeof(text) = 'text';
UPDATE surveys SET comment = seal(comment) WHERE typeof(comment) = 'text';
UPDATE conversations SET vars = seal(vars) WHERE typeof(vars) = 'text';
