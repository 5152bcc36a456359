-- A person's right to erasure: the owner's call (no role is granted it: others get
-- 42501). Refused while the user holds anything (operation_not_allowed): a balance
-- (expired credit not yet swept included: wallet_expire() posts it), held credit or
-- debt. Otherwise the account becomes erased for good (every new write refused,
-- account_not_active; a replay of an old key still answers its first answer), its name
-- and status reason are emptied, its credentials deleted, and the metadata of its
-- entries, holds and events becomes {}: an entry keeps its metadata's digest, which the
-- hash chain covers instead of the metadata itself (migration 030), so wallet_verify()
-- stays clean. Amounts, kinds, keys and times stay: the ledger's evidence is not
-- personal data (callers must not put personal data in keys). Webhook deliveries not yet
-- sent are built from the events when sent, so they carry no metadata either.
--
-- Locks every wallet of the account (in asset order, as every multi-wallet lock does)
-- before it reads what they hold, so no posting lands between the check and the erasure.
-- Answers what it emptied; a second call for an erased account empties nothing.
CREATE OR REPLACE FUNCTION public.wallet_erase_user(p_user_id uuid)
RETURNS TABLE (entries bigint, holds bigint, events bigint, credentials bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account_id bigint;
    v_previous   text;
    v_held       record;
BEGIN
    v_account_id := wallet.user_account_id(p_user_id);
    PERFORM FROM wallet.wallets w WHERE w.account_id = v_account_id ORDER BY w.asset_type_id FOR UPDATE;
    SELECT a.status INTO v_previous FROM wallet.accounts a WHERE a.account_id = v_account_id FOR UPDATE;
    SELECT coalesce(sum(w.balance), 0) AS balance, coalesce(sum(w.held), 0) AS held, coalesce(sum(w.debt), 0) AS debt
    INTO v_held
    FROM wallet.wallets w WHERE w.account_id = v_account_id;
    IF v_held.balance > 0 OR v_held.held > 0 OR v_held.debt > 0 THEN
        RAISE EXCEPTION 'operation_not_allowed: user % still holds credit, held credit or debt', p_user_id
            USING ERRCODE = 'WA014',
                  DETAIL = format('balance: %s, held: %s, debt: %s', v_held.balance, v_held.held, v_held.debt),
                  HINT = 'Spend, refund or expire what is left first.';
    END IF;

    -- the status first: the ledger's and the events' guard lets only an erased account's
    -- metadata be emptied
    UPDATE wallet.accounts a
    SET status = 'erased', status_reason = 'erasure', name = '', status_changed_at = now(),
        status_changed_by = coalesce(nullif(current_setting('wallet.actor', true), ''), session_user)
    WHERE a.account_id = v_account_id AND a.status <> 'erased';
    UPDATE wallet.wallets w SET account_status = 'erased'
    WHERE w.account_id = v_account_id AND w.account_status <> 'erased';

    UPDATE wallet.ledger_entries e
    SET metadata_digest = sha256(convert_to(e.metadata::text, 'UTF8')), metadata = '{}'
    WHERE e.account_id = v_account_id AND e.metadata <> '{}'::jsonb;
    GET DIAGNOSTICS entries = ROW_COUNT;
    UPDATE wallet.holds h SET metadata = '{}' WHERE h.account_id = v_account_id AND h.metadata <> '{}'::jsonb;
    GET DIAGNOSTICS holds = ROW_COUNT;
    UPDATE wallet.events v SET metadata = '{}'
    WHERE v.account_id = v_account_id AND v.metadata <> '{}'::jsonb
      AND NOT (v.type = 'account.status_changed' AND v.metadata ->> 'status' = 'erased');  -- this function's own
    GET DIAGNOSTICS events = ROW_COUNT;
    DELETE FROM wallet.credentials c WHERE c.kind = 'user' AND c.subject = p_user_id::text;
    GET DIAGNOSTICS credentials = ROW_COUNT;
    IF v_previous <> 'erased' THEN  -- after the events were emptied: a reason support gave is gone too
        INSERT INTO wallet.events (account_id, type, metadata)
        VALUES (v_account_id, 'account.status_changed',
                jsonb_build_object('status', 'erased', 'previous_status', v_previous, 'reason', 'erasure'));
    END IF;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION public.wallet_erase_user(uuid) FROM PUBLIC;
