-- Releases a wallet's holds that reached expires_at (at most p_limit, soonest first):
-- their credit goes back to its lots (wallet.release_held_credit), the holds become
-- expired and stop counting as held. Writers call it under the wallet lock before they
-- plan, so expired holds never keep credit from them; wallet_expire() calls it for
-- wallets no write has touched. Returns the holds it released, for their events.
CREATE OR REPLACE FUNCTION wallet.release_expired_holds(
    p_account_id    bigint,
    p_asset_type_id integer,
    p_now           timestamptz,
    p_limit         integer DEFAULT 2147483647
) RETURNS bigint[]
LANGUAGE plpgsql
AS $$
DECLARE
    v_hold  record;
    v_released bigint[] := '{}'::bigint[];
BEGIN
    FOR v_hold IN
        SELECT h.hold_id, h.amount, h.lot_ids, h.lot_amounts FROM wallet.holds h
        WHERE h.account_id = p_account_id AND h.asset_type_id = p_asset_type_id
          AND h.state = 'open' AND h.expires_at <= p_now
        ORDER BY h.expires_at, h.hold_id
        LIMIT p_limit
    LOOP
        PERFORM wallet.release_held_credit(p_account_id, p_asset_type_id, v_hold.hold_id, v_hold.amount,
                                           v_hold.lot_ids, v_hold.lot_amounts, p_now);
        UPDATE wallet.holds h SET state = 'expired', closed_at = p_now
        WHERE h.account_id = p_account_id AND h.hold_id = v_hold.hold_id;
        v_released := v_released || v_hold.hold_id;
    END LOOP;
    UPDATE wallet.wallets w
    SET next_hold_expiry = (SELECT min(h.expires_at) FROM wallet.holds h
                            WHERE h.account_id = w.account_id AND h.asset_type_id = w.asset_type_id
                              AND h.state = 'open')
    WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id;
    RETURN v_released;
END
$$;

REVOKE ALL ON FUNCTION wallet.release_expired_holds(bigint, integer, timestamptz, integer) FROM PUBLIC;
