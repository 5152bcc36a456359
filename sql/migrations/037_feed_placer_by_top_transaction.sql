-- The feed's placer and its readers tell the transaction that placed last by its
-- top-level transaction id, kept in placed_by, not by the state row's xmin: a placing
-- inside a subtransaction (a savepoint, an EXCEPTION block) stamps xmin with the
-- subtransaction's id, so a reader later in the same transaction answered positions its
-- own transaction had placed, which a rollback could give to other events.
ALTER TABLE wallet.feed_placer ADD COLUMN placed_by xid8;  -- the last placing's top-level transaction
