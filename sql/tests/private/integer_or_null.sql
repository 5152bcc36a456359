-- wallet.integer_or_null: the integer a text spells, else NULL (never an error).
BEGIN;
SELECT plan(6);
SELECT is(wallet.integer_or_null('01'), 1, '01 is 1');
SELECT is(wallet.integer_or_null('10'), 10, '10 sorts after 2 by value');
SELECT is(wallet.integer_or_null('1.5'), NULL, 'not an integer: NULL');
SELECT is(wallet.integer_or_null('99999999999'), NULL, 'out of range: NULL');
SELECT is(wallet.integer_or_null(' 7'), 7, 'a leading space, as the cast reads it');
SELECT is(wallet.integer_or_null(''), NULL, 'empty: NULL');
SELECT * FROM finish();
ROLLBACK;
