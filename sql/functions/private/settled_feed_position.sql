-- The feed's last position placed by a committed transaction: every position up to it
-- is committed, for the placer commits its positions at once and one placer runs at a
-- time (wallet.place_events). Positions placed in the caller's own transaction are not
-- counted: a caller that read them and then rolled back would have seen positions that
-- the next placer gives to other events. The placing transaction is known by its
-- top-level id (placed_by), so a placing in a subtransaction of the caller's counts as
-- its own.
CREATE OR REPLACE FUNCTION wallet.settled_feed_position()
RETURNS bigint
LANGUAGE sql
STABLE
AS $$
    SELECT CASE WHEN p.placed_by = pg_catalog.pg_current_xact_id_if_assigned() THEN p.before_position
                ELSE p.last_position END
    FROM wallet.feed_placer p
$$;

REVOKE ALL ON FUNCTION wallet.settled_feed_position() FROM PUBLIC;
