-- wallet_revoke_credential: deletes a login and says whether there was one; the owner's call.
BEGIN;
SELECT plan(4);
SELECT wallet_set_credential('service', 'short-lived', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c3Zj', ARRAY['wallet:read']);
SELECT is(wallet_revoke_credential('service', 'short-lived'), true, 'a login revoked');
SELECT is_empty($$SELECT * FROM wallet_auth_credential('service', 'short-lived')$$, 'and gone');
SELECT is(wallet_revoke_credential('service', 'short-lived'), false, 'none the second time');
SELECT function_privs_are('public', 'wallet_revoke_credential', ARRAY['text', 'text'], 'wallet_service',
                          ARRAY[]::text[], 'the owner''s call only');
SELECT * FROM finish();
ROLLBACK;
