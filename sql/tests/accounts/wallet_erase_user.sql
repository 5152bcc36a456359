-- wallet_erase_user: refused while the user holds anything; then the account is erased
-- (no new write, a replay still answers), its name, reasons, credentials and metadata
-- gone, the chain still verifying; the owner's call only; tampering with an erased
-- account's entries, or an "erasure" made behind the function's back, is still found.
BEGIN;
SELECT plan(18);

SELECT wallet_open_account('e4000000-0000-4000-8000-000000000001', 'Ann Example');
SELECT wallet_open_account('e4000000-0000-4000-8000-000000000002', 'Bob Example');
SELECT wallet_topup('e4000000-0000-4000-8000-000000000001', 1, 100, 'pay-1', '{"email": "ann@example.com"}');
SELECT wallet_topup('e4000000-0000-4000-8000-000000000002', 1, 100, 'pay-2', '{"email": "bob@example.com"}');
SELECT wallet_void('e4000000-0000-4000-8000-000000000001',
                   (SELECT hold_id FROM wallet_hold('e4000000-0000-4000-8000-000000000001', 1, 10, 'h-1', '5 minutes',
                                                    '{"note": "Ann''s order"}')));
SELECT wallet_set_account_status('e4000000-0000-4000-8000-000000000001', 'frozen', 'Ann called about a charge');
SELECT wallet_set_account_status('e4000000-0000-4000-8000-000000000001', 'active', 'Ann confirmed it');
INSERT INTO wallet.credentials (kind, subject, secret_hash)
VALUES ('user', 'e4000000-0000-4000-8000-000000000001', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');

SELECT throws_ok($$SELECT * FROM wallet_erase_user('e4000000-0000-4000-8000-000000000001')$$, 'WA014',
                 'operation_not_allowed: user e4000000-0000-4000-8000-000000000001 still holds credit, held credit or debt',
                 'refused while the user holds credit');
SELECT wallet_spend('e4000000-0000-4000-8000-000000000001', 1, 100, 'buy-1', '{"item": "sword", "name": "Ann"}');
CREATE TEMP TABLE digests AS
SELECT e.entry_id, sha256(convert_to(e.metadata::text, 'UTF8')) AS digest
FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)
WHERE a.user_id = 'e4000000-0000-4000-8000-000000000001';

SELECT results_eq($$SELECT entries, holds, events, credentials FROM wallet_erase_user('e4000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (2::bigint, 1::bigint, 4::bigint, 1::bigint)$$,
                  'erased: two entries'' metadata, a hold''s and its two events'', two status events'' reasons, a credential');
SELECT results_eq($$SELECT status, name, status_reason FROM wallet.accounts
                    WHERE user_id = 'e4000000-0000-4000-8000-000000000001'$$,
                  $$VALUES ('erased', '', 'erasure')$$, 'the account is erased, its name and reason gone');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries e JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = 'e4000000-0000-4000-8000-000000000001' AND e.metadata <> '{}'), 0, 'no entry keeps metadata');
SELECT is((SELECT bool_and(e.metadata_digest = d.digest) FROM wallet.ledger_entries e JOIN digests d USING (entry_id)
           WHERE d.digest <> sha256(convert_to('{}', 'UTF8'))), true, 'each keeps its metadata''s digest');
SELECT is((SELECT count(*)::int FROM wallet.holds h JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = 'e4000000-0000-4000-8000-000000000001' AND h.metadata <> '{}'), 0, 'no hold keeps metadata');
SELECT results_eq($$SELECT v.metadata FROM wallet.events v JOIN wallet.accounts a USING (account_id)
                    WHERE a.user_id = 'e4000000-0000-4000-8000-000000000001' ORDER BY v.seq$$,
                  $$VALUES ('{}'::jsonb), ('{}'), ('{}'), ('{}'),
                           ('{"reason": "erasure", "status": "erased", "previous_status": "active"}')$$,
                  'the events keep no reason support gave; the erasure is an event');
SELECT is((SELECT count(*)::int FROM wallet.credentials WHERE subject = 'e4000000-0000-4000-8000-000000000001'), 0,
          'no credential is left');
SELECT is_empty('SELECT * FROM wallet_verify()', 'the chain still verifies');

SELECT throws_ok($$SELECT * FROM wallet_topup('e4000000-0000-4000-8000-000000000001', 1, 5, 'pay-9')$$, 'WA011', NULL,
                 'an erased account takes no new write');
SELECT throws_ok($$SELECT * FROM wallet_refund('e4000000-0000-4000-8000-000000000001', 'pay-1', 5, 'ref-1')$$, 'WA011', NULL,
                 'not even a refund');
SELECT is((SELECT replayed FROM wallet_spend('e4000000-0000-4000-8000-000000000001', 1, 100, 'buy-1')), true,
          'a replay of an old key still answers');
SELECT results_eq($$SELECT entries, holds, events, credentials FROM wallet_erase_user('e4000000-0000-4000-8000-000000000001')$$,
                  $$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$, 'erasing again empties nothing');

CREATE ROLE erase_caller LOGIN IN ROLE wallet_service;
SET SESSION AUTHORIZATION erase_caller;
SELECT throws_ok($$SELECT * FROM wallet_erase_user('e4000000-0000-4000-8000-000000000002')$$, '42501', NULL,
                 'a service may not erase');
RESET SESSION AUTHORIZATION;

-- the guard: only an erased account's metadata may be emptied, and nothing else changed
SELECT throws_ok($$UPDATE wallet.ledger_entries SET metadata = '{}', metadata_digest = sha256(convert_to(metadata::text, 'UTF8'))
                   WHERE idempotency_key = 'pay-2'$$, 'WA900', NULL, 'the ledger refuses an erasure of an account not erased');
SELECT throws_ok($$UPDATE wallet.ledger_entries SET amount = 1 WHERE idempotency_key = 'buy-1'$$, 'WA900', NULL,
                 'and any other change to an erased account''s entries');

-- behind the guard's back (triggers off): still found
SET LOCAL session_replication_role = replica;
UPDATE wallet.ledger_entries SET metadata = '{}' WHERE idempotency_key = 'pay-2';
UPDATE wallet.ledger_entries SET amount = 99 WHERE idempotency_key = 'buy-1';
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT problem, entry_id FROM (SELECT v.problem, v.actual::bigint AS entry_id FROM wallet_verify() v
                                                   WHERE v.problem = 'entry_hash_differs') x ORDER BY entry_id$$,
                  $$SELECT 'entry_hash_differs', e.entry_id FROM wallet.ledger_entries e
                    WHERE e.idempotency_key IN ('pay-2', 'buy-1') ORDER BY e.entry_id$$,
                  'metadata emptied without the function, and an erased account''s amount changed, break the chain');
SET LOCAL session_replication_role = replica;
UPDATE wallet.ledger_entries SET metadata = '{"email": "bob@example.com"}' WHERE idempotency_key = 'pay-2';
UPDATE wallet.ledger_entries SET metadata_digest = sha256(convert_to(metadata::text, 'UTF8')), metadata = '{}'
WHERE idempotency_key = 'pay-2';
SET LOCAL session_replication_role = origin;
SELECT ok(EXISTS (SELECT FROM wallet_verify() v WHERE v.problem = 'metadata_digest_without_erasure'),
          'a forged erasure, digest and all, of an account not erased is found');

SELECT * FROM finish();
ROLLBACK;
