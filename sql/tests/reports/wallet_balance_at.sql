-- wallet_balance_at: per asset balance, paid and free as at a moment: nothing before
-- the entries; the entries made by then; a lot past its expires_at not counted even
-- before it is swept, except what an open hold reserved from it.
BEGIN;
SELECT plan(8);

SELECT wallet_open_account('e3000000-0000-4000-8000-000000000001', 'Then');
SELECT * FROM wallet_topup('e3000000-0000-4000-8000-000000000001', 1, 100, 'ba-1');
SELECT * FROM wallet_bonus('e3000000-0000-4000-8000-000000000001', 1, 40, 'ba-2', '{}', now() + interval '1 hour');
SELECT * FROM wallet_bonus('e3000000-0000-4000-8000-000000000001', 2, 5, 'ba-3');
SELECT * FROM wallet_spend('e3000000-0000-4000-8000-000000000001', 1, 30, 'ba-4');  -- free first: 30 of the bonus
-- reserves the bonus's last 10, then 5 paid, for two hours
SELECT * FROM wallet_hold('e3000000-0000-4000-8000-000000000001', 1, 15, 'ba-5', '2 hours');

SELECT results_eq($$SELECT asset_type_id, asset_code, balance, paid, free
                    FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', now() - interval '1 microsecond')$$,
                  $$VALUES (1, 'GOLD', 0::bigint, 0::bigint, 0::bigint), (2, 'POINTS', 0::bigint, 0::bigint, 0::bigint)$$,
                  'before its entries: nothing, every asset listed');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', now())$$,
                  $$SELECT balance, paid, free FROM wallet_balance('e3000000-0000-4000-8000-000000000001')$$,
                  'now: what wallet_balance answers');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', now()) WHERE asset_type_id = 1$$,
                  $$VALUES (110::bigint, 100::bigint, 10::bigint)$$, 'the spend took 30 free credit');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', now() + interval '90 minutes') WHERE asset_type_id = 1$$,
                  $$VALUES (110::bigint, 100::bigint, 10::bigint)$$,
                  'the bonus lot expired, but the open hold still reserves its last 10');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', now() + interval '3 hours') WHERE asset_type_id = 1$$,
                  $$VALUES (100::bigint, 100::bigint, 0::bigint)$$,
                  'the hold expired too: the bonus is gone, though nothing swept it');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', now() + interval '3 hours') WHERE asset_type_id = 2$$,
                  $$VALUES (5::bigint, 0::bigint, 5::bigint)$$, 'a lot without expiry stays');
SELECT throws_ok($$SELECT * FROM wallet_balance_at('e3000000-0000-4000-8000-0000000000ff', now())$$, 'WA003', NULL,
                 'an unknown user');
SELECT throws_ok($$SELECT * FROM wallet_balance_at('e3000000-0000-4000-8000-000000000001', NULL)$$, 'WA002',
                 'invalid_request: at must be a point in time', 'a moment is required');

SELECT * FROM finish();
ROLLBACK;
