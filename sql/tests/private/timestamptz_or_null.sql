-- wallet.timestamptz_or_null: what a timestamptz cast reads, or NULL instead of an error.
BEGIN;
SELECT plan(5);
SELECT is(wallet.timestamptz_or_null('2030-01-02T03:04:05Z'), '2030-01-02 03:04:05+00'::timestamptz, 'RFC 3339');
SELECT is(wallet.timestamptz_or_null('2030-01-02 04:04:05+01:00'), '2030-01-02 03:04:05+00'::timestamptz, 'an offset');
SELECT is(wallet.timestamptz_or_null('2030-13-02T03:04:05Z'), NULL, 'month 13: NULL, no error');
SELECT is(wallet.timestamptz_or_null('2030-01-02T03:04:05+99:00'), NULL, 'an offset out of range: NULL, no error');
SELECT is(wallet.timestamptz_or_null('soon'), NULL, 'not a moment: NULL, no error');
SELECT * FROM finish();
ROLLBACK;
