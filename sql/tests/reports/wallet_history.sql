-- wallet_history: newest first, signed from the user's side, keyset pagination to the
-- end, asset filter, bounds on limit, and only the user's own entries.
BEGIN;
SELECT plan(11);

SELECT wallet_open_account('f0000000-0000-4000-8000-000000000001', 'Finn');
SELECT wallet_open_account('f0000000-0000-4000-8000-000000000002', 'Gus');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000001', 1, 100, 'h1', '{"n": 1}');
SELECT * FROM wallet_bonus('f0000000-0000-4000-8000-000000000001', 2, 10, 'h2');
SELECT * FROM wallet_topup('f0000000-0000-4000-8000-000000000002', 1, 999, 'h1');
SELECT * FROM wallet_spend('f0000000-0000-4000-8000-000000000001', 1, 30, 'h3');
SELECT * FROM wallet_spend('f0000000-0000-4000-8000-000000000001', 1, 20, 'h4');

SELECT results_eq($$SELECT idempotency_key, kind, asset_type_id, amount, balance_after
                    FROM wallet_history('f0000000-0000-4000-8000-000000000001')$$,
                  $$VALUES ('h4', 'spend', 1, -20::bigint, 50::bigint), ('h3', 'spend', 1, -30::bigint, 70::bigint),
                           ('h2', 'bonus', 2, 10::bigint, 10::bigint), ('h1', 'topup', 1, 100::bigint, 100::bigint)$$,
                  'newest first, signed amounts, only the user''s entries');
SELECT is((SELECT metadata FROM wallet_history('f0000000-0000-4000-8000-000000000001') WHERE idempotency_key = 'h1'),
          '{"n": 1}'::jsonb, 'metadata comes back');

CREATE TEMP TABLE page1 AS SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001', p_limit => 3);
SELECT is((SELECT count(*)::int FROM page1), 3, 'a page holds at most the limit');
CREATE TEMP TABLE page2 AS SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001',
                                                        p_before_id => (SELECT min(entry_id) FROM page1), p_limit => 3);
SELECT results_eq('SELECT idempotency_key FROM page2', ARRAY['h1'], 'the next page continues where the first ended');
SELECT is_empty($$SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001',
                                               p_before_id => (SELECT min(entry_id) FROM page2))$$, 'past the last page: nothing');
SELECT results_eq($$SELECT idempotency_key FROM wallet_history('f0000000-0000-4000-8000-000000000001', 2)$$,
                  ARRAY['h2'], 'filtered by asset');
SELECT throws_ok($$SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001', p_limit => 0)$$, 'WA002', NULL, 'limit 0: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001', p_limit => 1001)$$, 'WA002', NULL, 'limit 1001: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001', p_before_id => 0)$$, 'WA002', NULL, 'before 0: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_history('f0000000-0000-4000-8000-00000000dead')$$, 'WA003', NULL, 'account_not_found');
SELECT throws_ok($$SELECT * FROM wallet_history('f0000000-0000-4000-8000-000000000001', 9)$$, 'WA004', NULL, 'asset_not_found');

SELECT * FROM finish();
ROLLBACK;
