-- wallet_void: releases the whole hold back to its lots; voiding a voided hold answers
-- its state again; void after capture and of an expired hold: hold_not_open with the
-- state; reserved credit of a lot that expired meanwhile expires at the void; unknown
-- holds; wallet_verify() clean.
BEGIN;
SELECT plan(15);

CREATE FUNCTION pg_temp.detail_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_detail text;
BEGIN
    EXECUTE p_sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || v_detail;
END $$;

SELECT wallet_open_account('a3000000-0000-4000-8000-000000000001', 'Voider');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'a3000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('a3000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
SELECT * FROM wallet_bonus('a3000000-0000-4000-8000-000000000001', 1, 30, 'gift-1', '{}', now() + interval '1 day');

CREATE TEMP TABLE h1 AS SELECT * FROM wallet_hold('a3000000-0000-4000-8000-000000000001', 1, 50, 'h-1');
SELECT results_eq($$SELECT hold_id, available, state FROM wallet_void('a3000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h1))$$,
                  $$SELECT hold_id, 130::bigint, 'voided' FROM h1$$, 'a void releases the whole hold');
SELECT results_eq($$SELECT state, captured_amount, closed_at = now() FROM wallet.holds WHERE hold_id = (SELECT hold_id FROM h1)$$,
                  $$VALUES ('voided', 0::bigint, true)$$, 'the hold is voided');
SELECT results_eq($$SELECT sum(remaining) FROM wallet.lots WHERE account_id = (SELECT account_id FROM acct)$$,
                  $$VALUES (130::numeric)$$, 'its credit is back in its lots');
SELECT results_eq($$SELECT hold_id, available, state FROM wallet_void('a3000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h1))$$,
                  $$SELECT hold_id, 130::bigint, 'voided' FROM h1$$, 'voiding it again answers its state');
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_capture('a3000000-0000-4000-8000-000000000001', %s, 'c-1')$$, (SELECT hold_id FROM h1))),
          'WA010 state: voided', 'and it cannot be captured');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after a void');

-- the free lot expires while a hold reserves it: a void expires that part at once
CREATE TEMP TABLE h2 AS SELECT * FROM wallet_hold('a3000000-0000-4000-8000-000000000001', 1, 40, 'h-2');
UPDATE wallet.lots SET expires_at = now() - interval '1 minute' WHERE account_id = (SELECT account_id FROM acct) AND expires_at IS NOT NULL;
UPDATE wallet.wallets SET next_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT results_eq($$SELECT available, state FROM wallet_void('a3000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h2))$$,
                  $$VALUES (100::bigint, 'voided')$$, 'the void releases the paid 10; the free 30 of the expired lot is gone');
SELECT results_eq($$SELECT kind, amount, balance_after, metadata ->> 'hold_id' = (SELECT hold_id::text FROM h2)
                    FROM wallet_history('a3000000-0000-4000-8000-000000000001', 1, NULL, 1)$$,
                  $$VALUES ('expire', -30::bigint, 100::bigint, true)$$, 'as an expire entry naming the hold');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after credit expired at a void');

-- an expired hold cannot be voided, released or not
CREATE TEMP TABLE h3 AS SELECT * FROM wallet_hold('a3000000-0000-4000-8000-000000000001', 1, 10, 'h-3');
UPDATE wallet.holds SET expires_at = now() WHERE hold_id = (SELECT hold_id FROM h3);
UPDATE wallet.wallets SET next_hold_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_void('a3000000-0000-4000-8000-000000000001', %s)$$, (SELECT hold_id FROM h3))),
          'WA010 state: expired', 'void at exactly expires_at: hold_not_open, state expired');
-- a sweep whose clock was past expires_at released the hold while this void waited for
-- the wallet: by the void's own clock the hold is still open, but it is expired
CREATE TEMP TABLE h5 AS SELECT * FROM wallet_hold('a3000000-0000-4000-8000-000000000001', 1, 10, 'h-5');
UPDATE wallet.holds SET expires_at = now() WHERE hold_id = (SELECT hold_id FROM h5);
UPDATE wallet.wallets SET next_hold_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT count(*) FROM wallet_expire();
UPDATE wallet.holds SET expires_at = now() + interval '1 hour' WHERE hold_id = (SELECT hold_id FROM h5);
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_void('a3000000-0000-4000-8000-000000000001', %s)$$, (SELECT hold_id FROM h5))),
          'WA010 state: expired', 'a hold a sweep has released: hold_not_open, state expired, whatever the void''s clock');
SELECT throws_ok($$SELECT * FROM wallet_void('a3000000-0000-4000-8000-000000000001', 999999999)$$,
                 'WA009', NULL, 'an unknown hold: hold_not_found');
SELECT throws_ok($$SELECT * FROM wallet_void('a3000000-0000-4000-8000-0000000000ff', 1)$$,
                 'WA003', NULL, 'an unknown user: account_not_found');

-- a hold of the whole balance, all of it from a lot that expires meanwhile
SELECT wallet_open_account('a3000000-0000-4000-8000-000000000002', 'Voider of all');
SELECT * FROM wallet_bonus('a3000000-0000-4000-8000-000000000002', 1, 30, 'gift-2', '{}', now() + interval '1 day');
CREATE TEMP TABLE h4 AS SELECT * FROM wallet_hold('a3000000-0000-4000-8000-000000000002', 1, 30, 'h-4');
UPDATE wallet.lots SET expires_at = now() - interval '1 minute'
WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'a3000000-0000-4000-8000-000000000002');
SELECT results_eq($$SELECT available, state FROM wallet_void('a3000000-0000-4000-8000-000000000002', (SELECT hold_id FROM h4))$$,
                  $$VALUES (0::bigint, 'voided')$$, 'a void of all of a wallet''s credit, from an expired lot: nothing is left');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent: held left the wallet before its credit expired');

SELECT * FROM finish();
ROLLBACK;
