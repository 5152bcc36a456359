-- wallet.transfer_key_used: whether the sender's account has an entry with the key.
BEGIN;
SELECT plan(3);
SELECT wallet_open_account('e2000000-0000-4000-8000-000000000001', 'Sender');
SELECT * FROM wallet_topup('e2000000-0000-4000-8000-000000000001', 1, 10, 'used-key');
SELECT ok(wallet.transfer_key_used('e2000000-0000-4000-8000-000000000001', 'used-key'), 'a key the sender used');
SELECT ok(NOT wallet.transfer_key_used('e2000000-0000-4000-8000-000000000001', 'new-key'), 'a key it has not');
SELECT ok(NOT wallet.transfer_key_used('e2000000-0000-4000-8000-000000000002', 'used-key'),
          'another user''s key space is its own');
SELECT * FROM finish();
ROLLBACK;
