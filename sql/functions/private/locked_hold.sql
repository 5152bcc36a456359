-- How capture and void find a user's hold: account_not_found unless the user has an
-- account, hold_not_found unless the account has the hold; then the hold's wallet locked
-- (a hold's asset never changes, so it is read first to know which), and the hold as it
-- is under that lock (it changes only under it), with the wallet's next_hold_expiry and
-- its copy of the account's status; and whether a capture's key is one of the account's
-- holds' (holds and entries share the key space). Two plain reads cost less than one
-- joining them.
CREATE OR REPLACE FUNCTION wallet.locked_hold(
    p_user_id             uuid,
    p_hold_id             bigint,
    p_idempotency_key     text,  -- a capture's key (NULL for a void): is it one of the account's holds'?
    OUT account_id        bigint,
    OUT asset_type_id     integer,
    OUT amount            bigint,
    OUT state             text,
    OUT expires_at        timestamptz,
    OUT lot_ids           bigint[],
    OUT lot_amounts       bigint[],
    OUT paid_amount       bigint,
    OUT free_amount       bigint,
    OUT idempotency_key   text,
    OUT metadata          jsonb,
    OUT next_hold_expiry  timestamptz,
    OUT account_status    text,
    OUT key_is_a_holds    boolean
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
    account_id := wallet.user_account_id(p_user_id);
    SELECT h.asset_type_id INTO asset_type_id
    FROM wallet.holds h WHERE h.account_id = locked_hold.account_id AND h.hold_id = p_hold_id;
    IF asset_type_id IS NULL THEN
        RAISE EXCEPTION 'hold_not_found: no hold % for this user', p_hold_id USING ERRCODE = 'WA009';
    END IF;
    SELECT w.next_hold_expiry, w.account_status INTO next_hold_expiry, account_status
    FROM wallet.wallets w
    WHERE w.account_id = locked_hold.account_id AND w.asset_type_id = locked_hold.asset_type_id
    FOR UPDATE;
    -- under the lock, a hold keyed so has committed (holds lock every wallet of the account)
    SELECT h.amount, h.state, h.expires_at, h.lot_ids, h.lot_amounts, h.paid_amount, h.free_amount,
           h.idempotency_key, h.metadata,
           p_idempotency_key IS NOT NULL
           AND EXISTS (SELECT FROM wallet.holds k
                       WHERE k.account_id = locked_hold.account_id AND k.idempotency_key = p_idempotency_key)
    INTO amount, state, expires_at, lot_ids, lot_amounts, paid_amount, free_amount, idempotency_key, metadata,
         key_is_a_holds
    FROM wallet.holds h WHERE h.account_id = locked_hold.account_id AND h.hold_id = p_hold_id;
END
$$;

REVOKE ALL ON FUNCTION wallet.locked_hold(uuid, bigint, text) FROM PUBLIC;
