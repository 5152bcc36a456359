-- Places the events committed since the last call (wallet.place_events), then sends
-- NOTIFY wallet_events (no payload) when the feed has moved past p_seen, and answers
-- the feed's last position for the next call. The worker calls it every 20 ms, in a
-- transaction of its own, and consumers LISTEN: the positions and the notification
-- become visible together at its commit, one notification per interval however many
-- commits wrote events.
CREATE OR REPLACE FUNCTION public.wallet_notify_events(p_seen bigint DEFAULT 0)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last bigint;
BEGIN
    v_last := wallet.place_events();
    IF v_last > coalesce(p_seen, 0) THEN
        PERFORM pg_notify('wallet_events', '');
    END IF;
    RETURN v_last;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_notify_events(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_notify_events(bigint) TO wallet_service, wallet_worker;
