-- wallet_spend: user -> Treasury, never below zero; insufficient_funds writes nothing;
-- a replay wins over a balance that has since run out.
BEGIN;
SELECT plan(23);

SELECT wallet_open_account('c0000000-0000-4000-8000-000000000001', 'Spend Tester');
SELECT * FROM wallet_topup('c0000000-0000-4000-8000-000000000001', 1, 100, 'fund-1');
CREATE TEMP TABLE first_call AS
    SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 30, 'buy-1', '{"item": "sword"}');

SELECT is((SELECT (balance, replayed) FROM first_call), (70::bigint, false), 'a spend debits the user');
SELECT results_eq(
    $$SELECT kind, amount, balance_after, debit_account_id = account_id,
             credit_account_id = (SELECT account_id FROM wallet.accounts WHERE system_code = 'treasury')
      FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM first_call)$$,
    $$VALUES ('spend', 30::bigint, 70::bigint, true, true)$$, 'the entry debits the user and credits the Treasury');

SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 71, 'buy-2')$$,
                 'WA006', NULL, 'spending more than the balance: insufficient_funds');
SELECT throws_like($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 71, 'buy-2')$$,
                   'insufficient_funds:%', 'the message starts with the stable name');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'buy-2'), 0, 'a refused spend writes no entry');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 2, 1, 'buy-3')$$,
                 'WA006', NULL, 'spending an asset never credited: insufficient_funds');

SELECT is((SELECT balance FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 70, 'buy-4')), 0::bigint,
          'spending the whole balance leaves exactly zero');
SELECT results_eq($$SELECT entry_id, balance, replayed FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 30, 'buy-1')$$,
                  $$SELECT entry_id, 70::bigint, true FROM first_call$$,
                  'a replay returns the first result even though the balance is now too low');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 31, 'buy-1')$$,
                 'WA005', NULL, 'same key, other amount: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 100, 'fund-1')$$,
                 'WA005', NULL, 'a spend reusing a top-up key: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 9007199254740992, 'buy-5')$$,
                 'WA001', NULL, 'invalid_amount comes before insufficient_funds');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 1, repeat('x', 300))$$, 'WA002', NULL, 'invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 1, 'café-2858b1')$$,
                 'WA002', NULL, 'a key with a non-ASCII character: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 1, 'two words')$$,
                 'WA002', NULL, 'a key with a space: invalid_request (visible ASCII only)');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-00000000dead', 1, 1, 'buy-6')$$, 'WA003', NULL, 'account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 7, 1, 'buy-7')$$, 'WA004', NULL, 'asset_not_found');
SELECT results_eq($$SELECT balance FROM wallet_balance('c0000000-0000-4000-8000-000000000001') ORDER BY asset_type_id$$,
                  ARRAY[0::bigint, 0::bigint], 'refusals left the balances alone');
SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger is consistent');


-- previews: the answer or the refusal of the call now, nothing written or claimed
SELECT wallet_open_account('c0000000-0000-4000-8000-0000000000aa', 'Spend preview');
SELECT * FROM wallet_topup('c0000000-0000-4000-8000-0000000000aa', 1, 50, 'fund-preview');
SELECT results_eq($$SELECT entry_id IS NULL, balance, replayed, paid_amount
                    FROM wallet_spend('c0000000-0000-4000-8000-0000000000aa', 1, 20, 'preview-1', '{}', true)$$,
                  $$VALUES (true, 30::bigint, false, 20::bigint)$$, 'a dry run answers the balance after it, no entry id');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'preview-1'), 0,
          'a dry run writes no entry and leaves its key free');
SELECT is((SELECT balance FROM wallet_balance('c0000000-0000-4000-8000-0000000000aa') WHERE asset_type_id = 1), 50::bigint,
          'the balance is untouched');
SELECT throws_ok($$SELECT * FROM wallet_spend('c0000000-0000-4000-8000-0000000000aa', 1, 51, 'preview-2', '{}', true)$$,
                 'WA006', NULL, 'a dry run answers the refusal the call would get');
SELECT results_eq($$SELECT entry_id, replayed FROM wallet_spend('c0000000-0000-4000-8000-000000000001', 1, 30, 'buy-1', '{}', true)$$,
                  $$SELECT entry_id, true FROM first_call$$, 'a dry run with a used key answers the replay, its id included');
SELECT * FROM finish();
ROLLBACK;
