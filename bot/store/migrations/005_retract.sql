-- Offers and alerts whose buttons are retracted once somebody took the case: the button's
-- data identifies them, the platform's message id lets the channel edit the keyboard away.
ALTER TABLE outbox ADD COLUMN retract_key TEXT;
ALTER TABLE outbox ADD COLUMN platform_ref TEXT;
CREATE INDEX outbox_retract ON outbox (retract_key) WHERE retract_key IS NOT NULL;
