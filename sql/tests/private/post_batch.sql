-- wallet.post_batch, the batch engine behind wallet_post_batch and wallet_import (their
-- own files test what it posts): each caller's kinds only, and no one else may call it;
-- it reads at most a wallet's first 64 lots, and spends that need more are posted item
-- by item, with the same answers.
BEGIN;
SELECT plan(8);
SELECT wallet_open_account('1b000000-0000-4000-8000-000000000001', 'Engine');
SELECT is((SELECT error_name FROM wallet.post_batch('[{"kind": "topup", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 1, "idempotency_key": "t"}]', true)),
          'invalid_request', 'an import batch takes imports only');
SELECT is((SELECT error_name FROM wallet.post_batch('[{"kind": "import", "class": "paid", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 1, "idempotency_key": "i"}]', false)),
          'invalid_request', 'a posting batch takes no import');
SELECT results_eq($$SELECT balance, paid_amount FROM wallet.post_batch('[{"kind": "import", "class": "paid", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 3, "idempotency_key": "import:x"}]', true)$$,
                  $$VALUES (3::bigint, 3::bigint)$$, 'an import of the paid class');
SELECT function_privs_are('wallet', 'post_batch', ARRAY['jsonb', 'boolean'], 'wallet_service', ARRAY[]::text[],
                          'wallet_service cannot call the engine itself');

-- a wallet of 70 paid lots of 10 and one free lot of 3 (GOLD spends free credit first)
SELECT wallet_open_account('1b000000-0000-4000-8000-000000000002', 'Many lots');
SELECT count(*) FROM wallet.post_batch(
    (SELECT jsonb_agg(jsonb_build_object('kind', 'topup', 'user_id', '1b000000-0000-4000-8000-000000000002',
                                         'asset_type_id', 1, 'amount', 10, 'idempotency_key', 'lot-' || g))
     FROM generate_series(1, 70) g), false);
SELECT * FROM wallet_bonus('1b000000-0000-4000-8000-000000000002', 1, 3, 'free-lot', '{}', NULL);
CREATE TEMP TABLE few AS
SELECT * FROM wallet.post_batch('[{"kind": "spend", "user_id": "1b000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 15, "idempotency_key": "few"}]', false);
SELECT results_eq($$SELECT balance, free_amount, paid_amount FROM few$$, $$VALUES (688::bigint, 3::bigint, 12::bigint)$$,
                  'a spend of three lots from a wallet of 71: the free lot first, then the oldest paid ones');
SELECT results_eq($$SELECT lot_amounts FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM few)$$,
                  $$VALUES ('{3,10,2}'::bigint[])$$, 'it takes from them in spend order');
-- spends that need more than the 64 lots read: the whole batch goes item by item
CREATE TEMP TABLE many AS
SELECT * FROM wallet.post_batch('[{"kind": "spend", "user_id": "1b000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 8, "idempotency_key": "many-1"},
                                  {"kind": "spend", "user_id": "1b000000-0000-4000-8000-000000000002", "asset_type_id": 1, "amount": 675, "idempotency_key": "many-2"},
                                  {"kind": "topup", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 4, "idempotency_key": "other"}]', false);
SELECT results_eq($$SELECT item, balance, paid_amount, error_name FROM many ORDER BY item$$,
                  $$VALUES (1, 680::bigint, 8::bigint, NULL::text), (2, 5::bigint, 675::bigint, NULL), (3, 7::bigint, 4::bigint, NULL)$$,
                  'spends of 68 lots in one batch are all posted, and the other items with them');
SELECT is((SELECT cardinality(lot_ids) FROM wallet.ledger_entries WHERE entry_id = (SELECT entry_id FROM many WHERE item = 2)),
          68, 'the second spend took from 68 lots');
SELECT * FROM finish();
ROLLBACK;
