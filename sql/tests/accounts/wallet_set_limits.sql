-- wallet_set_limits and the limits in every writer: the asset's limits (owner only) and a
-- user's overrides field by field; a daily spend limit counted by spends, holds (given
-- back when released the same day), transfers out with their fee and exchanges; a cap
-- on credits (top-up, bonus, transfer in, exchange in), reversals exempt; a batch's
-- items refused the same way.
BEGIN;
SELECT plan(24);
SELECT wallet_open_account('d7000000-0000-4000-8000-000000000001', 'Limited');
SELECT wallet_open_account('d7000000-0000-4000-8000-000000000002', 'Friend');
SELECT wallet_set_transfer_policy(1, 'all');
SELECT wallet_set_exchange_rate(1, 2, 1, 1);
SELECT * FROM wallet_topup('d7000000-0000-4000-8000-000000000001', 1, 500, 'pay-1');
SELECT * FROM wallet_topup('d7000000-0000-4000-8000-000000000002', 1, 500, 'pay-2');

SELECT wallet_set_limits(1, NULL, 100, 'd7000000-0000-4000-8000-000000000001');
SELECT is((SELECT balance FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 60, 's-1')), 440::bigint,
          'a spend within the daily limit posts');
SELECT throws_ok($$SELECT * FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 41, 's-2')$$, 'WA013', NULL,
                 'one unit past the limit: spend_limit_exceeded');
CREATE FUNCTION pg_temp.detail_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_detail text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail;
END $$;
SELECT is(pg_temp.detail_of($$SELECT * FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 41, 's-2')$$),
          'remaining: 40', 'DETAIL says what remains');
SELECT is((SELECT replayed FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 60, 's-1')), true,
          'a replay answers even past the limit');
CREATE TEMP TABLE h AS SELECT * FROM wallet_hold('d7000000-0000-4000-8000-000000000001', 1, 30, 'h-1');
SELECT throws_ok($$SELECT * FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 11, 's-3')$$, 'WA013', NULL,
                 'a hold counts when it is made');
SELECT is((SELECT state FROM wallet_void('d7000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h))), 'voided',
          'the hold is voided the same day');
SELECT is((SELECT balance FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 40, 's-4')), 400::bigint,
          'and gives its 30 back to the allowance');
SELECT wallet_set_limits(1, NULL, 130, 'd7000000-0000-4000-8000-000000000001');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d7000000-0000-4000-8000-000000000001',
                   'd7000000-0000-4000-8000-000000000002', 1, 25, 't-1', 6)$$, 'WA013', NULL,
                 'a transfer out counts with its fee (100 + 25 + 6 > 130)');
SELECT is((SELECT balance FROM wallet_transfer('d7000000-0000-4000-8000-000000000001',
                   'd7000000-0000-4000-8000-000000000002', 1, 25, 't-2', 5)), 370::bigint, 'one that fits posts');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d7000000-0000-4000-8000-000000000001', 1, 2, 1, 'x-1')$$, 'WA013', NULL,
                 'an exchange counts too');
SELECT throws_ok($$SELECT * FROM wallet_spend('d7000000-0000-4000-8000-000000000001', 1, 1, 's-5', '{}', true)$$,
                 'WA013', NULL, 'a preview answers the same refusal');
SELECT results_eq($$SELECT item, error_sqlstate FROM wallet_post_batch(jsonb_build_array(
                      jsonb_build_object('kind', 'spend', 'user_id', 'd7000000-0000-4000-8000-000000000001',
                                         'asset_type_id', 1, 'amount', 1, 'idempotency_key', 'b-1')))$$,
                  $$VALUES (1, 'WA013')$$, 'a batch item past the limit is refused the same way');

-- caps on credits
SELECT wallet_set_limits(1, 400, NULL, 'd7000000-0000-4000-8000-000000000001');
SELECT throws_ok($$SELECT * FROM wallet_topup('d7000000-0000-4000-8000-000000000001', 1, 31, 'p-3')$$, 'WA012', NULL,
                 'a top-up past the cap: balance_limit_exceeded');
SELECT is((SELECT balance FROM wallet_bonus('d7000000-0000-4000-8000-000000000001', 1, 30, 'b-2')), 400::bigint,
          'up to the cap posts');
SELECT throws_ok($$SELECT * FROM wallet_transfer('d7000000-0000-4000-8000-000000000002',
                   'd7000000-0000-4000-8000-000000000001', 1, 1, 't-3')$$, 'WA012', NULL, 'a transfer in past the cap');
SELECT wallet_set_limits(2, 0, NULL, 'd7000000-0000-4000-8000-000000000001');
SELECT throws_ok($$SELECT * FROM wallet_exchange('d7000000-0000-4000-8000-000000000001', 1, 2, 1, 'x-2')$$, 'WA012', NULL,
                 'an exchange in past the cap of the other asset');
SELECT is((SELECT balance FROM wallet_reverse_spend('d7000000-0000-4000-8000-000000000001', 's-1', 10, 'r-1')), 410::bigint,
          'a reversal is exempt: it gives back what was there');

-- the asset's limits, and overrides field by field
SELECT wallet_set_limits(1, NULL, NULL, 'd7000000-0000-4000-8000-000000000001');  -- the override removed
SELECT wallet_set_limits(1, 1000, 5);
SELECT throws_ok($$SELECT * FROM wallet_spend('d7000000-0000-4000-8000-000000000002', 1, 6, 'f-1')$$, 'WA013', NULL,
                 'the asset''s limit applies to everyone');
SELECT wallet_set_limits(1, NULL, 50, 'd7000000-0000-4000-8000-000000000002');
SELECT is((SELECT replayed FROM wallet_spend('d7000000-0000-4000-8000-000000000002', 1, 6, 'f-1')), false,
          'a user''s override of one field replaces the asset''s');
SELECT results_eq($$SELECT l ->> 'max_balance', l ->> 'daily_spend_limit', l ->> 'spent_today'
                    FROM wallet_account('d7000000-0000-4000-8000-000000000002') a,
                         jsonb_array_elements(a.limits) l WHERE (l ->> 'asset_type_id')::int = 1$$,
                  $$VALUES ('1000', '50', '6')$$, 'the other field keeps the asset''s: the limits in force');
SELECT throws_ok($$SELECT wallet_set_limits(1, -1, NULL)$$, 'WA002', NULL, 'a negative limit: invalid_request');
SELECT throws_ok($$SELECT wallet_set_limits(99, 1, NULL)$$, 'WA004', NULL, 'an unknown asset: asset_not_found');
CREATE ROLE limits_caller LOGIN IN ROLE wallet_service;
SET SESSION AUTHORIZATION limits_caller;
SELECT throws_ok($$SELECT wallet_set_limits(1, 1, 1)$$, '42501', NULL, 'a service may not set an asset''s limits');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*)::int FROM wallet_verify()), 0, 'wallet_verify() is clean');
SELECT * FROM finish();
ROLLBACK;
