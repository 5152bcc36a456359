-- The feed's last position placed by a committed transaction: every position up to it
-- is committed, for the placer commits its positions at once and one placer runs at a
-- time (wallet.place_events). Positions placed in the caller's own transaction are not
-- counted: a caller that read them and then rolled back would have seen positions that
-- the next placer gives to other events.
CREATE OR REPLACE FUNCTION wallet.settled_feed_position()
RETURNS bigint
LANGUAGE sql
STABLE
AS $$
    SELECT CASE WHEN p.xmin = pg_catalog.pg_current_xact_id_if_assigned()::xid THEN p.before_position
                ELSE p.last_position END
    FROM wallet.feed_placer p
$$;

REVOKE ALL ON FUNCTION wallet.settled_feed_position() FROM PUBLIC;
