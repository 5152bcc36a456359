-- wallet_capture: full and partial capture (a spend entry with hold_id and the split of
-- the lots it consumed, the rest released); capture twice (same key: replay; other key:
-- hold_not_open); capture after void; capture at exactly expires_at; beyond the hold;
-- reserved credit of a lot that expires while the hold is open; unknown holds; keys
-- shared with holds and other entries; wallet_verify() clean after each step. Time passing is played by
-- moving expires_at into the past as the owner (now() is fixed inside this test).
BEGIN;
SELECT plan(27);

CREATE FUNCTION pg_temp.detail_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v_detail text;
BEGIN
    EXECUTE p_sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || v_detail;
END $$;

SELECT wallet_open_account('a2000000-0000-4000-8000-000000000001', 'Capturer');
SELECT wallet_open_account('a2000000-0000-4000-8000-000000000002', 'Other');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'a2000000-0000-4000-8000-000000000001';
SELECT * FROM wallet_topup('a2000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
SELECT * FROM wallet_bonus('a2000000-0000-4000-8000-000000000001', 1, 30, 'gift-1');

-- full capture of a hold spanning the free lot and the paid one
CREATE TEMP TABLE h1 AS SELECT * FROM wallet_hold('a2000000-0000-4000-8000-000000000001', 1, 50, 'h-1');
CREATE TEMP TABLE c1 AS SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h1), 'c-1');
SELECT results_eq($$SELECT balance, replayed, paid_amount, free_amount FROM c1$$,
                  $$VALUES (80::bigint, false, 20::bigint, 30::bigint)$$, 'a full capture spends the hold: its split, free first');
SELECT results_eq($$SELECT kind, amount, hold_id = (SELECT hold_id FROM h1) FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM c1)$$,
                  $$VALUES ('spend', 50::bigint, true)$$, 'as a spend entry with hold_id set');
SELECT results_eq($$SELECT state, captured_amount, capture_entry_id = (SELECT entry_id FROM c1) FROM wallet.holds WHERE hold_id = (SELECT hold_id FROM h1)$$,
                  $$VALUES ('captured', 50::bigint, true)$$, 'the hold is captured');
SELECT results_eq($$SELECT balance, held, available FROM wallet_balance('a2000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (80::bigint, 0::bigint, 80::bigint)$$, 'and holds nothing');
SELECT results_eq($$SELECT entry_id, balance, replayed, paid_amount FROM wallet_capture('a2000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h1), 'c-1')$$,
                  $$SELECT entry_id, 80::bigint, true, 20::bigint FROM c1$$, 'the same key again is a replay');
SELECT results_eq($$SELECT replayed FROM wallet_capture('a2000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h1), 'c-1', 50)$$,
                  $$VALUES (true)$$, 'naming the amount it captured, too');
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-2')$$, (SELECT hold_id FROM h1))),
          'WA010 state: captured', 'a second capture with another key: hold_not_open, state captured');
SELECT throws_ok(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-1', 10)$$, (SELECT hold_id FROM h1)),
                 'WA005', NULL, 'the same key for another amount: idempotency_key_reused');
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_void('a2000000-0000-4000-8000-000000000001', %s)$$, (SELECT hold_id FROM h1))),
          'WA010 state: captured', 'void after capture: hold_not_open');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after a full capture');

-- partial capture: 35 of a hold of 50 (30 paid, then... free first: the bonus)
SELECT * FROM wallet_bonus('a2000000-0000-4000-8000-000000000001', 1, 20, 'gift-2');
CREATE TEMP TABLE h2 AS SELECT * FROM wallet_hold('a2000000-0000-4000-8000-000000000001', 1, 50, 'h-2');
SELECT throws_ok(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-3', 51)$$, (SELECT hold_id FROM h2)),
                 'WA008', NULL, 'a capture beyond the hold: exceeds_original');
