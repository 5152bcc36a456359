-- wallet.refuse_over_cap: balance_limit_exceeded.
BEGIN;
SELECT plan(1);
SELECT throws_ok($$SELECT wallet.refuse_over_cap(100, 90, 20)$$, 'WA012',
                 'balance_limit_exceeded: a balance of 110 would pass the cap of 100', 'the stable name and the sums');
SELECT * FROM finish();
ROLLBACK;
