-- wallet_post_batch: many postings in one call, an outcome per item in item order,
-- refused items writing nothing, replays, and the batch's own limits. Most accounts are
-- posted set-at-a-time, unusual ones item by item (tests/sql/test_batch_equivalence.py
-- compares both with single calls over random batches).
BEGIN;
SELECT plan(17);

SELECT wallet_open_account('ba000000-0000-4000-8000-000000000001', 'Batch One');
SELECT wallet_open_account('ba000000-0000-4000-8000-000000000002', 'Batch Two');

CREATE TEMP TABLE first_batch AS SELECT * FROM wallet_post_batch($$[
    {"kind": "topup", "user_id": "ba000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 100, "idempotency_key": "b1"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 30, "idempotency_key": "b2"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 500, "idempotency_key": "b3"},
    {"kind": "bonus", "user_id": "ba000000-0000-4000-8000-000000000001", "asset_type_id": 2, "amount": 5, "idempotency_key": "b4", "metadata": {"why": "batch"}},
    {"kind": "topup", "user_id": "ba000000-0000-4000-8000-00000000dead", "asset_type_id": 1, "amount": 5, "idempotency_key": "b5"},
    {"kind": "steal", "user_id": "ba000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 5, "idempotency_key": "b6"},
    {"kind": "topup", "user_id": "ba000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 2.5, "idempotency_key": "b7"},
    {"kind": "topup", "user_id": "not-a-uuid", "asset_type_id": 1, "amount": 5, "idempotency_key": "b8"}
]$$);

SELECT results_eq($$SELECT item, balance, replayed, error_name FROM first_batch$$,
                  $$VALUES (1, 100::bigint, false, NULL::text), (2, 70::bigint, false, NULL), (3, NULL, NULL, 'insufficient_funds'),
                           (4, 5::bigint, false, NULL), (5, NULL, NULL, 'account_not_found'), (6, NULL, NULL, 'invalid_request'),
                           (7, NULL, NULL, 'invalid_amount'), (8, NULL, NULL, 'invalid_request')$$,
                  'one outcome per item, in item order; items of one wallet applied in their order');
SELECT results_eq($$SELECT error_sqlstate FROM first_batch WHERE item IN (3, 5) ORDER BY item$$,
                  ARRAY['WA006', 'WA003'], 'refusals carry the contract''s SQLSTATE');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key IN ('b3', 'b5', 'b6', 'b7', 'b8')), 0,
          'refused items wrote nothing');
SELECT results_eq($$SELECT balance FROM wallet_balance('ba000000-0000-4000-8000-000000000002') WHERE asset_type_id = 1$$,
                  ARRAY[70::bigint], 'the applied items moved the balance');
SELECT results_eq($$SELECT item, entry_id, balance, replayed FROM wallet_post_batch('[
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 30, "idempotency_key": "b2"}]')$$,
                  $$SELECT 1, entry_id, 70::bigint, true FROM first_batch WHERE item = 2$$, 'a batch item replays like a single call');
