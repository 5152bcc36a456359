-- wallet.inet_or_null: an IPv4 or IPv6 address gives that address; a name or nonsense NULL.
BEGIN;
SELECT plan(5);
SELECT is(wallet.inet_or_null('169.254.169.254'), '169.254.169.254'::inet, 'IPv4');
SELECT is(wallet.inet_or_null('::ffff:127.0.0.1'), '::ffff:127.0.0.1'::inet, 'IPv6');
SELECT is(wallet.inet_or_null('hooks.example'), NULL, 'a name: NULL');
SELECT is(wallet.inet_or_null('cafe'), NULL, 'hex letters that spell no address: NULL, no error');
SELECT is(wallet.inet_or_null(NULL), NULL, 'NULL stays NULL');
SELECT * FROM finish();
ROLLBACK;
