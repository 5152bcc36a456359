-- wallet_balance: one row per asset, zero where nothing was posted; paid and free
-- credit split out, expired lots not counted even before wallet_expire() runs.
BEGIN;
SELECT plan(6);

SELECT wallet_open_account('e0000000-0000-4000-8000-000000000001', 'Eve');
SELECT results_eq($$SELECT * FROM wallet_balance('e0000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (1, 'GOLD', 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint),
                           (2, 'POINTS', 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
                  'a new account has zero of every asset');
SELECT * FROM wallet_topup('e0000000-0000-4000-8000-000000000001', 2, 25, 'k1');
SELECT * FROM wallet_bonus('e0000000-0000-4000-8000-000000000001', 2, 10, 'k3');
SELECT * FROM wallet_spend('e0000000-0000-4000-8000-000000000001', 2, 5, 'k2');
SELECT results_eq($$SELECT asset_type_id, balance, paid, free, held, available, debt
                    FROM wallet_balance('e0000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (1, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint),
                           (2, 30::bigint, 25::bigint, 5::bigint, 0::bigint, 30::bigint, 0::bigint)$$,
                  'balance = paid + free; the spend took free credit first');

-- a lot that has expired, not yet swept: move its expiry into the past behind the
-- functions' backs, as time passing would
SELECT * FROM wallet_bonus('e0000000-0000-4000-8000-000000000001', 2, 7, 'k4', '{}', now() + interval '1 hour');
UPDATE wallet.lots SET expires_at = now() - interval '1 second' WHERE amount = 7;
UPDATE wallet.wallets SET next_expiry = now() - interval '1 second' WHERE asset_type_id = 2
   AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'e0000000-0000-4000-8000-000000000001');
SELECT results_eq($$SELECT balance, paid, free FROM wallet_balance('e0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 2$$,
                  $$VALUES (30::bigint, 25::bigint, 5::bigint)$$, 'an expired lot is not counted before the sweep');
SELECT is((SELECT balance FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = 'e0000000-0000-4000-8000-000000000001' AND w.asset_type_id = 2), 37::bigint,
          'while the ledger still holds it');

INSERT INTO wallet.asset_types VALUES (3, 'GEMS', 'Gems');
SELECT results_eq($$SELECT asset_code, balance FROM wallet_balance('e0000000-0000-4000-8000-000000000001') WHERE asset_type_id = 3$$,
                  $$VALUES ('GEMS', 0::bigint)$$, 'an asset added later shows as zero');
SELECT throws_ok($$SELECT * FROM wallet_balance('e0000000-0000-4000-8000-00000000dead')$$, 'WA003', NULL, 'account_not_found');

SELECT * FROM finish();
ROLLBACK;