SELECT results_eq($$SELECT error_name FROM wallet_post_batch('[
    {"kind": "topup", "user_id": "ba000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 31, "idempotency_key": "b2"}]')$$,
                  ARRAY['idempotency_key_reused'], 'and refuses a reused key');
SELECT throws_ok($$SELECT * FROM wallet_post_batch('[]')$$, 'WA002', NULL, 'an empty batch: invalid_request');
SELECT throws_ok($$SELECT * FROM wallet_post_batch((SELECT jsonb_agg(jsonb_build_object('kind', 'topup')) FROM generate_series(1, 1001)))$$,
                 'WA002', NULL, 'more than 1000 items: invalid_request');
SELECT results_eq($$SELECT item, balance, error_name FROM wallet_post_batch('[
    {"kind": "spend", "user_id": "{BA000000-0000-4000-8000-000000000002}", "asset_type_id": 1, "amount": 60, "idempotency_key": "b9"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 1, "idempotency_key": "b10"},
    {"kind": "spend", "user_id": "ba000000000040008000000000000002", "asset_type_id": "01", "amount": 20, "idempotency_key": "b11"}]')$$,
                  $$VALUES (1, 10::bigint, NULL::text), (2, NULL, 'insufficient_funds'), (3, NULL, 'insufficient_funds')$$,
                  'a wallet spelled three ways is one wallet: its items apply in their order');
SELECT results_eq($$SELECT item, paid_amount, free_amount, error_name FROM wallet_post_batch(jsonb_build_array(
    jsonb_build_object('kind', 'bonus', 'user_id', 'ba000000-0000-4000-8000-000000000001', 'asset_type_id', 1,
                       'amount', 8, 'idempotency_key', 'b12', 'expires_at', now() + interval '1 day'),
    jsonb_build_object('kind', 'spend', 'user_id', 'ba000000-0000-4000-8000-000000000001', 'asset_type_id', 1,
                       'amount', 3, 'idempotency_key', 'b13'),
    jsonb_build_object('kind', 'topup', 'user_id', 'ba000000-0000-4000-8000-000000000001', 'asset_type_id', 1,
                       'amount', 5, 'idempotency_key', 'b14', 'expires_at', 'yesterday'),
    jsonb_build_object('kind', 'topup', 'user_id', 'ba000000-0000-4000-8000-000000000001', 'asset_type_id', 1,
                       'amount', 5, 'idempotency_key', 'b15', 'expires_at', 'not a time')))$$,
                  $$VALUES (1, 0::bigint, 8::bigint, NULL::text), (2, 0::bigint, 3::bigint, NULL),
                           (3, NULL, NULL, 'invalid_request'), (4, NULL, NULL, 'invalid_request')$$,
                  'credits take expires_at, every item answers its split, a bad expiry refuses only its item');

-- 1,000 postings over 500 wallets: a top-up and then a spend of the new credit on each
SELECT count(wallet_open_account(('ba100000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'Batch ' || i))
FROM generate_series(1, 500) i;
CREATE TEMP TABLE big_batch AS SELECT * FROM wallet_post_batch((
    SELECT jsonb_agg(jsonb_build_object('kind', k.kind, 'user_id', 'ba100000-0000-4000-8000-' || lpad(i::text, 12, '0'),
                                        'asset_type_id', 1, 'amount', k.amount, 'idempotency_key', k.kind || i)
                     ORDER BY i, k.kind DESC)
    FROM generate_series(1, 500) i, (VALUES ('topup', 10), ('spend', 4)) k(kind, amount)));
SELECT results_eq($$SELECT count(*)::int, count(error_name)::int, sum(balance)::bigint FROM big_batch$$,
                  $$VALUES (1000, 0, 500 * 10 + 500 * 6::bigint)$$,
                  '1,000 items in one call: each wallet''s top-up, then its spend');
SELECT wallet.place_events(); UPDATE wallet.feed_placer SET before_position = last_position;  -- placed, as by the worker's own transaction
SELECT results_eq($$SELECT count(*)::int, sum(v.amount)::bigint FROM wallet.feed_events v JOIN big_batch b USING (entry_id)$$,
                  $$VALUES (1000, 500 * 10 - 500 * 4::bigint)$$, 'an event per posting, as single calls write them');

-- a credit's lot is spendable by the spends after it in the same call, in spend order:
-- free credit expiring soonest goes first
SELECT wallet_open_account('ba000000-0000-4000-8000-000000000003', 'Batch Three');
SELECT * FROM wallet_bonus('ba000000-0000-4000-8000-000000000003', 1, 10, 'b3-old');
CREATE TEMP TABLE lot_batch AS SELECT * FROM wallet_post_batch(jsonb_build_array(
    jsonb_build_object('kind', 'bonus', 'user_id', 'ba000000-0000-4000-8000-000000000003', 'asset_type_id', 1,
                       'amount', 5, 'idempotency_key', 'b3-soon', 'expires_at', now() + interval '1 hour'),
    jsonb_build_object('kind', 'spend', 'user_id', 'ba000000-0000-4000-8000-000000000003', 'asset_type_id', 1,
                       'amount', 7, 'idempotency_key', 'b3-spend')));
SELECT results_eq($$SELECT l.entry_id, t.amount FROM wallet.ledger_entries e,
                           unnest(e.lot_ids, e.lot_amounts) t(lot_id, amount)
                    JOIN wallet.lots l ON l.lot_id = t.lot_id
                    WHERE e.idempotency_key = 'b3-spend' ORDER BY t.lot_id DESC$$,
                  $$SELECT e.entry_id, x.amount FROM (VALUES ('b3-soon', 5::bigint), ('b3-old', 2)) x(key, amount)
                    JOIN wallet.ledger_entries e ON e.idempotency_key = x.key
                    WHERE e.account_id = wallet.user_account_id('ba000000-0000-4000-8000-000000000003')
                    ORDER BY e.entry_id DESC$$,
                  'the spend took the batch''s new expiring lot first, then the older one');

-- holds share the key space: an item keyed like a hold is refused, the others post
SELECT * FROM wallet_hold('ba000000-0000-4000-8000-000000000003', 1, 2, 'b3-hold');
SELECT results_eq($$SELECT item, balance, error_name FROM wallet_post_batch('[
    {"kind": "bonus", "user_id": "ba000000-0000-4000-8000-000000000003", "asset_type_id": 1, "amount": 1, "idempotency_key": "b3-hold"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000003", "asset_type_id": 1, "amount": 7, "idempotency_key": "b3-more"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000003", "asset_type_id": 1, "amount": 1, "idempotency_key": "b3-last"}]')$$,
                  $$VALUES (1, NULL::bigint, 'idempotency_key_reused'), (2, NULL, 'insufficient_funds'), (3, 7::bigint, NULL)$$,
                  'a hold''s key is refused; what the hold reserves is not available');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'b3-hold'), 0, 'the hold''s key wrote no entry');

-- the day's spending is counted on each wallet, a limit in force or not (a wallet's last
-- posting carries it: two wallets, items interleaved)
SELECT wallet_open_account('ba000000-0000-4000-8000-000000000004', 'Batch Four');
SELECT wallet_open_account('ba000000-0000-4000-8000-000000000005', 'Batch Five');
SELECT wallet_topup('ba000000-0000-4000-8000-000000000005', 1, 20, 'c0');
SELECT wallet_post_batch('[
    {"kind": "topup", "user_id": "ba000000-0000-4000-8000-000000000004", "asset_type_id": 1, "amount": 10, "idempotency_key": "c1"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000005", "asset_type_id": 1, "amount": 5, "idempotency_key": "c2"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000004", "asset_type_id": 1, "amount": 4, "idempotency_key": "c3"},
    {"kind": "spend", "user_id": "ba000000-0000-4000-8000-000000000005", "asset_type_id": 1, "amount": 6, "idempotency_key": "c4"}]');
SELECT results_eq($$SELECT a.user_id, (l ->> 'spent_today')::bigint
                    FROM wallet.accounts a, wallet_account(a.user_id) w, jsonb_array_elements(w.limits) l
                    WHERE a.user_id IN ('ba000000-0000-4000-8000-000000000004', 'ba000000-0000-4000-8000-000000000005')
                      AND (l ->> 'asset_type_id')::int = 1 ORDER BY a.user_id$$,
                  $$VALUES ('ba000000-0000-4000-8000-000000000004'::uuid, 4::bigint),
                           ('ba000000-0000-4000-8000-000000000005', 11)$$,
                  'each wallet''s spends today are counted, with no limit in force (5 + 6)');

SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger is consistent');

SELECT * FROM finish();
ROLLBACK;
