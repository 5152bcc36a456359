-- A transfer runs on the sender's shard when both users live there. Between two shards it
-- is made in steps (docs/sharding.md, "Transfers between shards"), each idempotent and
-- recorded on its shard in the same transaction as what it moves:
--   0. a key the sender has not used: the recipient's side, tried and undone (no account,
--      closed, over its cap: refused before anything is taken);
--   1. the sender's shard takes the amount into Transit and the fee, recording 'sent';
--   2. the recipient's shard credits the recipient from Transit, or refuses, and records
--      its answer once;
--   3. the sender's shard records the answer: 'delivered', or 'undone' (both given back).
-- A caller gone between steps leaves a 'sent' transfer that the worker completes
-- (wallet_complete_transfers), and a replay completes it too.
CREATE OR REPLACE FUNCTION router.transfer_on_shard(
    p_from_user_id uuid, p_to_user_id uuid, p_asset_type_id integer, p_amount bigint, p_idempotency_key text,
    p_fee bigint, p_metadata jsonb, p_dry_run boolean
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint,
                 to_entry_id bigint, to_balance bigint)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_from_user_id);
    TARGET wallet_transfer;
$$;

CREATE OR REPLACE FUNCTION router.transfer_key_used(p_from_user_id uuid, p_idempotency_key text) RETURNS boolean
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_from_user_id);
    TARGET wallet.transfer_key_used;
$$;

CREATE OR REPLACE FUNCTION router.transfer_send(
    p_from_user_id uuid, p_to_user_id uuid, p_asset_type_id integer, p_amount bigint, p_idempotency_key text,
    p_fee bigint, p_metadata jsonb, p_dry_run boolean
) RETURNS TABLE (transfer_id uuid, state text, entry_id bigint, balance bigint, replayed boolean,
                 paid_amount bigint, free_amount bigint, lots jsonb, metadata jsonb, to_entry_id bigint,
                 to_balance bigint, refusal_code text, refusal_message text)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_from_user_id);
    TARGET wallet.transfer_send;
$$;

CREATE OR REPLACE FUNCTION router.transfer_receive(
    p_transfer_id uuid, p_from_user_id uuid, p_to_user_id uuid, p_asset_type_id integer, p_amount bigint,
    p_fee bigint, p_out_entry_id bigint, p_lots jsonb, p_metadata jsonb, p_dry_run boolean
) RETURNS TABLE (to_entry_id bigint, to_balance bigint, replayed boolean, refusal_code text, refusal_message text)
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_to_user_id);
    TARGET wallet.transfer_receive;
$$;

CREATE OR REPLACE FUNCTION router.transfer_settle(
    p_from_user_id uuid, p_transfer_id uuid, p_to_entry_id bigint, p_to_balance bigint, p_refusal_code text,
    p_refusal_message text
) RETURNS text
LANGUAGE plproxy AS $$
    CLUSTER 'wallet_shards';
    RUN ON router.user_hash(p_from_user_id);
    TARGET wallet.transfer_settle;
$$;

-- Steps 2 and 3 of a sent transfer; answers its state and the recipient's answer.
CREATE OR REPLACE FUNCTION router.transfer_deliver(
    p_transfer_id uuid, p_from_user_id uuid, p_to_user_id uuid, p_asset_type_id integer, p_amount bigint,
    p_fee bigint, p_out_entry_id bigint, p_lots jsonb, p_metadata jsonb,
    OUT state text, OUT to_entry_id bigint, OUT to_balance bigint, OUT refusal_code text, OUT refusal_message text
)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_got record;
BEGIN
    SELECT * INTO v_got FROM router.transfer_receive(p_transfer_id, p_from_user_id, p_to_user_id, p_asset_type_id,
                                                     p_amount, p_fee, p_out_entry_id, p_lots, p_metadata, false);
    state := router.transfer_settle(p_from_user_id, p_transfer_id, v_got.to_entry_id, v_got.to_balance,
                                    v_got.refusal_code, v_got.refusal_message);
    to_entry_id := v_got.to_entry_id; to_balance := v_got.to_balance;
    refusal_code := v_got.refusal_code; refusal_message := v_got.refusal_message;
END
$$;

CREATE OR REPLACE FUNCTION public.wallet_transfer(
    p_from_user_id    uuid,
    p_to_user_id      uuid,
    p_asset_type_id   integer,
    p_amount          bigint,
    p_idempotency_key text,
    p_fee             bigint DEFAULT 0,
    p_metadata        jsonb DEFAULT '{}',
    p_dry_run         boolean DEFAULT false
) RETURNS TABLE (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint,
                 to_entry_id bigint, to_balance bigint)
LANGUAGE plpgsql
SECURITY DEFINER  -- the steps are the owner's on every shard: no caller reaches them but through here
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sent  record;
    v_done  record;
    v_to_balance bigint;  -- what the recipient's side answered when tried and undone
BEGIN
    IF p_from_user_id IS NOT DISTINCT FROM p_to_user_id
       OR router.user_hash(p_from_user_id) & (router.shard_count() - 1)
          = router.user_hash(p_to_user_id) & (router.shard_count() - 1) THEN
        RETURN QUERY SELECT * FROM router.transfer_on_shard(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount,
                                                            p_idempotency_key, p_fee, p_metadata, p_dry_run);
        RETURN;
    END IF;
    IF NOT router.transfer_key_used(p_from_user_id, p_idempotency_key) THEN
        SELECT r.to_balance INTO v_to_balance
        FROM router.transfer_receive(NULL, p_from_user_id, p_to_user_id, p_asset_type_id, p_amount, p_fee, NULL, NULL,
                                     p_metadata, true) r;
    END IF;
    SELECT * INTO v_sent FROM router.transfer_send(p_from_user_id, p_to_user_id, p_asset_type_id, p_amount,
                                                   p_idempotency_key, p_fee, p_metadata, p_dry_run);
    IF p_dry_run THEN
        RETURN QUERY SELECT v_sent.entry_id, v_sent.balance, v_sent.replayed, v_sent.paid_amount, v_sent.free_amount,
                            v_sent.to_entry_id, coalesce(v_sent.to_balance, v_to_balance);
        RETURN;
    END IF;
    IF v_sent.state = 'sent' THEN
        SELECT * INTO v_done FROM router.transfer_deliver(v_sent.transfer_id, p_from_user_id, p_to_user_id,
                                                          p_asset_type_id, p_amount, p_fee, v_sent.entry_id,
                                                          v_sent.lots, v_sent.metadata);
        v_sent.state := v_done.state; v_sent.to_entry_id := v_done.to_entry_id; v_sent.to_balance := v_done.to_balance;
        v_sent.refusal_code := v_done.refusal_code; v_sent.refusal_message := v_done.refusal_message;
    END IF;
    IF v_sent.state = 'undone' THEN  -- the recipient's refusal, to this call and to every replay
        RAISE EXCEPTION USING ERRCODE = v_sent.refusal_code, MESSAGE = v_sent.refusal_message;
    END IF;
    RETURN QUERY SELECT v_sent.entry_id, v_sent.balance, v_sent.replayed, v_sent.paid_amount, v_sent.free_amount,
                        v_sent.to_entry_id, v_sent.to_balance;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean) TO wallet_service;
