-- wallet_auth_credential: the dev seed's credentials, no row for an unknown subject.
BEGIN;
SELECT plan(4);

\i sql/seed/dev.sql
\i sql/seed/dev_credentials.sql
SELECT results_eq($$SELECT secret_hash LIKE '$argon2id$%', scopes FROM wallet_auth_credential('service', 'payments')$$,
                  $$VALUES (true, ARRAY['wallet:topup', 'wallet:refund', 'wallet:read'])$$, 'a service client has an argon2 hash and its scopes');
SELECT results_eq($$SELECT count(*)::int FROM wallet_auth_credential('user', '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32')$$,
                  ARRAY[1], 'a user has a credential');
SELECT is_empty($$SELECT * FROM wallet_auth_credential('user', 'nobody')$$, 'unknown subject: no row');
SELECT is_empty($$SELECT * FROM wallet_auth_credential('service', '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32')$$,
                'a user id is not a service client');

SELECT * FROM finish();
ROLLBACK;
