-- The sweep behind the worker: releases holds that reached expires_at (their credit back
-- to its lots, or expired with its lot) and posts one `expire` entry (user -> Treasury)
-- per expired lot remainder, at most p_limit holds and p_limit lots per call, oldest
-- expiry first; returns what this call released and posted. Balances stopped counting
-- those holds and remainders at their expires_at: the sweep changes the ledger, not what
-- a caller sees. Wallets busy with a posting (or another sweep) are skipped and swept
-- next time, so a sweep never waits for a lock and cannot deadlock; each lot and hold is
-- re-read under its wallet's lock, so it expires once.
CREATE OR REPLACE FUNCTION public.wallet_expire(p_limit integer DEFAULT 1000)
RETURNS TABLE (lots_expired integer, holds_expired integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off  -- plans cached while a table was small must still use its indexes (docs/design.md)
AS $$
DECLARE
    v_now      timestamptz := now();
    v_treasury bigint;
    v_wallet   record;
    v_lot      record;
    v_view     bigint;
    v_count    integer := 0;
    v_holds    integer := 0;
    v_since    bigint;    -- the account's newest entry before this wallet was swept
    v_released bigint[];  -- the holds released on this wallet
    v_hash     bytea;     -- the expiry's, the wallet's new chain head
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'invalid_request: limit must be from 1 to 100000' USING ERRCODE = 'WA002';
    END IF;
    v_treasury := wallet.treasury_account_id();

    FOR v_wallet IN
        SELECT w.account_id, w.asset_type_id
        FROM wallet.wallets w
        JOIN wallet.accounts a ON a.account_id = w.account_id
        WHERE (w.account_id, w.asset_type_id) IN (
            (SELECT l.account_id, l.asset_type_id FROM wallet.lots l
             WHERE l.open AND l.expires_at <= v_now
             ORDER BY l.expires_at LIMIT p_limit)
            UNION
            (SELECT h.account_id, h.asset_type_id FROM wallet.holds h
             WHERE h.state = 'open' AND h.expires_at <= v_now
             ORDER BY h.expires_at LIMIT p_limit))
        ORDER BY a.user_id, w.asset_type_id
        FOR UPDATE OF w SKIP LOCKED
    LOOP
        EXIT WHEN v_count >= p_limit AND v_holds >= p_limit;
        SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e
        WHERE e.account_id = v_wallet.account_id;
        v_released := '{}';
        IF v_holds < p_limit THEN
            v_released := wallet.release_expired_holds(v_wallet.account_id, v_wallet.asset_type_id,
                                                       v_now, p_limit - v_holds);
            v_holds := v_holds + cardinality(v_released);
        END IF;
        IF v_count < p_limit THEN
            -- what the user sees does not change: it stopped counting these at expires_at
            SELECT w.balance - x.paid - x.free INTO v_view
            FROM wallet.wallets w
            CROSS JOIN LATERAL wallet.expired_credit(w.account_id, w.asset_type_id, v_now) x
            WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = v_wallet.asset_type_id;
            FOR v_lot IN
                SELECT l.lot_id, l.class, l.remaining FROM wallet.lots l
                WHERE l.account_id = v_wallet.account_id AND l.asset_type_id = v_wallet.asset_type_id
                  AND l.open AND l.expires_at <= v_now
                ORDER BY l.expires_at, l.lot_id
                LIMIT p_limit - v_count
            LOOP
                INSERT INTO wallet.ledger_entries AS e
                    (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after,
                     idempotency_key, metadata, paid_amount, free_amount, lot_ids, lot_amounts)
                VALUES (v_wallet.account_id, v_wallet.asset_type_id, 'expire', v_wallet.account_id, v_treasury,
                        v_lot.remaining, v_view, NULL, jsonb_build_object('lot_id', v_lot.lot_id),
                        CASE v_lot.class WHEN 'paid' THEN v_lot.remaining ELSE 0 END,
                        CASE v_lot.class WHEN 'free' THEN v_lot.remaining ELSE 0 END,
                        ARRAY[v_lot.lot_id], ARRAY[v_lot.remaining])
                RETURNING e.hash INTO v_hash;
                UPDATE wallet.lots l SET remaining = 0
                WHERE l.account_id = v_wallet.account_id AND l.lot_id = v_lot.lot_id;
                UPDATE wallet.wallets w
                SET balance = w.balance - v_lot.remaining, chain_head = v_hash,
                    paid = w.paid - CASE v_lot.class WHEN 'paid' THEN v_lot.remaining ELSE 0 END,
                    free = w.free - CASE v_lot.class WHEN 'free' THEN v_lot.remaining ELSE 0 END
                WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = v_wallet.asset_type_id;
                v_count := v_count + 1;
            END LOOP;
        END IF;
        PERFORM wallet.write_events(v_wallet.account_id, v_wallet.asset_type_id, v_since, v_released);
        UPDATE wallet.wallets w
        SET next_expiry = (SELECT min(l.expires_at) FROM wallet.lots l
                           WHERE l.account_id = w.account_id AND l.asset_type_id = w.asset_type_id
                             AND l.open AND l.expires_at IS NOT NULL)
        WHERE w.account_id = v_wallet.account_id AND w.asset_type_id = v_wallet.asset_type_id;
    END LOOP;
    RETURN QUERY SELECT v_count, v_holds;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_expire(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_expire(integer) TO wallet_service, wallet_worker;
