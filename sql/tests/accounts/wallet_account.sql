-- wallet_account: the status with why and when, and per asset the limits in force with
-- what counted against the daily limit today.
BEGIN;
SELECT plan(4);
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
SELECT wallet_set_account_status('d8000000-0000-4000-8000-000000000001', 'frozen', 'review');
SELECT results_eq($$SELECT status, status_reason, status_changed_at IS NOT NULL
                    FROM wallet_account('d8000000-0000-4000-8000-000000000001')$$,
                  $$VALUES ('frozen', 'review', true)$$, 'the status with why and when');
SELECT throws_ok($$SELECT * FROM wallet_account('d8000000-0000-4000-8000-0000000000ff')$$, 'WA003', NULL,
                 'an unknown user: account_not_found');
SELECT * FROM finish();
ROLLBACK;
