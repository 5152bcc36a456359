-- wallet_topup: Treasury -> user postings, replay and key reuse, and every refusal
-- (invalid_amount, invalid_request, account_not_found, asset_not_found), each leaving
-- nothing written.
BEGIN;
SELECT plan(36);

SELECT wallet_open_account('a0000000-0000-4000-8000-000000000001', 'Topup Tester');
SELECT wallet_open_account('a0000000-0000-4000-8000-000000000002', 'Other Tester');
CREATE TEMP TABLE first_call AS
    SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 300, 'pay-1', '{"payment": "p1"}');

SELECT is((SELECT balance FROM first_call), 300::bigint, 'a top-up returns the new balance');
SELECT is((SELECT replayed FROM first_call), false, 'a new top-up is not a replay');
SELECT results_eq(
    $$SELECT kind, amount, balance_after, metadata,
             debit_account_id = (SELECT account_id FROM wallet.accounts WHERE system_code = 'treasury'),
             credit_account_id = account_id
      FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM first_call)$$,
    $$VALUES ('topup', 300::bigint, 300::bigint, '{"payment": "p1"}'::jsonb, true, true)$$,
    'the entry debits the Treasury and credits the user, with metadata and balance_after');
SELECT results_eq($$SELECT balance FROM wallet_balance('a0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  ARRAY[300::bigint], 'the cached balance moved');

-- replay
SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 50, 'pay-2');
SELECT results_eq($$SELECT entry_id, balance, replayed FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 300, 'pay-1', '{"other": 1}')$$,
                  $$SELECT entry_id, 300::bigint, true FROM first_call$$,
                  'a replay returns the first call''s entry and balance, flagged as replayed');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = 'a0000000-0000-4000-8000-000000000001'), 2, 'a replay writes no entry');
SELECT results_eq($$SELECT balance FROM wallet_balance('a0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  ARRAY[350::bigint], 'a replay leaves the balance alone');
SELECT lives_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000002', 1, 300, 'pay-1')$$,
                'keys are scoped per user: another user may use the same key');

-- the same key for a different request
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 301, 'pay-1')$$,
                 'WA005', NULL, 'same key, other amount: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 2, 300, 'pay-1')$$,
                 'WA005', NULL, 'same key, other asset: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_bonus('a0000000-0000-4000-8000-000000000001', 1, 300, 'pay-1')$$,
                 'WA005', NULL, 'same key, other kind: idempotency_key_reused');
SELECT throws_like($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 301, 'pay-1')$$,
                   'idempotency_key_reused:%', 'the message starts with the stable name');

-- amounts
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 0, 'a0')$$, 'WA001', NULL, 'amount 0: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, -5, 'a1')$$, 'WA001', NULL, 'negative amount: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, NULL, 'a2')$$, 'WA001', NULL, 'null amount: invalid_amount');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 9007199254740992, 'a3')$$, 'WA001', NULL, 'amount above 2^53-1: invalid_amount');
SELECT lives_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 2, 9007199254740991, 'a4')$$, 'amount 2^53-1 is accepted');
UPDATE wallet.wallets SET balance = 9223372036854775000, paid = 9223372036854775000  -- as the owner, to reach the edge quickly
WHERE asset_type_id = 1 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'a0000000-0000-4000-8000-000000000002');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000002', 1, 1000, 'a5')$$, 'WA001', NULL,
                 'a top-up that would overflow the balance: invalid_amount');

-- requests
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, NULL)$$, 'WA002', NULL, 'null key: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, '')$$, 'WA002', NULL, 'empty key: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, repeat('k', 256))$$, 'WA002', NULL, '256-character key: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, E'line\nbreak')$$, 'WA002', NULL, 'key with a control character: invalid_request');
SELECT lives_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, repeat('k', 255))$$, '255-character key is accepted');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, 'm1', '[1, 2]')$$, 'WA002', NULL, 'metadata that is not an object: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 5, 'm2', jsonb_build_object('x', repeat('y', 5000)))$$,
                 'WA002', NULL, 'metadata over 4 KiB: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup(NULL, 1, 5, 'n1')$$, 'WA002', NULL, 'null user: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', NULL, 5, 'n2')$$, 'WA002', NULL, 'null asset: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-00000000dead', 1, 5, 'u1')$$, 'WA003', NULL, 'unknown user: account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 99, 5, 'u2')$$, 'WA004', NULL, 'unknown asset: asset_not_found');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries
           WHERE idempotency_key IN ('a0', 'a1', 'a2', 'a3', 'a5', 'm1', 'm2', 'n1', 'n2', 'u1', 'u2')), 0,
          'no refused call wrote an entry');
SELECT results_eq($$SELECT balance FROM wallet_balance('a0000000-0000-4000-8000-000000000001') ORDER BY asset_type_id$$,
                  ARRAY[355::bigint, 9007199254740991::bigint], 'refused calls left the balances alone');

-- hostile text is data
SELECT lives_ok($$SELECT * FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 1, 1, $k$');DROP/**/TABLE/**/wallet.wallets;--$k$,
                                             '{"note": "1; DELETE FROM wallet.accounts"}')$$,
                'an injection-shaped key is stored as data');
SELECT has_table('wallet', 'wallets', 'and executed nothing');
SELECT is((SELECT idempotency_key FROM wallet.ledger_entries WHERE idempotency_key LIKE '%DROP/**/TABLE%'),
          $k$');DROP/**/TABLE/**/wallet.wallets;--$k$, 'the key is stored verbatim');

-- an asset added after the account was opened gets its wallet on first posting
INSERT INTO wallet.asset_types VALUES (3, 'GEMS', 'Gems');
SELECT is((SELECT balance FROM wallet_topup('a0000000-0000-4000-8000-000000000001', 3, 7, 'gems-1')), 7::bigint,
          'a top-up of a newer asset opens its wallet');
SELECT results_eq($$SELECT problem, asset_type_id FROM wallet_verify() ORDER BY 1$$,
                  $$VALUES ('asset_does_not_sum_to_zero', 1), ('cached_balance_differs_from_ledger', 1),
                           ('last_balance_after_differs_from_cache', 1), ('lots_differ_from_cache_paid', 1)$$,
                  'wallet_verify sees only the balance set by hand above');

SELECT * FROM finish();
ROLLBACK;
