-- wallet_import: opening balances from another system. Accounts opened as needed, one
-- import entry and one lot of the row's class per row, idempotent by external_id, an
-- outcome per row in row order with refusals writing nothing, the controls of a credit.
BEGIN;
SELECT plan(15);

SELECT wallet_open_account('1a000000-0000-4000-8000-000000000003', 'Already Here');
SELECT wallet_open_account('1a000000-0000-4000-8000-000000000004', 'Closed One');
SELECT wallet_set_account_status('1a000000-0000-4000-8000-000000000004', 'closed', 'left the game');
SELECT wallet_open_account('1a000000-0000-4000-8000-000000000005', 'Frozen One');
SELECT wallet_set_account_status('1a000000-0000-4000-8000-000000000005', 'frozen', 'review');
SELECT wallet_open_account('1a000000-0000-4000-8000-000000000006', 'Capped One');
SELECT wallet_set_limits(1, 50, NULL, '1a000000-0000-4000-8000-000000000006');

CREATE TEMP TABLE imported AS SELECT * FROM wallet_import($$[
    {"external_id": "old-1", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "paid", "amount": 500},
    {"external_id": "old-2", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "free", "amount": 70, "expires_at": "2099-01-01T00:00:00Z"},
    {"external_id": "old-3", "user_id": "1a000000-0000-4000-8000-000000000002", "name": "Imported Two", "asset_type_id": 2, "class": "free", "amount": 9},
    {"external_id": "old-4", "user_id": "1a000000-0000-4000-8000-000000000003", "name": "ignored: the account exists", "asset_type_id": 1, "class": "paid", "amount": 5},
    {"external_id": "old-5", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "gold", "amount": 5},
    {"external_id": "old-6", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "paid", "amount": 0},
    {"user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "paid", "amount": 5},
    {"external_id": "old-8", "user_id": "1a000000-0000-4000-8000-0000000000ff", "asset_type_id": 1, "class": "paid", "amount": 5},
    {"external_id": "old-9", "user_id": "1a000000-0000-4000-8000-000000000004", "name": "Closed One", "asset_type_id": 1, "class": "paid", "amount": 5},
    {"external_id": "old-10", "user_id": "1a000000-0000-4000-8000-000000000005", "name": "Frozen One", "asset_type_id": 1, "class": "paid", "amount": 5},
    {"external_id": "old-11", "user_id": "1a000000-0000-4000-8000-000000000006", "name": "Capped One", "asset_type_id": 1, "class": "paid", "amount": 51},
    {"external_id": "old-12", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 99, "class": "paid", "amount": 5},
    "not an object"
]$$);

SELECT results_eq($$SELECT item, balance, replayed, error_name, paid_amount, free_amount FROM imported ORDER BY item$$,
                  $$VALUES (1, 500::bigint, false, NULL::text, 500::bigint, 0::bigint), (2, 570, false, NULL, 0, 70),
                           (3, 9, false, NULL, 0, 9), (4, 5, false, NULL, 5, 0),
                           (5, NULL, NULL, 'invalid_request', NULL, NULL), (6, NULL, NULL, 'invalid_amount', NULL, NULL),
                           (7, NULL, NULL, 'invalid_request', NULL, NULL), (8, NULL, NULL, 'account_not_found', NULL, NULL),
                           (9, NULL, NULL, 'account_not_active', NULL, NULL), (10, 5, false, NULL, 5, 0),
                           (11, NULL, NULL, 'balance_limit_exceeded', NULL, NULL),
                           (12, NULL, NULL, 'asset_not_found', NULL, NULL), (13, NULL, NULL, 'invalid_request', NULL, NULL)$$,
                  'an outcome per row in row order: imports posted, a frozen account''s taken, the rest refused');
SELECT results_eq($$SELECT name FROM wallet.accounts WHERE user_id::text LIKE '1a000000-%' ORDER BY user_id$$,
                  ARRAY['Imported One', 'Imported Two', 'Already Here', 'Closed One', 'Frozen One', 'Capped One'],
                  'new users'' accounts opened with their names; an existing account keeps its own');
SELECT results_eq($$SELECT e.kind, e.idempotency_key, l.class, l.amount, l.expires_at
                    FROM wallet.ledger_entries e JOIN wallet.lots l ON l.account_id = e.account_id AND l.entry_id = e.entry_id
                    WHERE e.entry_id IN (SELECT entry_id FROM imported WHERE item IN (1, 2)) ORDER BY e.entry_id$$,
                  $$VALUES ('import', 'import:old-1', 'paid', 500::bigint, NULL::timestamptz),
                           ('import', 'import:old-2', 'free', 70, '2099-01-01T00:00:00Z')$$,
                  'an import entry keyed import:<external_id>, one lot of the row''s class and expiry');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key IN
               ('import:old-5', 'import:old-6', 'import:old-8', 'import:old-9', 'import:old-11', 'import:old-12')),
          0, 'refused rows wrote nothing');
