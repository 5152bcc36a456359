-- wallet.uuid_or_null: any spelling PostgreSQL reads as a uuid gives that uuid; others NULL.
BEGIN;
SELECT plan(7);
SELECT is(wallet.uuid_or_null('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32'), '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32'::uuid, 'canonical');
SELECT is(wallet.uuid_or_null('{0F6D220D61FA4BE7B0A2E05DBD9AEE32}'), '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32'::uuid,
          'braces, upper case, no hyphens: the same value');
SELECT is(wallet.uuid_or_null('0F6D220D-61FA-4BE7-B0A2-E05DBD9AEE32'), '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32'::uuid,
          'upper case, hyphens: the same value');
SELECT is(wallet.uuid_or_null('not-a-uuid'), NULL, 'not a uuid: NULL, no error');
SELECT is(wallet.uuid_or_null(NULL), NULL, 'NULL stays NULL');
SELECT is(wallet.uuid_or_null('0f6d220d-61fa-4be7-b0a2-e05dbd9aeegg'), NULL, 'the canonical shape with a letter past f: NULL');
SELECT is(wallet.uuid_or_null('0f6d220d61fa-4be7-b0a2-e05dbd9aee32-'), NULL, 'hyphens out of place: NULL');
SELECT * FROM finish();
ROLLBACK;
