-- wallet.spent_today: a wallet's day counter read for a moment's UTC day.
BEGIN;
SELECT plan(3);
SELECT is(wallet.spent_today('2026-12-06', 40, '2026-12-06 23:30:00+00'), 40::bigint, 'the same UTC day: the count');
SELECT is(wallet.spent_today('2026-12-06', 40, '2026-12-07 00:00:01+00'), 0::bigint, 'a later day: nothing yet');
SELECT is(wallet.spent_today(NULL, 0, now()), 0::bigint, 'a wallet that never counted');
SELECT * FROM finish();
ROLLBACK;
