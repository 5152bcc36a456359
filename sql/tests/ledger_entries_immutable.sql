-- The ledger is append-only even for its owner: UPDATE, DELETE and TRUNCATE are refused,
-- and so are lot allocations; its checks hold for a direct insert.
BEGIN;
SELECT plan(10);

SELECT wallet_open_account('10000000-0000-4000-8000-000000000001', 'Ivy');
SELECT * FROM wallet_topup('10000000-0000-4000-8000-000000000001', 1, 10, 'i1');
SELECT * FROM wallet_spend('10000000-0000-4000-8000-000000000001', 1, 3, 'i0');

SELECT throws_ok($$UPDATE wallet.ledger_entries SET amount = 1000000$$, 'WA900', NULL, 'the owner cannot update an entry');
SELECT throws_ok($$DELETE FROM wallet.ledger_entries$$, 'WA900', NULL, 'the owner cannot delete an entry');
SELECT throws_ok($$TRUNCATE wallet.ledger_entries CASCADE$$, 'WA900', NULL, 'the owner cannot truncate the ledger');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'i1'), 1, 'the entry is still there');
SELECT throws_ok($$UPDATE wallet.lot_allocations SET amount = 1000000$$, 'WA900', NULL, 'what a spend took from a lot is as immutable');
SELECT throws_ok($$INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key, paid_amount)
                   SELECT account_id, 1, 'topup', 1, account_id, 5, 5, NULL, 5 FROM wallet.accounts WHERE user_id = '10000000-0000-4000-8000-000000000001'$$,
                 '23514', NULL, 'an entry a caller asks for carries a key');
SELECT throws_ok($$INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key, paid_amount)
                   SELECT account_id, 1, 'topup', 1, account_id, 5, 5, 'i5', 4 FROM wallet.accounts WHERE user_id = '10000000-0000-4000-8000-000000000001'$$,
                 '23514', NULL, 'paid and free parts add up to the amount');
SELECT throws_ok($$INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key)
                   SELECT account_id, 1, 'topup', 1, account_id, 0, 0, 'i2' FROM wallet.accounts WHERE user_id = '10000000-0000-4000-8000-000000000001'$$,
                 '23514', NULL, 'amount must be positive');
SELECT throws_ok($$INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key)
                   SELECT account_id, 1, 'topup', account_id, account_id, 5, 5, 'i3' FROM wallet.accounts WHERE user_id = '10000000-0000-4000-8000-000000000001'$$,
                 '23514', NULL, 'debit and credit accounts differ');
SELECT throws_ok($$INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key, paid_amount)
                   VALUES (424242, 1, 'topup', 1, 424242, 5, 5, 'i4', 5)$$,
                 '23503', NULL, 'an entry needs the user''s wallet');

SELECT * FROM finish();
ROLLBACK;
