-- wallet.post_batch, the batch engine behind wallet_post_batch and wallet_import (their
-- own files test what it posts): each caller's kinds only, and no one else may call it.
BEGIN;
SELECT plan(4);
SELECT wallet_open_account('1b000000-0000-4000-8000-000000000001', 'Engine');
SELECT is((SELECT error_name FROM wallet.post_batch('[{"kind": "topup", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 1, "idempotency_key": "t"}]', true)),
          'invalid_request', 'an import batch takes imports only');
SELECT is((SELECT error_name FROM wallet.post_batch('[{"kind": "import", "class": "paid", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 1, "idempotency_key": "i"}]', false)),
          'invalid_request', 'a posting batch takes no import');
SELECT results_eq($$SELECT balance, paid_amount FROM wallet.post_batch('[{"kind": "import", "class": "paid", "user_id": "1b000000-0000-4000-8000-000000000001", "asset_type_id": 1, "amount": 3, "idempotency_key": "import:x"}]', true)$$,
                  $$VALUES (3::bigint, 3::bigint)$$, 'an import of the paid class');
SELECT function_privs_are('wallet', 'post_batch', ARRAY['jsonb', 'boolean'], 'wallet_service', ARRAY[]::text[],
                          'wallet_service cannot call the engine itself');
SELECT * FROM finish();
ROLLBACK;
