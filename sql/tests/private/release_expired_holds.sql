-- wallet.release_expired_holds: a wallet's holds past expires_at, at most p_limit,
-- become expired and stop counting as held (it answers which); open ones stay;
-- next_hold_expiry follows.
BEGIN;
SELECT plan(4);
SELECT wallet_open_account('b3000000-0000-4000-8000-000000000001', 'Expired holds');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b3000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('b3000000-0000-4000-8000-000000000001', 1, 100, 'p');
SELECT * FROM wallet_hold('b3000000-0000-4000-8000-000000000001', 1, 10, 'h1');
SELECT * FROM wallet_hold('b3000000-0000-4000-8000-000000000001', 1, 20, 'h2');
SELECT * FROM wallet_hold('b3000000-0000-4000-8000-000000000001', 1, 30, 'h3', '1 hour');
UPDATE wallet.holds SET expires_at = now() - interval '1 minute' WHERE idempotency_key IN ('h1', 'h2');

SELECT is(wallet.release_expired_holds((SELECT account_id FROM acct), 1, now(), 1),
          (SELECT ARRAY[hold_id] FROM wallet.holds WHERE idempotency_key = 'h1'), 'at most p_limit, soonest first');
SELECT is(wallet.release_expired_holds((SELECT account_id FROM acct), 1, now()),
          (SELECT ARRAY[hold_id] FROM wallet.holds WHERE idempotency_key = 'h2'), 'then the rest');
SELECT results_eq($$SELECT held, next_hold_expiry = now() + interval '1 hour' FROM wallet.wallets
                    WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1$$,
                  $$VALUES (30::bigint, true)$$, 'only the open hold is held; the next expiry is its');
SELECT results_eq($$SELECT idempotency_key, state FROM wallet.holds WHERE account_id = (SELECT account_id FROM acct) ORDER BY 1$$,
                  $$VALUES ('h1', 'expired'), ('h2', 'expired'), ('h3', 'open')$$, 'the expired ones are expired');
SELECT * FROM finish();
ROLLBACK;
