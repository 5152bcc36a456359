-- wallet.repay_debt: takes the debt from the given lots in order, at most what each
-- got, posts one debt_repayment linked to the credit and lowers the debt; with nothing
-- to take, posts nothing.
BEGIN;
SELECT plan(4);
SELECT wallet_open_account('ad000000-0000-4000-8000-000000000001', 'Debtor');
SELECT * FROM wallet_topup('ad000000-0000-4000-8000-000000000001', 1, 10, 'd-pay');
SELECT * FROM wallet_refund('ad000000-0000-4000-8000-000000000001', 'd-pay', 10, 'd-rf');  -- nothing spent: all back
SELECT * FROM wallet_topup('ad000000-0000-4000-8000-000000000001', 1, 5, 'd-pay-2');
CREATE TEMP TABLE ids AS
SELECT a.account_id, e.entry_id, l.lot_id
FROM wallet.accounts a
JOIN wallet.ledger_entries e ON e.account_id = a.account_id AND e.idempotency_key = 'd-pay-2'
JOIN wallet.lots l ON l.account_id = a.account_id AND l.entry_id = e.entry_id
WHERE a.user_id = 'ad000000-0000-4000-8000-000000000001';
-- as if a debt of 3 had been there (the owner, inside this rollback)
UPDATE wallet.wallets SET debt = 3 WHERE account_id = (SELECT account_id FROM ids) AND asset_type_id = 1;
SELECT is(wallet.repay_debt((SELECT account_id FROM ids), 1, (SELECT entry_id FROM ids), ARRAY[(SELECT lot_id FROM ids)],
                            ARRAY[5::bigint], 3, 5), 2::bigint, 'the balance after repaying 3 of 5');
SELECT results_eq($$SELECT kind, amount, original_entry_id = (SELECT entry_id FROM ids), lot_amounts
                    FROM wallet.ledger_entries WHERE account_id = (SELECT account_id FROM ids) ORDER BY entry_id DESC LIMIT 1$$,
                  $$VALUES ('debt_repayment', 3::bigint, true, ARRAY[3::bigint])$$, 'one entry, from the credit''s lot');
SELECT results_eq($$SELECT balance, debt FROM wallet.wallets WHERE account_id = (SELECT account_id FROM ids) AND asset_type_id = 1$$,
                  $$VALUES (2::bigint, 0::bigint)$$, 'the cache and the debt follow');
SELECT is(wallet.repay_debt((SELECT account_id FROM ids), 1, (SELECT entry_id FROM ids), ARRAY[]::bigint[],
                            ARRAY[]::bigint[], 3, 2), 2::bigint, 'no lots: nothing repaid');
SELECT * FROM finish();
ROLLBACK;
