-- wallet_limit_changes: every wallet_set_limits call for a user, newest first, with who
-- made it (wallet.actor, else the login); the asset's own limits are not a user's.
BEGIN;
SELECT plan(4);
SELECT wallet_open_account('c7000000-0000-4000-8000-000000000001', 'Limited');
SELECT set_config('wallet.actor', 'staff:Sam Support', true);
SELECT wallet_set_limits(1, 1000, 50, 'c7000000-0000-4000-8000-000000000001');
SELECT set_config('wallet.actor', '', true);
SELECT wallet_set_limits(1, NULL, 70, 'c7000000-0000-4000-8000-000000000001');
SELECT wallet_set_limits(1, NULL, 90000);
SELECT results_eq(
    $$SELECT asset_type_id, max_balance, daily_spend_limit, changed_by
      FROM wallet_limit_changes('c7000000-0000-4000-8000-000000000001')$$,
    $$VALUES (1, NULL::bigint, 70::bigint, session_user::text COLLATE "default"), (1, 1000::bigint, 50::bigint, 'staff:Sam Support')$$,
    'newest first, each with who set it: the console''s member of staff, then the database login');
SELECT is((SELECT count(*)::int FROM wallet_limit_changes('c7000000-0000-4000-8000-000000000001', 1)), 1, 'at most p_limit');
SELECT is((SELECT count(*)::int FROM wallet.limit_changes WHERE account_id IS NULL AND daily_spend_limit = 90000), 1,
          'the asset''s own limits are kept too, without a user');
SELECT throws_ok($$SELECT * FROM wallet_limit_changes('c7000000-0000-4000-8000-0000000000ff')$$, 'WA003', NULL,
                 'a user without an account: account_not_found');
SELECT * FROM finish();
ROLLBACK;
