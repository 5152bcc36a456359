-- The feed: events after feed position p_after, in position order, at most p_limit (1 to
-- 1000). Positions are given in bulk by one placer (wallet.place_events, which the
-- worker runs every 20 ms), in entry-id order, each committed before anyone reads it;
-- so a consumer that keeps asking from the last event_id it saw never misses an event,
-- even one committed late, and sees each wallet's events in the order of its entries.
-- When no placer has run for a second (no worker), the reader places, without waiting
-- for another placer, what it will read on its next call: it answers only positions
-- committed before its own.
CREATE OR REPLACE FUNCTION public.wallet_events(p_after bigint DEFAULT 0, p_limit integer DEFAULT 500)
RETURNS TABLE (event_id bigint, type text, occurred_at timestamptz, user_id uuid, asset_type_id integer,
               entry_id bigint, hold_id bigint, amount bigint, balance bigint, available bigint, paid bigint,
               free bigint, held bigint, idempotency_key text, metadata jsonb)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_last bigint;  -- every position up to this one is committed
BEGIN
    IF p_after IS NULL OR p_after < 0 OR p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'invalid_request: after must be 0 or more and limit from 1 to 1000'
            USING ERRCODE = 'WA002', DETAIL = format('after: %s, limit: %s', p_after, p_limit);
    END IF;
    v_last := wallet.settled_feed_position();
    IF (SELECT p.placed_at FROM wallet.feed_placer p) < clock_timestamp() - interval '1 second'
       AND current_setting('transaction_isolation') = 'read committed' THEN  -- a later snapshot could not lock it
        PERFORM wallet.place_events(false);
    END IF;
    RETURN QUERY
    SELECT e.event_id, e.type, e.occurred_at, a.user_id, e.asset_type_id, e.entry_id, e.hold_id, e.amount,
           e.balance, e.available, e.paid, e.free, e.held, e.idempotency_key, e.metadata
    FROM wallet.feed_events e
    JOIN wallet.accounts a ON a.account_id = e.account_id
    WHERE e.event_id > p_after AND e.event_id <= v_last
    ORDER BY e.event_id
    LIMIT p_limit;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_events(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_events(bigint, integer) TO wallet_service;
