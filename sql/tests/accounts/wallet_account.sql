-- wallet_account: the status with why and when, and per asset the limits in force with
-- what counted against a daily limit today (counted with a limit in force or not).
BEGIN;
SELECT plan(6);
SELECT wallet_open_account('d8000000-0000-4000-8000-000000000001', 'Account');
SELECT results_eq($$SELECT user_id, name, status, status_reason, jsonb_array_length(limits)
                    FROM wallet_account('d8000000-0000-4000-8000-000000000001')$$,
                  $$SELECT 'd8000000-0000-4000-8000-000000000001'::uuid, 'Account', 'active', NULL::text,
                           (SELECT count(*)::int FROM wallet.asset_types)$$,
                  'an active account, a limits item per asset');
SELECT is((SELECT limits -> 0 FROM wallet_account('d8000000-0000-4000-8000-000000000001')),
          jsonb_build_object('asset_type_id', 1, 'asset_code', 'GOLD', 'max_balance', NULL, 'daily_spend_limit', NULL,
                             'spent_today', 0),
          'no limit: nulls, nothing counted');
SELECT wallet_topup('d8000000-0000-4000-8000-000000000001', 1, 100, 'a-1');
SELECT wallet_spend('d8000000-0000-4000-8000-000000000001', 1, 30, 'a-2');
SELECT wallet_hold('d8000000-0000-4000-8000-000000000001', 1, 5, 'a-hold');
SELECT is((SELECT (limits -> 0 ->> 'spent_today')::bigint FROM wallet_account('d8000000-0000-4000-8000-000000000001')),
          35::bigint, 'a spend and a hold count with no limit in force');
SELECT wallet_set_limits(1, NULL, 40, 'd8000000-0000-4000-8000-000000000001');
SELECT throws_ok($$SELECT * FROM wallet_spend('d8000000-0000-4000-8000-000000000001', 1, 6, 'a-3')$$, 'WA013',
                 'spend_limit_exceeded: 41 today would pass the daily limit of 40',
                 'a limit set later in the day counts what was spent before it');
SELECT wallet_set_account_status('d8000000-0000-4000-8000-000000000001', 'frozen', 'review');
SELECT results_eq($$SELECT status, status_reason, status_changed_at IS NOT NULL
                    FROM wallet_account('d8000000-0000-4000-8000-000000000001')$$,
                  $$VALUES ('frozen', 'review', true)$$, 'the status with why and when');
SELECT throws_ok($$SELECT * FROM wallet_account('d8000000-0000-4000-8000-0000000000ff')$$, 'WA003', NULL,
                 'an unknown user: account_not_found');
SELECT * FROM finish();
ROLLBACK;
