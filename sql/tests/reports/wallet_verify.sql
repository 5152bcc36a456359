-- wallet_verify: no rows on a fresh database, after the dev seed and after activity;
-- one row per kind of inconsistency made by hand (as the owner, inside this rollback).
BEGIN;
SELECT plan(20);

SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent on a fresh database');
\i sql/seed/dev.sql
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after the dev seed');
SELECT * FROM wallet_spend('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32', 1, 10, 'v1');
SELECT * FROM wallet_bonus('b55709be-d0f6-467e-942c-cc04155ad54c', 2, 10, 'v2');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent after activity');
SELECT results_eq($$SELECT asset_type_id, balance FROM wallet.system_balances ORDER BY 1$$,
                  $$SELECT asset_type_id, -sum(balance) FROM wallet.wallets GROUP BY 1 ORDER BY 1$$,
                  'the Treasury holds minus the user balances');

UPDATE wallet.wallets SET balance = balance + 1, paid = paid + 1
WHERE asset_type_id = 2 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32');
SELECT results_eq($$SELECT problem, expected, actual FROM wallet_verify() ORDER BY 1$$,
                  $$VALUES ('asset_does_not_sum_to_zero', 0::numeric, 1::numeric),
                           ('cached_balance_differs_from_ledger', 500::numeric, 501::numeric),
                           ('last_balance_after_differs_from_cache', 501::numeric, 500::numeric),
                           ('lots_differ_from_cache_paid', 501::numeric, 500::numeric)$$,
                  'a cached balance changed behind the ledger''s back is found');
UPDATE wallet.wallets SET balance = balance - 1, paid = paid - 1
WHERE asset_type_id = 2 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32');
SELECT is_empty('SELECT * FROM wallet_verify()', 'consistent again once repaired');

-- an entry between two user accounts, written around the functions
INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key, paid_amount)
SELECT a.account_id, 1, 'topup', b.account_id, a.account_id, 1, 991, 'forged', 1
FROM wallet.accounts a, wallet.accounts b
WHERE a.user_id = '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32' AND b.user_id = 'b55709be-d0f6-467e-942c-cc04155ad54c';
SELECT results_eq($$SELECT problem FROM wallet_verify() ORDER BY 1$$,
                  ARRAY['asset_does_not_sum_to_zero', 'cached_balance_differs_from_ledger', 'chain_head_differs',
                        'credit_without_lot', 'entry_counterparty_not_system', 'last_balance_after_differs_from_cache'],
                  'an entry written around the functions is found');


-- holds: the held cache, a hold closed behind its wallet's back, a hold whose
-- reservations do not add up, a capture that does not match its hold
SELECT wallet_open_account('a5000000-0000-4000-8000-000000000001', 'Verify holds');
SELECT * FROM wallet_topup('a5000000-0000-4000-8000-000000000001', 2, 100, 'vh-pay');
CREATE TEMP TABLE vh AS SELECT * FROM wallet_hold('a5000000-0000-4000-8000-000000000001', 2, 40, 'vh-1');
CREATE TEMP TABLE vc AS SELECT h.hold_id, c.entry_id
    FROM wallet_hold('a5000000-0000-4000-8000-000000000001', 2, 10, 'vh-2') h,
         LATERAL wallet_capture('a5000000-0000-4000-8000-000000000001', h.hold_id, 'vc-1') c;
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE asset_type_id = 2$$, ARRAY[]::text[],
              'consistent with an open and a captured hold (beside the forged entry on GOLD)');
UPDATE wallet.wallets SET held = held + 1
WHERE asset_type_id = 2 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'a5000000-0000-4000-8000-000000000001');
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE asset_type_id = 2$$, ARRAY['held_differs_from_holds'],
              'a held cache changed behind the holds'' back is found');
UPDATE wallet.wallets SET held = held - 1
WHERE asset_type_id = 2 AND account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'a5000000-0000-4000-8000-000000000001');
UPDATE wallet.holds SET state = 'voided', closed_at = now() WHERE hold_id = (SELECT hold_id FROM vh);
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE asset_type_id = 2$$,
              ARRAY['held_differs_from_holds', 'lot_remaining_differs_from_allocations', 'lots_differ_from_cache_paid'],
              'a hold closed without releasing its credit is found');
UPDATE wallet.holds SET state = 'open', closed_at = NULL, lot_amounts = ARRAY[39] WHERE hold_id = (SELECT hold_id FROM vh);
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE asset_type_id = 2$$,
              ARRAY['malformed_hold', 'lot_remaining_differs_from_allocations', 'lots_differ_from_cache_paid'],
              'a hold whose reservations do not add up to it is found');
UPDATE wallet.holds SET lot_amounts = ARRAY[40] WHERE hold_id = (SELECT hold_id FROM vh);
UPDATE wallet.holds SET captured_amount = 9 WHERE hold_id = (SELECT hold_id FROM vc);
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE asset_type_id = 2$$, ARRAY['capture_differs_from_hold'],
              'a captured amount that is not its capture''s is found');
UPDATE wallet.holds SET captured_amount = 10 WHERE hold_id = (SELECT hold_id FROM vc);
UPDATE wallet.wallets SET has_holds = false
WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'a5000000-0000-4000-8000-000000000001');
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'a5000000-0000-4000-8000-000000000001')$$,
              ARRAY['hold_of_unmarked_wallet'], 'a wallet of an account with holds that is not marked is found');

