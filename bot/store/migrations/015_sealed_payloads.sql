-- Timer payloads are sealed at rest like the other columns of 007 (a crisis ladder's payload
-- quotes the student's risky words). Rows written before this migration are sealed now.
UPDATE timers SET payload = seal(payload) WHERE typeof(payload) = 'text';
