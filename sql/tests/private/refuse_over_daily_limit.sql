-- wallet.refuse_over_daily_limit: spend_limit_exceeded with what remains in DETAIL.
BEGIN;
SELECT plan(1);
SELECT throws_ok($$SELECT wallet.refuse_over_daily_limit(100, 70, 40)$$, 'WA013',
                 'spend_limit_exceeded: 110 today would pass the daily limit of 100', 'the stable name and the sums');
SELECT * FROM finish();
ROLLBACK;
