-- wallet_post_batch: many postings in one call, an outcome per item in item order,
-- refused items writing nothing, replays, and the batch's own limits.
BEGIN;
SELECT plan(11);

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
SELECT throws_ok($$SELECT * FROM wallet_post_batch((SELECT jsonb_agg(jsonb_build_object('kind', 'topup')) FROM generate_series(1, 51)))$$,
                 'WA002', NULL, 'more than 50 items: invalid_request');
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
SELECT is_empty('SELECT * FROM wallet_verify()', 'the ledger is consistent');

SELECT * FROM finish();
ROLLBACK;