SELECT results_eq(format($$SELECT balance, paid_amount, free_amount FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-3', 35)$$, (SELECT hold_id FROM h2)),
                  $$VALUES (65::bigint, 15::bigint, 20::bigint)$$, 'a partial capture consumes in the order reserved: the free 20, then 15 paid');
SELECT results_eq($$SELECT balance, held, available FROM wallet_balance('a2000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (65::bigint, 0::bigint, 65::bigint)$$, 'the unused 15 is available again');
SELECT results_eq($$SELECT state, captured_amount FROM wallet.holds WHERE hold_id = (SELECT hold_id FROM h2)$$,
                  $$VALUES ('captured', 35::bigint)$$, 'captured_amount is what was captured');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after a partial capture');

-- capture after void; capture at exactly expires_at
CREATE TEMP TABLE h3 AS SELECT * FROM wallet_hold('a2000000-0000-4000-8000-000000000001', 1, 10, 'h-3');
SELECT * FROM wallet_void('a2000000-0000-4000-8000-000000000001', (SELECT hold_id FROM h3));
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-4')$$, (SELECT hold_id FROM h3))),
          'WA010 state: voided', 'capture after void: hold_not_open, state voided');
CREATE TEMP TABLE h4 AS SELECT * FROM wallet_hold('a2000000-0000-4000-8000-000000000001', 1, 10, 'h-4');
UPDATE wallet.holds SET expires_at = now() WHERE hold_id = (SELECT hold_id FROM h4);
UPDATE wallet.wallets SET next_hold_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT is(pg_temp.detail_of(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-4')$$, (SELECT hold_id FROM h4))),
          'WA010 state: expired', 'capture at exactly expires_at: hold_not_open, state expired, before any sweep');
SELECT results_eq($$SELECT held, available FROM wallet_balance('a2000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (0::bigint, 65::bigint)$$, 'an expired hold holds nothing, before any sweep');

-- reserved credit of a lot that expires while the hold is open
SELECT * FROM wallet_bonus('a2000000-0000-4000-8000-000000000001', 1, 40, 'gift-3', '{}', now() + interval '1 day');
CREATE TEMP TABLE h5 AS SELECT * FROM wallet_hold('a2000000-0000-4000-8000-000000000001', 1, 60, 'h-5');
UPDATE wallet.lots SET expires_at = now() - interval '1 minute'
WHERE (account_id, entry_id) = (SELECT account_id, entry_id FROM wallet.ledger_entries WHERE idempotency_key = 'gift-3');
UPDATE wallet.wallets SET next_expiry = now() WHERE account_id = (SELECT account_id FROM acct) AND asset_type_id = 1;
SELECT results_eq($$SELECT balance, held, available FROM wallet_balance('a2000000-0000-4000-8000-000000000001') WHERE asset_type_id = 1$$,
                  $$VALUES (105::bigint, 60::bigint, 45::bigint)$$, 'reserved credit of an expired lot still counts while the hold is open');
SELECT results_eq(format($$SELECT balance, paid_amount, free_amount FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-5', 30)$$, (SELECT hold_id FROM h5)),
                  $$VALUES (65::bigint, 0::bigint, 30::bigint)$$,
                  'a capture inside the hold''s life takes it: 30 of the expired lot''s reservation; the other 10 expire with the hold''s end');
SELECT results_eq($$SELECT kind, amount, balance_after FROM wallet_history('a2000000-0000-4000-8000-000000000001', 1, NULL, 2)$$,
                  $$VALUES ('spend', -30::bigint, 65::bigint), ('expire', -10::bigint, 95::bigint)$$,
                  'released credit of the expired lot expired at once, before the capture');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after reserved credit expired');

-- whose hold, and keys
SELECT throws_ok($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', 999999999, 'c-6')$$,
                 'WA009', NULL, 'an unknown hold: hold_not_found');
CREATE TEMP TABLE h6 AS SELECT * FROM wallet_hold('a2000000-0000-4000-8000-000000000001', 1, 5, 'h-6');
SELECT throws_ok(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000002', %s, 'c-6')$$, (SELECT hold_id FROM h6)),
                 'WA009', NULL, 'another user''s hold: hold_not_found');
SELECT throws_ok(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'h-1')$$, (SELECT hold_id FROM h6)),
                 'WA005', NULL, 'a capture keyed like a hold: idempotency_key_reused');
SELECT throws_ok(format($$SELECT * FROM wallet_capture('a2000000-0000-4000-8000-000000000001', %s, 'c-1')$$, (SELECT hold_id FROM h6)),
                 'WA005', NULL, 'an open hold captured with another capture''s key: idempotency_key_reused');
SELECT results_eq(format($$SELECT state FROM wallet.holds WHERE hold_id = %s$$, (SELECT hold_id FROM h6)),
                  $$VALUES ('open')$$, 'and the hold stays open');

SELECT * FROM finish();
ROLLBACK;
