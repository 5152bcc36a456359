-- The feed position up to which every event is committed (or abandoned): it takes the
-- committers' lock exclusively for a moment, which waits until every transaction
-- holding positions has committed or rolled back, and answers the last position taken
-- by then; later ones belong to transactions that began placing events after it
-- (migration 013). A barrier, not a hold: session-level and released at once, so that
-- a reader's open transaction never keeps writers from committing; released on a
-- cancel or an error too (a session lock left behind would hold up every committer).
-- Read the feed up to it with a snapshot taken after the call (READ COMMITTED).
CREATE OR REPLACE FUNCTION wallet.settled_feed_position()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
    v_last bigint;
BEGIN
    PERFORM pg_catalog.pg_advisory_lock(2026120201);
    BEGIN
        -- a function, not a read of the sequence's relation: under the callers' enable_seqscan
        -- = off that scan cost past jit_above_cost, and every read compiled it (34 ms)
        v_last := coalesce(pg_catalog.pg_sequence_last_value('wallet.event_position'::pg_catalog.regclass), 0);
    EXCEPTION WHEN query_canceled OR OTHERS THEN
        PERFORM pg_catalog.pg_advisory_unlock(2026120201);
        RAISE;
    END;
    PERFORM pg_catalog.pg_advisory_unlock(2026120201);
    RETURN v_last;
END
$$;

REVOKE ALL ON FUNCTION wallet.settled_feed_position() FROM PUBLIC;
