-- Proves the cached balances against the ledger. One row per inconsistency; no rows
-- means consistent. Reads the whole ledger: an audit, not a hot-path call.
CREATE OR REPLACE FUNCTION public.wallet_verify()
RETURNS TABLE (problem text, account_id bigint, asset_type_id integer,
               expected numeric, actual numeric)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- JIT compiling this many-branched query took 0.8-1.2 s here, against 11 ms to run it
-- on 7,000 entries; the audit is a scan of simple sums that gains little from it
SET jit = off
AS $$
    WITH user_ledger AS (
        SELECT e.account_id, e.asset_type_id,
               sum(CASE WHEN e.credit_account_id = e.account_id THEN e.amount ELSE -e.amount END) AS balance,
               max(e.entry_id) AS last_entry_id
        FROM wallet.ledger_entries e
        GROUP BY e.account_id, e.asset_type_id
    ),
    asset_totals AS (
        SELECT t.asset_type_id,
               coalesce((SELECT sum(w.balance) FROM wallet.wallets w
                         WHERE w.asset_type_id = t.asset_type_id), 0)
             + coalesce((SELECT sum(s.balance) FROM wallet.system_balances s
                         WHERE s.asset_type_id = t.asset_type_id), 0) AS total
        FROM wallet.asset_types t
    )
    -- every cached user balance equals the sum of its entries
    SELECT 'cached_balance_differs_from_ledger', coalesce(w.account_id, l.account_id),
           coalesce(w.asset_type_id, l.asset_type_id), coalesce(l.balance, 0), w.balance::numeric
    FROM wallet.wallets w
    FULL JOIN user_ledger l ON l.account_id = w.account_id AND l.asset_type_id = w.asset_type_id
    WHERE w.balance IS DISTINCT FROM coalesce(l.balance, 0)
    UNION ALL
    -- the newest entry of a wallet records the balance it left
    SELECT 'last_balance_after_differs_from_cache', w.account_id, w.asset_type_id,
           w.balance::numeric, e.balance_after::numeric
    FROM user_ledger l
    JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.last_entry_id
    JOIN wallet.wallets w ON w.account_id = l.account_id AND w.asset_type_id = l.asset_type_id
    WHERE e.balance_after <> w.balance
    UNION ALL
    SELECT 'negative_user_balance', w.account_id, w.asset_type_id, 0, w.balance::numeric
    FROM wallet.wallets w
    WHERE w.balance < 0
    UNION ALL
    -- both sides of an entry are real accounts: the user's own and a system account
    SELECT 'entry_counterparty_not_system', e.account_id, e.asset_type_id, NULL, e.entry_id::numeric
    FROM wallet.ledger_entries e
    LEFT JOIN wallet.accounts c
           ON c.account_id = CASE WHEN e.debit_account_id = e.account_id
                                  THEN e.credit_account_id ELSE e.debit_account_id END
          AND c.kind = 'system'
    WHERE c.account_id IS NULL
    UNION ALL
    -- per asset, user balances and system balances sum to exactly zero
    SELECT 'asset_does_not_sum_to_zero', NULL, a.asset_type_id, 0, a.total
    FROM asset_totals a
    WHERE a.total <> 0
$$;

REVOKE ALL ON FUNCTION public.wallet_verify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.wallet_verify() TO wallet_service;
