-- Appends to router.feed what every shard's own feed has settled since the last taking
-- (PL/Proxy, in parallel), each shard's events in its own order, and commits them with
-- its caller's transaction: run it in a transaction of its own (wallet_notify_events,
-- which the worker calls every 20 ms). One taker at a time: an advisory lock, which
-- writes nothing, so that an idle run commits nothing; the taker row is written when
-- events were taken and at most twice a second otherwise, so that readers see a taker.
-- p_wait false: returns NULL at once if another taker is running. Answers the feed's
-- last position.
CREATE OR REPLACE FUNCTION router.take_feed(p_wait boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    v_last bigint;
BEGIN
    IF p_wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('router.feed'));
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('router.feed')) THEN
        RETURN NULL;
    END IF;
    -- a statement after the lock: its snapshot sees every earlier taking, committed
    WITH taken AS (
        INSERT INTO router.feed (shard, shard_event_id, type, occurred_at, user_id, asset_type_id, entry_id, hold_id,
                                 amount, balance, available, paid, free, held, idempotency_key, metadata)
        SELECT e.shard, e.event_id, e.type, e.occurred_at, e.user_id, e.asset_type_id, e.entry_id, e.hold_id,
               e.amount, e.balance, e.available, e.paid, e.free, e.held, e.idempotency_key, e.metadata
        FROM router.events_after(
            ARRAY(SELECT s FROM generate_series(0, router.shard_count() - 1) s ORDER BY s),
            ARRAY(SELECT coalesce((SELECT max(f.shard_event_id) FROM router.feed f WHERE f.shard = s), 0)
                  FROM generate_series(0, router.shard_count() - 1) s ORDER BY s)) e
        ORDER BY e.shard, e.event_id
        RETURNING event_id
    )
    UPDATE router.feed_taker t
    SET before_position = CASE WHEN t.taken_by = pg_current_xact_id() THEN t.before_position
                               ELSE t.last_position END,
        taken_by = pg_current_xact_id(),
        last_position = coalesce((SELECT max(taken.event_id) FROM taken), t.last_position),
        taken_at = clock_timestamp()
    WHERE EXISTS (SELECT FROM taken) OR t.taken_at < clock_timestamp() - interval '0.5 seconds'
    RETURNING t.last_position INTO v_last;
    IF v_last IS NULL THEN  -- nothing taken, and a taking was seen lately: nothing written
        SELECT t.last_position INTO v_last FROM router.feed_taker t;
    END IF;
    RETURN v_last;
END
$$;
