-- The router feed's last position given by a committed taking: every position up to it
-- is committed, for a taking commits its positions at once and one taker runs at a
-- time (router.take_feed). Positions taken in the caller's own transaction are not
-- counted: a caller that read them and then rolled back would have seen positions that
-- the next taking gives to other events. The taking transaction is known by its
-- top-level id, so a taking in a subtransaction of the caller's counts as its own.
CREATE OR REPLACE FUNCTION router.settled_feed_position()
RETURNS bigint
LANGUAGE sql
STABLE
AS $$
    SELECT CASE WHEN t.taken_by = pg_catalog.pg_current_xact_id_if_assigned() THEN t.before_position
                ELSE t.last_position END
    FROM router.feed_taker t
$$;
