-- wallet_outstanding: per asset the paid and free credit, debt and wallets with paid
-- credit of all users; the present read from the wallets and a past moment rebuilt from
-- the ledger agree (their difference is exactly this test's postings).
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE before_test AS SELECT * FROM wallet_outstanding(now() - interval '1 microsecond');
SELECT wallet_open_account('e3000000-0000-4000-8000-000000000002', 'Owed');
SELECT wallet_open_account('e3000000-0000-4000-8000-000000000003', 'Owes');
SELECT * FROM wallet_topup('e3000000-0000-4000-8000-000000000002', 1, 100, 'wo-1');
SELECT * FROM wallet_bonus('e3000000-0000-4000-8000-000000000002', 1, 20, 'wo-2', '{}', now() + interval '1 hour');
SELECT * FROM wallet_topup('e3000000-0000-4000-8000-000000000003', 1, 50, 'wo-3');
SELECT * FROM wallet_spend('e3000000-0000-4000-8000-000000000003', 1, 45, 'wo-4');
SELECT * FROM wallet_refund('e3000000-0000-4000-8000-000000000003', 'wo-3', 50, 'wo-5', 'debt');  -- 5 back, 45 owed

CREATE TEMP TABLE delta AS
SELECT n.asset_type_id, n.paid - b.paid AS paid, n.free - b.free AS free, n.debt - b.debt AS debt,
       n.paid_wallets - b.paid_wallets AS paid_wallets
FROM wallet_outstanding() n JOIN before_test b USING (asset_type_id);
SELECT results_eq('SELECT paid, free, debt, paid_wallets FROM delta WHERE asset_type_id = 1',
                  $$VALUES (100::bigint, 20::bigint, 45::bigint, 1::bigint)$$,
                  'this test''s credit, bonus and debt; one more wallet holds paid credit');
SELECT results_eq('SELECT paid, free, debt, paid_wallets FROM delta WHERE asset_type_id = 2',
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$, 'nothing on POINTS');
SELECT results_eq($$SELECT n.free - b.free FROM wallet_outstanding(now() + interval '2 hours') n
                    JOIN before_test b USING (asset_type_id) WHERE asset_type_id = 1$$,
                  ARRAY[0::bigint], 'expired bonus credit is not owed, swept or not');
SELECT results_eq('SELECT asset_type_id, asset_code FROM wallet_outstanding()', $$VALUES (1, 'GOLD'), (2, 'POINTS')$$,
                  'every asset');
SELECT throws_ok('SELECT * FROM wallet_outstanding(NULL)', 'WA002', 'invalid_request: at must be a point in time',
                 'a moment is required');
SELECT function_privs_are('public', 'wallet_outstanding', ARRAY['timestamp with time zone'], 'wallet_service',
                          ARRAY['EXECUTE'], 'the API calls it for reports:read tokens');

SELECT * FROM finish();
ROLLBACK;