SELECT is((SELECT count(*)::int FROM wallet.accounts WHERE user_id = '1a000000-0000-4000-8000-0000000000ff'), 0,
          'a row without a name opens no account');
SELECT results_eq($$SELECT e.debit_account_id = t.account_id, e.credit_account_id = e.account_id
                    FROM wallet.ledger_entries e, wallet.accounts t
                    WHERE t.system_code = 'treasury' AND e.idempotency_key = 'import:old-3'$$,
                  $$VALUES (true, true)$$, 'Treasury -> user');
SELECT results_eq($$SELECT kind, amount FROM wallet_history('1a000000-0000-4000-8000-000000000002')$$,
                  $$VALUES ('import', 9::bigint)$$, 'the user''s history shows the import');

SELECT results_eq($$SELECT item, entry_id, replayed FROM wallet_import('[
    {"external_id": "old-1", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "paid", "amount": 500},
    {"external_id": "old-3", "user_id": "1a000000-0000-4000-8000-000000000002", "name": "Imported Two", "asset_type_id": 2, "class": "free", "amount": 9}]')$$,
                  $$SELECT (item + 1) / 2, entry_id, true FROM imported WHERE item IN (1, 3) ORDER BY item$$,
                  'the same rows again are replays: nothing is posted twice');
SELECT results_eq($$SELECT error_name FROM wallet_import('[
    {"external_id": "old-1", "user_id": "1a000000-0000-4000-8000-000000000001", "name": "Imported One", "asset_type_id": 1, "class": "paid", "amount": 501}]')$$,
                  ARRAY['idempotency_key_reused'], 'an external id again with another amount is refused');
SELECT is((SELECT count(*)::int FROM wallet_import('[]')), 0, 'an empty array: no rows');
SELECT throws_ok($$SELECT * FROM wallet_import('{"rows": []}')$$, 'WA002', NULL, 'not an array: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_import((SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 10001)))$$, 'WA002',
                 'invalid_request: rows must be a JSON array of at most 10000 items', 'more than 10,000 rows: invalid_request');

-- an import is a credit: it repays debt first, like a top-up
SELECT wallet_topup('1a000000-0000-4000-8000-000000000003', 1, 20, 'pay-1');
SELECT wallet_spend('1a000000-0000-4000-8000-000000000003', 1, 25, 'buy-1');
SELECT wallet_refund('1a000000-0000-4000-8000-000000000003', 'pay-1', 20, 'ref-1', 'debt');
SELECT results_eq($$SELECT balance, replayed FROM wallet_import('[
    {"external_id": "old-13", "user_id": "1a000000-0000-4000-8000-000000000003", "name": "Already Here", "asset_type_id": 1, "class": "paid", "amount": 30}]')$$,
                  $$VALUES (30 - 20 + 0::bigint, false)$$, 'an import repays debt first');
SELECT is((SELECT debt FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = '1a000000-0000-4000-8000-000000000003' AND w.asset_type_id = 1), 0::bigint, 'the debt is repaid');

SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger is consistent');
SELECT * FROM finish();
ROLLBACK;
