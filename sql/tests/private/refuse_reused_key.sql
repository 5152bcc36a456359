-- wallet.refuse_reused_key: the one idempotency_key_reused refusal, naming the first
-- request from the ledger or the holds.
BEGIN;
SELECT plan(5);
SELECT wallet_open_account('b6000000-0000-4000-8000-000000000001', 'Reused keys');
CREATE TEMP TABLE acct AS SELECT account_id FROM wallet.accounts WHERE user_id = 'b6000000-0000-4000-8000-000000000001';
CREATE TEMP TABLE first_entry AS
    SELECT entry_id FROM wallet_topup('b6000000-0000-4000-8000-000000000001', 1, 100, 'pay-1');
CREATE TEMP TABLE first_hold AS SELECT hold_id FROM wallet_hold('b6000000-0000-4000-8000-000000000001', 1, 10, 'hold-1');

CREATE FUNCTION pg_temp.refusal(p_key text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_state text; v_message text; v_detail text;
BEGIN
    PERFORM wallet.refuse_reused_key((SELECT account_id FROM acct), p_key);
    RETURN 'no refusal';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_state || ' | ' || v_message || ' | ' || v_detail;
END
$$;

SELECT is(pg_temp.refusal('pay-1'),
          format('WA005 | idempotency_key_reused: key pay-1 was used for a different request | '
                 'first request: topup of 100 on asset 1 (entry %s)', (SELECT entry_id FROM first_entry)),
          'a key the ledger holds: the first request is its entry');
SELECT is(pg_temp.refusal('hold-1'),
          format('WA005 | idempotency_key_reused: key hold-1 was used for a different request | '
                 'first request: hold of 10 on asset 1 (hold %s)', (SELECT hold_id FROM first_hold)),
          'a key one of the holds has: the first request is the hold');
SELECT is(pg_temp.refusal('never-used'),
          'WA005 | idempotency_key_reused: key never-used was used for a different request | first request: not found',
          'a key found nowhere is still refused (its caller saw it taken)');
-- the writers refuse through it: a spend reusing the top-up's key, a top-up reusing the hold's
SELECT throws_ok($$SELECT * FROM wallet_spend('b6000000-0000-4000-8000-000000000001', 1, 5, 'pay-1')$$, 'WA005',
                 'idempotency_key_reused: key pay-1 was used for a different request', 'a spend with a top-up''s key');
SELECT throws_ok($$SELECT * FROM wallet_topup('b6000000-0000-4000-8000-000000000001', 1, 5, 'hold-1')$$, 'WA005',
                 'idempotency_key_reused: key hold-1 was used for a different request', 'a top-up with a hold''s key');
SELECT * FROM finish();
ROLLBACK;
