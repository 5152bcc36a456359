-- Gives feed positions, in id order, to every event committed since the last run: the
-- ids drawn since then and the holes (ids not yet seen committed) it kept. A hole is
-- dropped once it is seen committed (placed if it is an event) or can no longer
-- commit: every id is drawn by a transaction that already has a transaction id, so a
-- hole can be dropped once a snapshot's xmin has passed a transaction id assigned after
-- the hole was drawn (docs/design.md, "Events and the feed"). Commits its
-- positions with its caller's transaction: run it in a transaction of its own
-- (wallet_notify_events, which the worker calls every 20 ms). p_wait false: returns at
-- once if another placer is running. Answers the feed's last position.
CREATE OR REPLACE FUNCTION wallet.place_events(p_wait boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off  -- a plan made while the ledger was small must still use its indexes
SET enable_mergejoin = off  -- the ids looked up are a few hundred: one index probe each, never a
SET enable_hashjoin = off   -- merge or hash over the whole ledger, which a generic plan would pick
SET jit = off  -- which would price its one-row reads past jit_above_cost, compiling them every run
AS $$
DECLARE
    v_fresh  boolean := pg_catalog.pg_current_xact_id_if_assigned() IS NULL;
    v_drawn  bigint;  -- the last id drawn before this transaction took its transaction id
    v_xid    xid8;    -- that transaction id: later than every drawer's of an id up to v_drawn
    v_xmin   xid8;    -- every transaction id below it has finished
    v_state  record;
    v_upto   bigint;
    v_last   bigint;
BEGIN
    v_drawn := coalesce(pg_catalog.pg_sequence_last_value('wallet.ledger_entries_entry_id_seq'::pg_catalog.regclass), 0);
    -- Nothing drawn since the last run and no hole to look at: no lock, no write, no
    -- commit to flush. A run still writes twice a second, so that readers see a placer.
    SELECT p.last_position, p.scanned_to >= v_drawn AND p.holes = '{}'
                            AND p.placed_at > pg_catalog.clock_timestamp() - interval '0.5 seconds' AS idle
    INTO v_state FROM wallet.feed_placer p;
    IF v_state.idle THEN
        RETURN v_state.last_position;
    END IF;
    IF p_wait THEN
        SELECT * INTO v_state FROM wallet.feed_placer FOR UPDATE;
    ELSE
        SELECT * INTO v_state FROM wallet.feed_placer FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    -- A transaction id taken before v_drawn was read (the caller had written already)
    -- proves nothing about ids up to it: such holes wait for a fresh run to stamp them.
    v_xid := CASE WHEN v_fresh THEN pg_catalog.pg_current_xact_id() END;
    v_xmin := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
    v_upto := greatest(v_state.scanned_to, least(v_drawn, v_state.scanned_to + 100000));

    WITH looked AS (
        SELECT i.id, coalesce(i.xid, v_xid) AS xid, en.account_id AS entry_account, en.held_after IS NOT NULL AS entry_is_event,
               ev.account_id AS row_account
        FROM (SELECT h.id, h.xid FROM unnest(v_state.holes, v_state.hole_xids) AS h (id, xid)
              UNION ALL
              SELECT g.id, v_xid FROM generate_series(v_state.scanned_to + 1, v_upto) AS g (id)) i
        LEFT JOIN wallet.ledger_entries en ON en.entry_id = i.id
        LEFT JOIN wallet.events ev ON ev.seq = i.id
    ), placed AS (
        INSERT INTO wallet.event_feed (event_id, account_id, seq, entry_id)
        SELECT v_state.last_position + v_state.position_step * row_number() OVER (ORDER BY l.id),
               coalesce(l.row_account, l.entry_account),
               CASE WHEN l.row_account IS NOT NULL THEN l.id END, CASE WHEN l.row_account IS NULL THEN l.id END
        FROM looked l
        WHERE l.row_account IS NOT NULL OR l.entry_is_event
        RETURNING event_id
    ), kept AS (  -- not seen committed, and its drawer may still commit
        SELECT l.id, l.xid FROM looked l
        WHERE l.entry_account IS NULL AND l.row_account IS NULL AND NOT coalesce(l.xid < v_xmin, false)
    )
    UPDATE wallet.feed_placer p
    SET last_position = coalesce((SELECT max(placed.event_id) FROM placed), p.last_position),
        before_position = CASE WHEN p.placed_by = pg_catalog.pg_current_xact_id() THEN p.before_position
                               ELSE p.last_position END,
        placed_by = pg_catalog.pg_current_xact_id(),
        scanned_to = v_upto,
        holes = coalesce((SELECT array_agg(k.id ORDER BY k.id) FROM kept k), '{}'),
        hole_xids = coalesce((SELECT array_agg(k.xid ORDER BY k.id) FROM kept k), '{}'),
        placed_at = pg_catalog.clock_timestamp()
    RETURNING p.last_position INTO v_last;
    RETURN v_last;
END
$$;

REVOKE ALL ON FUNCTION wallet.place_events(boolean) FROM PUBLIC;
