-- wallet_exchange: one asset into another at the operator's rate; class and expiry carry
-- over, sized by cumulative rounding across several lots; debt on the second asset
-- repaid first; refusals; a replay answers the first call even after the rate changed.
BEGIN;
SELECT plan(21);

SELECT wallet_open_account('d4000000-0000-4000-8000-000000000001', 'Exchanger');
SELECT wallet_set_spend_order(1, 'free_first');
SELECT wallet_set_exchange_rate(1, 2, 2, 3);  -- 3 GOLD buy 2 POINTS
-- three lots of 1 GOLD each: alone, each would buy floor(2/3) = 0
SELECT * FROM wallet_bonus('d4000000-0000-4000-8000-000000000001', 1, 1, 'b1', '{}', now() + interval '1 day');
SELECT * FROM wallet_bonus('d4000000-0000-4000-8000-000000000001', 1, 1, 'b2', '{}', now() + interval '2 days');
SELECT * FROM wallet_topup('d4000000-0000-4000-8000-000000000001', 1, 1, 'p1');
SELECT * FROM wallet_topup('d4000000-0000-4000-8000-000000000001', 1, 100, 'p2');

CREATE TEMP TABLE x1 AS SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 3, 'ex-1');
SELECT results_eq($$SELECT balance, replayed, paid_amount, free_amount, to_amount, to_balance FROM x1$$,
                  $$VALUES (100::bigint, false, 1::bigint, 2::bigint, 2::bigint, 2::bigint)$$,
                  'three single units buy floor(3 * 2 / 3) = 2, not 3 x floor(2 / 3) = 0');
SELECT results_eq(
    $$SELECT class, amount, expires_at IS NOT NULL FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM x1)
      ORDER BY lot_id$$,
    $$VALUES ('free', 1::bigint, true), ('paid', 1::bigint, false)$$,
    'cumulative rounding: lot i gets floor(C_i n/d) - floor(C_(i-1) n/d) (0, 1, 1); no lot of 0 is made');
SELECT results_eq(
    $$SELECT kind, asset_type_id, amount, credit_account_id = (SELECT account_id FROM wallet.accounts WHERE system_code = 'treasury')
      FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM x1)$$,
    $$VALUES ('exchange_out', 1, 3::bigint, true)$$, 'an exchange_out: user -> Treasury on the first asset');
SELECT results_eq(
    $$SELECT kind, asset_type_id, amount, original_entry_id, idempotency_key,
             debit_account_id = (SELECT account_id FROM wallet.accounts WHERE system_code = 'treasury')
      FROM wallet.ledger_entries WHERE entry_id = (SELECT to_entry_id FROM x1)$$,
    $$SELECT 'exchange_in', 2, 2::bigint, (SELECT entry_id FROM x1), NULL::text, true$$,
    'an exchange_in: Treasury -> user on the second asset, naming the exchange_out');
SELECT is((SELECT expires_at FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM x1) ORDER BY lot_id LIMIT 1),
          (SELECT l.expires_at FROM wallet.lots l
           JOIN wallet.ledger_entries e ON e.account_id = l.account_id AND e.entry_id = l.entry_id
           WHERE e.idempotency_key = 'b2'),
          'the new free lot keeps the expiry of the lot it came from');

-- rounding over many lots adds up exactly
SELECT wallet_set_exchange_rate(1, 2, 7, 10);
CREATE TEMP TABLE x2 AS SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 99, 'ex-2');
SELECT is((SELECT to_amount FROM x2), 69::bigint, '99 at 7/10 buys floor(69.3) = 69');
SELECT is((SELECT sum(amount) FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM x2)), 69::numeric,
          'the new lots add up to exactly what was bought');

-- replay, after the rate changed and after it was removed
SELECT wallet_set_exchange_rate(1, 2, 1, 1);
SELECT results_eq($$SELECT to_amount, replayed FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 3, 'ex-1')$$,
                  $$VALUES (2::bigint, true)$$, 'a replay answers the first call at the first rate');
SELECT wallet_set_exchange_rate(1, 2, NULL, 5);
SELECT results_eq($$SELECT replayed FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 3, 'ex-1')$$,
                  $$VALUES (true)$$, 'and after the rate was removed');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 4, 'ex-1')$$,
                 'WA005', NULL, 'the same key, another amount: idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 1, 'ex-3')$$,
                 'WA014', NULL, 'no rate: operation_not_allowed');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 2, 1, 1, 'ex-3')$$,
                 'WA014', NULL, 'a rate is one direction only');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 999, 1, 'ex-3')$$,
                 'WA004', NULL, 'an asset that does not exist: asset_not_found, not a missing rate');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 999, 1, 1, 'ex-3')$$,
                 'WA004', NULL, 'either of the two');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 1, 1, 'ex-3')$$,
                 'WA002', NULL, 'the same asset on both sides: invalid_request');
SELECT wallet_set_exchange_rate(1, 2, 1, 1000);
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 5, 'ex-4')$$,
                 'WA001', NULL, 'an amount that buys 0: invalid_amount');
SELECT wallet_set_exchange_rate(1, 2, 9007199254740991, 1);
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 2, 'ex-5')$$,
                 'WA001', NULL, 'an amount that buys more than 2^53-1: invalid_amount, computed without overflow');
SELECT wallet_set_exchange_rate(1, 2, 1, 1);
SELECT throws_ok($$SELECT * FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 1000, 'ex-6')$$,
                 'WA006', NULL, 'more than is available: insufficient_funds');

SELECT is((SELECT count(*)::int FROM wallet_verify()), 0, 'wallet_verify() is clean');

-- previews
SELECT results_eq($$SELECT entry_id IS NULL, to_amount, replayed
                    FROM wallet_exchange('d4000000-0000-4000-8000-000000000001', 1, 2, 1, 'preview-x', '{}', true)$$,
                  $$VALUES (true, 1::bigint, false)$$, 'a dry run answers what the amount would buy');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'preview-x'), 0, 'and writes nothing');
SELECT * FROM finish();
ROLLBACK;
