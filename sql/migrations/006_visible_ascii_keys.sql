-- Idempotency keys are visible ASCII (! to ~), as an HTTP header carries them, so that
-- one key has one spelling on every path. NOT VALID: rows written before keep their
-- keys (they can still be replayed); every new row is checked.
ALTER TABLE wallet.ledger_entries
    ADD CONSTRAINT ledger_entries_key_visible_ascii CHECK (idempotency_key ~ '^[!-~]{1,255}$') NOT VALID;
