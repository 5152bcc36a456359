-- wallet_holds: a user's holds in a state, newest first; a hold past expires_at is
-- expired before any sweep; NULL lists all; an unknown state is invalid_request.
BEGIN;
SELECT plan(7);

SELECT wallet_open_account('a4000000-0000-4000-8000-000000000001', 'Lister');
SELECT * FROM wallet_topup('a4000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
CREATE TEMP TABLE h AS
    SELECT 'open' AS name, hold_id FROM wallet_hold('a4000000-0000-4000-8000-000000000001', 1, 10, 'h-open', '1 hour', '{"item": "sword"}')
    UNION ALL SELECT 'captured', hold_id FROM wallet_hold('a4000000-0000-4000-8000-000000000001', 1, 11, 'h-captured')
    UNION ALL SELECT 'voided', hold_id FROM wallet_hold('a4000000-0000-4000-8000-000000000001', 1, 12, 'h-voided')
    UNION ALL SELECT 'expired', hold_id FROM wallet_hold('a4000000-0000-4000-8000-000000000001', 1, 13, 'h-expired');
SELECT * FROM wallet_capture('a4000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h WHERE name = 'captured'), 'c-1', 5);
SELECT * FROM wallet_void('a4000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h WHERE name = 'voided'));
UPDATE wallet.holds SET expires_at = now() WHERE hold_id = (SELECT hold_id FROM h WHERE name = 'expired');

SELECT results_eq($$SELECT amount, captured_amount, state, idempotency_key, metadata, expires_at = now() + interval '1 hour'
                    FROM wallet_holds('a4000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (10::bigint, 0::bigint, 'open', 'h-open', '{"item": "sword"}'::jsonb, true)$$, 'open by default');
SELECT results_eq($$SELECT amount, captured_amount FROM wallet_holds('a4000000-0000-4000-8000-000000000001', 'captured')$$,
                  $$VALUES (11::bigint, 5::bigint)$$, 'captured, with what was captured');
SELECT results_eq($$SELECT amount FROM wallet_holds('a4000000-0000-4000-8000-000000000001', 'voided')$$,
                  $$VALUES (12::bigint)$$, 'voided');
SELECT results_eq($$SELECT amount FROM wallet_holds('a4000000-0000-4000-8000-000000000001', 'expired')$$,
                  $$VALUES (13::bigint)$$, 'expired at expires_at, before any sweep');
SELECT results_eq($$SELECT amount FROM wallet_holds('a4000000-0000-4000-8000-000000000001', NULL)$$,
                  $$VALUES (13::bigint), (12::bigint), (11::bigint), (10::bigint)$$, 'NULL: all, newest first');
SELECT throws_ok($$SELECT * FROM wallet_holds('a4000000-0000-4000-8000-000000000001', 'pending')$$,
                 'WA002', NULL, 'an unknown state: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_holds('a4000000-0000-4000-8000-0000000000ff')$$,
                 'WA003', NULL, 'an unknown user: account_not_found');

SELECT * FROM finish();
ROLLBACK;
