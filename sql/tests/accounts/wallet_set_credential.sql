-- wallet_set_credential: a user's login on an account that exists and is not erased, a
-- service's and a member of staff's with their scopes, set again with a new secret (older tokens stop working);
-- the owner's call only.
BEGIN;
SELECT plan(9);
SELECT wallet_open_account('c5000000-0000-4000-8000-000000000001', 'Has A Login');
SELECT wallet_set_credential('user', 'c5000000-0000-4000-8000-000000000001', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$b25l');
SELECT results_eq($$SELECT secret_hash, scopes FROM wallet_auth_credential('user', 'c5000000-0000-4000-8000-000000000001')$$,
                  $$VALUES ('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$b25l', '{}'::text[])$$, 'a user''s login, without scopes');
UPDATE wallet.credentials SET valid_since = now() - interval '1 hour' WHERE subject = 'c5000000-0000-4000-8000-000000000001';
SELECT wallet_set_credential('user', 'c5000000-0000-4000-8000-000000000001', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dHdv',
                             ARRAY['accounts:admin']);
SELECT results_eq($$SELECT secret_hash, scopes, valid_since = now() FROM wallet.credentials
                    WHERE subject = 'c5000000-0000-4000-8000-000000000001'$$,
                  $$VALUES ('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dHdv', '{}'::text[], true)$$,
                  'set again: the new secret, from now on (a user gets no scopes)');
SELECT wallet_set_credential('service', 'reporting', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c3Zj', ARRAY['reports:read']);
SELECT is((SELECT scopes FROM wallet_auth_credential('service', 'reporting')), ARRAY['reports:read'],
          'a service''s login with its scopes');
SELECT wallet_set_credential('staff', 'Sam Support', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c3Rm', ARRAY['accounts:read']);
SELECT is((SELECT scopes FROM wallet_auth_credential('staff', 'Sam Support')), ARRAY['accounts:read'],
          'a member of staff''s login (the support console), by name, with its scopes');
SELECT throws_ok($$SELECT wallet_set_credential('user', 'c5000000-0000-4000-8000-0000000000ff', '$argon2id$x')$$, 'WA003',
                 NULL, 'a user without an account: account_not_found');
SELECT throws_ok($$SELECT wallet_set_credential('user', 'C5000000-0000-4000-8000-000000000001', '$argon2id$x')$$, 'WA002',
                 NULL, 'a user''s subject is the uuid as stored (lower case)');
SELECT throws_ok($$SELECT wallet_set_credential('robot', 'x', '$argon2id$x')$$, 'WA002', NULL, 'an unknown kind');
SELECT wallet_erase_user('c5000000-0000-4000-8000-000000000001');
SELECT throws_ok($$SELECT wallet_set_credential('user', 'c5000000-0000-4000-8000-000000000001', '$argon2id$x')$$, 'WA011',
                 NULL, 'an erased account: account_not_active');
SELECT function_privs_are('public', 'wallet_set_credential', ARRAY['text', 'text', 'text', 'text[]'], 'wallet_service',
                          ARRAY[]::text[], 'the owner''s call only');
SELECT * FROM finish();
ROLLBACK;
