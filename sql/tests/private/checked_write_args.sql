-- wallet.checked_write_args: a write's amount, key and metadata, checked one way for
-- every writer; the metadata back, '{}' for none.
BEGIN;
SELECT plan(8);
SELECT is(wallet.checked_write_args(1, 'k-1', NULL), '{}'::jsonb, 'no metadata is {}');
SELECT is(wallet.checked_write_args(9007199254740991, repeat('~', 255), '{"a": 1}'), '{"a": 1}'::jsonb,
          'the largest amount, the longest key, an object');
SELECT throws_ok($$SELECT wallet.checked_write_args(0, 'k', NULL)$$, 'WA001', NULL, 'amount 0: invalid_amount');
SELECT throws_ok($$SELECT wallet.checked_write_args(9007199254740992, 'k', NULL)$$, 'WA001', NULL, 'beyond 2^53-1');
SELECT throws_ok($$SELECT wallet.checked_write_args(1, repeat('k', 256), NULL)$$, 'WA002', NULL, 'a key of 256');
SELECT throws_ok($$SELECT wallet.checked_write_args(1, 'caf' || chr(233), NULL)$$, 'WA002', NULL, 'a key not ASCII');
SELECT throws_ok($$SELECT wallet.checked_write_args(1, 'a b', NULL)$$, 'WA002', NULL, 'a key with a space');
SELECT throws_ok($$SELECT wallet.checked_write_args(1, 'k', '[1]')$$, 'WA002', NULL, 'metadata not an object');
SELECT * FROM finish();
ROLLBACK;
