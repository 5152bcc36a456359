-- How a write opens when its wallet has holds past expires_at (next_hold_expiry <= now),
-- under the wallet lock and before it plans: notes the account's newest entry (the
-- call's events follow it), releases those holds (wallet.release_expired_holds: their
-- credit back to its lots) and answers the wallet row as they left it. Every writer
-- opens this way, so expired holds never keep credit from a write.
CREATE OR REPLACE FUNCTION wallet.release_due_holds(
    p_account_id    bigint,
    p_asset_type_id integer,
    p_now           timestamptz
) RETURNS wallet.opening
LANGUAGE plpgsql
AS $$
DECLARE
    v_since    bigint;
    v_released bigint[];
    v_wallet   wallet.wallets;
BEGIN
    SELECT coalesce(max(e.entry_id), 0) INTO v_since FROM wallet.ledger_entries e WHERE e.account_id = p_account_id;
    v_released := wallet.release_expired_holds(p_account_id, p_asset_type_id, p_now);
    SELECT w.* INTO v_wallet FROM wallet.wallets w WHERE w.account_id = p_account_id AND w.asset_type_id = p_asset_type_id;
    RETURN (v_since, v_released, v_wallet)::wallet.opening;
END
$$;

REVOKE ALL ON FUNCTION wallet.release_due_holds(bigint, integer, timestamptz) FROM PUBLIC;
