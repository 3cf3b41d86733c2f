-- Several workers: which worker handles a pending event, and until when (a lease). The worker
-- that accepts an event leases it to itself in the same transaction; an event nobody holds a
-- live lease on (its worker died, or was too busy to take it) is claimed by another worker's
-- sweep with FOR UPDATE SKIP LOCKED. A lease only says who should try: handling stays
-- exactly-once by the conditional claim inside the handling transaction.
ALTER TABLE inbox ADD COLUMN leased_by text;
ALTER TABLE inbox ADD COLUMN lease_until text COLLATE "C";
