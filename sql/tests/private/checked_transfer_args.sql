-- wallet.checked_transfer_args: a transfer's arguments refused in the contract's order.
BEGIN;
SELECT plan(7);
SELECT lives_ok($$SELECT wallet.checked_transfer_args('e1000000-0000-4000-8000-000000000001',
                                                      'e1000000-0000-4000-8000-000000000002', 1, 10, 0)$$,
                'two users, an asset, an amount and a fee of 0 pass');
SELECT throws_ok($$SELECT wallet.checked_transfer_args(NULL, 'e1000000-0000-4000-8000-000000000002', 1, 10, 0)$$,
                 'WA002', NULL, 'a missing user is invalid_request');
SELECT throws_ok($$SELECT wallet.checked_transfer_args('e1000000-0000-4000-8000-000000000001',
                                                       'e1000000-0000-4000-8000-000000000001', 1, 0, -1)$$,
                 'WA002', 'invalid_request: a transfer needs two different users',
                 'the same user on both sides comes before any amount');
SELECT throws_ok($$SELECT wallet.checked_transfer_args('e1000000-0000-4000-8000-000000000001',
                                                       'e1000000-0000-4000-8000-000000000002', 1, 10, -1)$$,
                 'WA001', 'invalid_amount: fee must be 0 or more', 'a negative fee');
SELECT throws_ok($$SELECT wallet.checked_transfer_args('e1000000-0000-4000-8000-000000000001',
                                                       'e1000000-0000-4000-8000-000000000002', 1, 0, 0)$$,
                 'WA001', NULL, 'an amount of 0');
SELECT throws_ok($$SELECT wallet.checked_transfer_args('e1000000-0000-4000-8000-000000000001',
                                                       'e1000000-0000-4000-8000-000000000002', 1,
                                                       9007199254740991, 1)$$,
                 'WA001', 'invalid_amount: amount plus fee must be at most 9007199254740991', 'amount plus fee past 2^53-1');
SELECT throws_ok($$SELECT wallet.checked_transfer_args('e1000000-0000-4000-8000-000000000001',
                                                       'e1000000-0000-4000-8000-000000000002', 1, NULL, 0)$$,
                 'WA001', NULL, 'no amount');
SELECT * FROM finish();
ROLLBACK;
