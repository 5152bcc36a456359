-- wallet_outstanding: per asset the paid and free credit, debt and wallets with paid
-- credit of all users; the present read from the wallets and a past moment rebuilt from
-- the ledger agree (their difference is exactly this test's postings).
BEGIN;
SELECT plan(8);

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
                  $$VALUES (100::numeric, 20::numeric, 45::numeric, 1::bigint)$$,
                  'this test''s credit, bonus and debt; one more wallet holds paid credit');
SELECT results_eq('SELECT paid, free, debt, paid_wallets FROM delta WHERE asset_type_id = 2',
                  $$VALUES (0::numeric, 0::numeric, 0::numeric, 0::bigint)$$, 'nothing on POINTS');
SELECT results_eq($$SELECT n.free - b.free FROM wallet_outstanding(now() + interval '2 hours') n
                    JOIN before_test b USING (asset_type_id) WHERE asset_type_id = 1$$,
                  ARRAY[0::numeric], 'expired bonus credit is not owed, swept or not');
SELECT results_eq('SELECT asset_type_id, asset_code FROM wallet_outstanding()', $$VALUES (1, 'GOLD'), (2, 'POINTS')$$,
                  'every asset');
SELECT throws_ok('SELECT * FROM wallet_outstanding(NULL)', 'WA002', 'invalid_request: at must be a point in time',
                 'a moment is required');
SELECT function_privs_are('public', 'wallet_outstanding', ARRAY['timestamp with time zone'], 'wallet_service',
                          ARRAY['EXECUTE'], 'the API calls it for reports:read tokens');

-- two wallets of 600 x (2^53 - 1) POINTS: their sum passes bigint, and is exact
SELECT wallet_open_account('e3000000-0000-4000-8000-0000000000a1', 'Big');
SELECT wallet_open_account('e3000000-0000-4000-8000-0000000000a2', 'Big');
SELECT count(*) FROM (VALUES ('e3000000-0000-4000-8000-0000000000a1'), ('e3000000-0000-4000-8000-0000000000a2')) v(u)
    CROSS JOIN generate_series(1, 600) n, LATERAL wallet_topup(v.u::uuid, 2, 9007199254740991, 'big-' || n);
SELECT results_eq($$SELECT n.paid - b.paid, n.paid_wallets - b.paid_wallets FROM wallet_outstanding() n
                    JOIN before_test b USING (asset_type_id) WHERE asset_type_id = 2$$,
                  $$VALUES (10808639105689189200::numeric, 2::bigint)$$, 'a sum past bigint, exact');
SELECT is_empty('SELECT * FROM wallet_verify()', 'and the ledger still verifies');

SELECT * FROM finish();
ROLLBACK;
