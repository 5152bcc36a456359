-- wallet_bonus: Treasury -> user incentives, replay, key reuse across kinds, refusals.
BEGIN;
SELECT plan(10);

SELECT wallet_open_account('b0000000-0000-4000-8000-000000000001', 'Bonus Tester');
CREATE TEMP TABLE first_call AS
    SELECT * FROM wallet_bonus('b0000000-0000-4000-8000-000000000001', 2, 40, 'promo-1', '{"campaign": "spring"}');

SELECT is((SELECT (balance, replayed) FROM first_call), (40::bigint, false), 'a bonus credits the user');
SELECT results_eq(
    $$SELECT kind, credit_account_id = account_id, metadata FROM wallet.ledger_entries
      WHERE entry_id = (SELECT entry_id FROM first_call)$$,
    $$VALUES ('bonus', true, '{"campaign": "spring"}'::jsonb)$$, 'the entry is a bonus credited to the user');
SELECT results_eq($$SELECT entry_id, balance, replayed FROM wallet_bonus('b0000000-0000-4000-8000-000000000001', 2, 40, 'promo-1')$$,
                  $$SELECT entry_id, 40::bigint, true FROM first_call$$, 'a replay returns the first result');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'promo-1'), 1, 'a replay writes nothing');
SELECT throws_ok($$SELECT * FROM wallet_topup('b0000000-0000-4000-8000-000000000001', 2, 40, 'promo-1')$$,
                 'WA005', NULL, 'a top-up reusing a bonus key: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_bonus('b0000000-0000-4000-8000-000000000001', 2, 0, 'promo-2')$$, 'WA001', NULL, 'invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_bonus('b0000000-0000-4000-8000-000000000001', 2, 5, '')$$, 'WA002', NULL, 'invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_bonus('b0000000-0000-4000-8000-00000000dead', 2, 5, 'promo-3')$$, 'WA003', NULL, 'account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_bonus('b0000000-0000-4000-8000-000000000001', 42, 5, 'promo-4')$$, 'WA004', NULL, 'asset_not_found');
SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger is consistent');

SELECT * FROM finish();
ROLLBACK;
