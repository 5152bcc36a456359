-- wallet.utc_day: the UTC day, whatever the session's time zone.
BEGIN;
SELECT plan(2);
SET LOCAL TimeZone = 'Pacific/Auckland';
SELECT is(wallet.utc_day('2026-12-06 23:30:00+00'), date '2026-12-06', 'late on a UTC day is that day');
SELECT is(wallet.utc_day('2026-12-07 08:00:00+13'), date '2026-12-06', 'a local morning ahead of UTC is the UTC day before');
SELECT * FROM finish();
ROLLBACK;
