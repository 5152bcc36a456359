-- The worker's part of transfers between shards: every transfer sent at least
-- p_older_than ago that no recipient's answer has settled (its caller went away between
-- steps, or a shard was down) is delivered or undone, up to p_limit per shard. A shard
-- that cannot be reached is left for the next run, and the others are served. Answers
-- how many were delivered, undone and left, and the last error that left one (for the
-- worker's log: an outage says so, and so does anything else).
CREATE OR REPLACE FUNCTION router.transfers_in_flight(p_shard integer, p_older_than interval, p_limit integer)
RETURNS TABLE (transfer_id uuid, from_user_id uuid, to_user_id uuid, asset_type_id integer, amount bigint, fee bigint,
               out_entry_id bigint, lots jsonb, metadata jsonb, created_at timestamptz)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON p_shard;
    SELECT * FROM wallet.transfers_in_flight(p_older_than, p_limit);
$$;

CREATE OR REPLACE FUNCTION public.wallet_complete_transfers(p_older_than interval DEFAULT '5 seconds',
                                                            p_limit integer DEFAULT 100)
RETURNS TABLE (delivered integer, undone integer, left_in_flight integer, last_error text)
LANGUAGE plpgsql
SECURITY DEFINER  -- the steps are the owner's on every shard
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard   integer;
    v_sent    record;
    v_state   text;
BEGIN
    delivered := 0; undone := 0; left_in_flight := 0;
    FOR v_shard IN 0 .. router.shard_count() - 1 LOOP
        BEGIN
            FOR v_sent IN SELECT * FROM router.transfers_in_flight(v_shard, p_older_than, p_limit) LOOP
                BEGIN
                    SELECT d.state INTO v_state
                    FROM router.transfer_deliver(v_sent.transfer_id, v_sent.from_user_id, v_sent.to_user_id,
                                                 v_sent.asset_type_id, v_sent.amount, v_sent.fee, v_sent.out_entry_id,
                                                 v_sent.lots, v_sent.metadata) d;
                    IF v_state = 'delivered' THEN delivered := delivered + 1; ELSE undone := undone + 1; END IF;
                EXCEPTION WHEN OTHERS THEN  -- the recipient's shard is down: the next run
                    left_in_flight := left_in_flight + 1;
                    last_error := format('transfer %s: %s', v_sent.transfer_id, SQLERRM);
                END;
            END LOOP;
        EXCEPTION WHEN OTHERS THEN  -- this shard is down: its transfers wait for the next run
            last_error := format('shard %s: %s', v_shard, SQLERRM);
        END;
    END LOOP;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_complete_transfers(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_complete_transfers(interval, integer) TO wallet_worker;
