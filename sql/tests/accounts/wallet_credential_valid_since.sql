-- wallet_credential_valid_since: when the login's secret was set; NULL once revoked;
-- for wallet_auth (the API), not wallet_service.
BEGIN;
SELECT plan(4);

INSERT INTO wallet.credentials (kind, subject, secret_hash, scopes, valid_since)
VALUES ('service', 'revocable', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', '{wallet:read}', '2026-11-30 10:00+00');
SELECT is(wallet_credential_valid_since('service', 'revocable'), '2026-11-30 10:00+00'::timestamptz, 'when it was set');
SELECT is(wallet_credential_valid_since('user', 'revocable'), NULL, 'per kind');
DELETE FROM wallet.credentials WHERE subject = 'revocable';
SELECT is(wallet_credential_valid_since('service', 'revocable'), NULL, 'revoked: NULL');
SELECT function_privs_are('public', 'wallet_credential_valid_since', ARRAY['text', 'text'], 'wallet_service',
                          ARRAY[]::text[], 'not for trusted services');

SELECT * FROM finish();
ROLLBACK;