-- the hash chain: tampering with a stored entry (its metadata, as a superuser with the
-- ledger's guard off) is found at that entry; forging its hash too is found at the next
SELECT wallet_open_account('a6000000-0000-4000-8000-000000000001', 'Chain');
SELECT * FROM wallet_topup('a6000000-0000-4000-8000-000000000001', 1, 100, 'ch-1');
SELECT * FROM wallet_spend('a6000000-0000-4000-8000-000000000001', 1, 10, 'ch-2', '{"item": "sword"}');
SELECT * FROM wallet_spend('a6000000-0000-4000-8000-000000000001', 1, 10, 'ch-3');
CREATE TEMP TABLE chain AS
    SELECT e.account_id, e.entry_id, e.idempotency_key FROM wallet.ledger_entries e
    JOIN wallet.accounts a USING (account_id) WHERE a.user_id = 'a6000000-0000-4000-8000-000000000001';
SELECT results_eq($$SELECT count(DISTINCT hash)::int, bool_and(length(hash) = 32) FROM wallet.ledger_entries
                    WHERE account_id = (SELECT account_id FROM chain LIMIT 1)$$,
                  $$VALUES (3, true)$$, 'every entry carries its own SHA-256');
ALTER TABLE wallet.ledger_entries DISABLE TRIGGER ledger_entries_no_update_delete;
UPDATE wallet.ledger_entries SET metadata = '{"item": "shield"}'
WHERE entry_id = (SELECT entry_id FROM chain WHERE idempotency_key = 'ch-2');
SELECT results_eq($$SELECT problem, actual FROM wallet_verify() WHERE account_id = (SELECT account_id FROM chain LIMIT 1)$$,
                  $$SELECT 'entry_hash_differs', entry_id::numeric FROM chain WHERE idempotency_key = 'ch-2'$$,
                  'an entry changed behind the ledger''s back breaks its hash');
UPDATE wallet.ledger_entries e SET hash = wallet.entry_hash(p.hash, e)
FROM wallet.ledger_entries p
WHERE e.entry_id = (SELECT entry_id FROM chain WHERE idempotency_key = 'ch-2')
  AND p.entry_id = (SELECT entry_id FROM chain WHERE idempotency_key = 'ch-1');
SELECT results_eq($$SELECT problem, actual FROM wallet_verify() WHERE account_id = (SELECT account_id FROM chain LIMIT 1)$$,
                  $$SELECT 'entry_hash_differs', entry_id::numeric FROM chain WHERE idempotency_key = 'ch-3'$$,
                  'and rehashing it breaks the next link');
UPDATE wallet.ledger_entries SET hash = '\x00'
WHERE entry_id = (SELECT entry_id FROM chain WHERE idempotency_key = 'ch-3');
SELECT set_eq($$SELECT problem FROM wallet_verify() WHERE account_id = (SELECT account_id FROM chain LIMIT 1)$$,
              ARRAY['entry_hash_differs', 'chain_head_differs'],
              'a forged last hash no longer matches the wallet''s head');
ALTER TABLE wallet.ledger_entries ENABLE TRIGGER ledger_entries_no_update_delete;

-- transfers between shards: each side's entry and record agree, and Transit is what they say
SELECT wallet_open_account('a6000000-0000-4000-8000-000000000002', 'Far sender');
SELECT wallet_set_transfer_policy(1, 'all');
SELECT * FROM wallet_topup('a6000000-0000-4000-8000-000000000002', 1, 100, 'far-fund');
CREATE TEMP TABLE far AS
    SELECT * FROM wallet.transfer_send('a6000000-0000-4000-8000-000000000002', 'a6000000-0000-4000-8000-0000000000ff',
                                       1, 30, 'far-1', 0, '{}', false);
UPDATE wallet.shard_transfers SET state = 'undone', refusal_code = 'WA011', settled_at = now()
WHERE transfer_id = (SELECT transfer_id FROM far);
SELECT set_eq($$SELECT problem FROM wallet_verify()
                WHERE account_id IN (wallet.transit_account_id(),
                                     (SELECT account_id FROM wallet.accounts
                                      WHERE user_id = 'a6000000-0000-4000-8000-000000000002'))$$,
              ARRAY['shard_transfer_differs_from_entries', 'transit_differs_from_transfers'],
              'a transfer recorded undone without its reversals, and Transit holding what no record says');
UPDATE wallet.shard_transfers SET state = 'sent', refusal_code = NULL, settled_at = NULL
WHERE transfer_id = (SELECT transfer_id FROM far);
UPDATE wallet.shard_transfers SET amount = 31 WHERE transfer_id = (SELECT transfer_id FROM far);
SELECT set_eq($$SELECT problem FROM wallet_verify()
                WHERE account_id IN (wallet.transit_account_id(),
                                     (SELECT account_id FROM wallet.accounts
                                      WHERE user_id = 'a6000000-0000-4000-8000-000000000002'))$$,
              ARRAY['shard_transfer_differs_from_entries', 'transit_differs_from_transfers'],
              'a record whose amount is not its entry''s');
DELETE FROM wallet.shard_transfers WHERE transfer_id = (SELECT transfer_id FROM far);
SELECT set_eq($$SELECT problem FROM wallet_verify()
                WHERE account_id IN (wallet.transit_account_id(),
                                     (SELECT account_id FROM wallet.accounts
                                      WHERE user_id = 'a6000000-0000-4000-8000-000000000002'))$$,
              ARRAY['shard_transfer_differs_from_entries', 'transit_differs_from_transfers'],
              'a transfer_out to Transit without its record');

SELECT * FROM finish();
ROLLBACK;
