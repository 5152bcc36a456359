-- The ledger is append-only even for its owner: UPDATE, DELETE and TRUNCATE are refused,
-- what a spend took from its lots included; rows that break its rules are found by wallet_verify().
BEGIN;
SELECT plan(7);

SELECT wallet_open_account('10000000-0000-4000-8000-000000000001', 'Ivy');
SELECT * FROM wallet_topup('10000000-0000-4000-8000-000000000001', 1, 10, 'i1');
SELECT * FROM wallet_spend('10000000-0000-4000-8000-000000000001', 1, 3, 'i0');

SELECT throws_ok($$UPDATE wallet.ledger_entries SET amount = 1000000$$, 'WA900', NULL, 'the owner cannot update an entry');
SELECT throws_ok($$DELETE FROM wallet.ledger_entries$$, 'WA900', NULL, 'the owner cannot delete an entry');
SELECT throws_ok($$TRUNCATE wallet.ledger_entries CASCADE$$, 'WA900', NULL, 'the owner cannot truncate the ledger');
SELECT is((SELECT count(*)::int FROM wallet.ledger_entries WHERE idempotency_key = 'i1'), 1, 'the entry is still there');
SELECT throws_ok($$UPDATE wallet.ledger_entries SET lot_amounts = '{1000000}' WHERE idempotency_key = 'i0'$$, 'WA900', NULL,
                 'what a spend took from its lots is as immutable');
-- Row rules are wallet_verify()'s (the ledger has no CHECK constraints, see migration
-- 009): each malformed row written around the functions is found.
CREATE TEMP TABLE ids AS
SELECT a.account_id AS ivy, t.account_id AS treasury
FROM wallet.accounts a, wallet.accounts t
WHERE a.user_id = '10000000-0000-4000-8000-000000000001' AND t.system_code = 'treasury';
INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id,
                                   amount, balance_after, idempotency_key, paid_amount, metadata)
SELECT ivy, 1, r.kind, CASE r.debit WHEN 'ivy' THEN ivy ELSE treasury END,
       CASE r.credit WHEN 'ivy' THEN ivy ELSE treasury END, r.amount, 5, r.key, r.paid, r.metadata::jsonb
FROM ids, (VALUES ('topup', 'treasury', 'ivy', 5, NULL, 5, '{"case": "no key"}'),
                  ('topup', 'treasury', 'ivy', 5, 'm2', 4, '{"case": "split"}'),
                  ('topup', 'treasury', 'ivy', 0, 'm3', 0, '{"case": "zero"}'),
                  ('topup', 'ivy', 'ivy', 5, 'm4', 5, '{"case": "same sides"}'),
                  ('spend', 'treasury', 'ivy', 5, 'm5', 5, '{"case": "direction"}'),
                  ('gift', 'treasury', 'ivy', 5, 'm6', 5, '{"case": "kind"}'),
                  ('topup', 'treasury', 'ivy', 5, 'm7', 5, '[]'))
     AS r (kind, debit, credit, amount, key, paid, metadata);
SELECT set_eq($$SELECT coalesce(e.metadata->>'case', 'metadata') FROM wallet_verify() v
               JOIN wallet.ledger_entries e ON e.entry_id = v.actual WHERE v.problem = 'malformed_entry'$$,
              ARRAY['no key', 'split', 'zero', 'same sides', 'direction', 'kind', 'metadata'],
              'wallet_verify() finds each malformed entry');
INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining)
SELECT ivy, 1, 'gift', 0, 5, 5 FROM ids;
INSERT INTO wallet.lots (account_id, asset_type_id, class, entry_id, amount, remaining)
VALUES (424242, 1, 'paid', 0, 5, 5);
INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id,
                                   amount, balance_after, idempotency_key, paid_amount, lot_ids, lot_amounts)
SELECT ivy, 1, 'spend', ivy, treasury, 5, 5, 'm8', 5, '{1, 2}', '{6, -1}' FROM ids;
SELECT set_eq($$SELECT problem, account_id FROM wallet_verify()
               WHERE problem IN ('malformed_lot', 'orphan_lot', 'malformed_allocation')$$,
              $$VALUES ('malformed_lot', (SELECT ivy FROM ids)), ('orphan_lot', 424242::bigint),
                       ('malformed_allocation', (SELECT ivy FROM ids))$$,
              'wallet_verify() finds a lot of no class, a lot of no wallet and a take of less than nothing');

SELECT * FROM finish();
ROLLBACK;
