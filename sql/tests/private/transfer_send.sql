-- wallet.transfer_send: a transfer between shards, step 1, on the sender's shard: the
-- amount into Transit and the fee to the Treasury, taken as wallet_transfer takes them,
-- recorded 'sent' with the recipient's lots; replays, a key reused for another recipient,
-- a dry run, and refusals that write nothing.
BEGIN;
SELECT plan(13);

SELECT wallet_open_account('e3000000-0000-4000-8000-000000000001', 'Sender');
SELECT wallet_set_transfer_policy(1, 'all');
SELECT wallet_set_spend_order(1, 'free_first');
SELECT * FROM wallet_bonus('e3000000-0000-4000-8000-000000000001', 1, 40, 'b1', '{}', '2999-01-01T00:00:00Z');
SELECT * FROM wallet_topup('e3000000-0000-4000-8000-000000000001', 1, 100, 'p1');
CREATE TEMP TABLE entries_before AS SELECT count(*) AS n FROM wallet.ledger_entries;

SELECT is((SELECT row(transfer_id IS NULL, state, entry_id IS NULL, balance, replayed)::text
           FROM wallet.transfer_send('e3000000-0000-4000-8000-000000000001', 'e3000000-0000-4000-8000-0000000000ff',
                                     1, 50, 'far-1', 5, '{}', true)),
          '(t,sent,t,85,f)', 'a dry run answers what the call would, without ids');
SELECT is((SELECT count(*) FROM wallet.ledger_entries), (SELECT n FROM entries_before), 'and writes nothing');

CREATE TEMP TABLE s1 AS
    SELECT * FROM wallet.transfer_send('e3000000-0000-4000-8000-000000000001', 'e3000000-0000-4000-8000-0000000000ff',
                                       1, 50, 'far-1', 5, '{"note": "gift"}', false);
SELECT results_eq($$SELECT state, balance, replayed, paid_amount, free_amount, metadata, to_entry_id FROM s1$$,
                  $$VALUES ('sent', 85::bigint, false, 10::bigint, 40::bigint, '{"note": "gift"}'::jsonb, NULL::bigint)$$,
                  'sent: amount and fee taken (140 - 55), free first, the split of the amount');
SELECT is((SELECT lots FROM s1),
          '[{"class": "free", "amount": 40, "expires_at": "2999-01-01T00:00:00+00:00"},
            {"class": "paid", "amount": 10, "expires_at": null}]'::jsonb,
          'the recipient is to get one lot per lot taken for the amount, class and expiry kept');
SELECT results_eq(
    $$SELECT kind, amount, credit_account_id = wallet.transit_account_id(),
             credit_account_id = wallet.treasury_account_id()
      FROM wallet.ledger_entries WHERE entry_id >= (SELECT entry_id FROM s1) ORDER BY entry_id$$,
    $$VALUES ('transfer_out', 50::bigint, true, false), ('fee', 5::bigint, false, true)$$,
    'the transfer_out goes to Transit, the fee to the Treasury');
SELECT results_eq(
    $$SELECT side, state, amount, fee, out_entry_id, to_user_id FROM wallet.shard_transfers
      WHERE transfer_id = (SELECT transfer_id FROM s1)$$,
    $$SELECT 'out', 'sent', 50::bigint, 5::bigint, (SELECT entry_id FROM s1), 'e3000000-0000-4000-8000-0000000000ff'::uuid$$,
    'recorded in the same transaction, sent');
SELECT is((SELECT balance FROM wallet.system_balances
           WHERE account_id = wallet.transit_account_id() AND asset_type_id = 1), 50::numeric,
          'Transit holds what is in flight');

SELECT results_eq(
    $$SELECT transfer_id, entry_id, balance, replayed
      FROM wallet.transfer_send('e3000000-0000-4000-8000-000000000001', 'e3000000-0000-4000-8000-0000000000ff',
                                1, 50, 'far-1', 5, '{}', false)$$,
    $$SELECT transfer_id, entry_id, balance, true FROM s1$$,
    'a replay answers the recorded transfer');
SELECT throws_ok($$SELECT * FROM wallet.transfer_send('e3000000-0000-4000-8000-000000000001',
                                                      'e3000000-0000-4000-8000-0000000000fe', 1, 50, 'far-1', 5, '{}', false)$$,
                 'WA005', NULL, 'the key for another recipient is idempotency_key_reused');
SELECT throws_ok($$SELECT * FROM wallet.transfer_send('e3000000-0000-4000-8000-000000000001',
                                                      'e3000000-0000-4000-8000-0000000000ff', 1, 86, 'far-2', 0, '{}', false)$$,
                 'WA006', NULL, 'more than is left is insufficient_funds');
SELECT wallet_set_transfer_policy(1, 'none');
SELECT throws_ok($$SELECT * FROM wallet.transfer_send('e3000000-0000-4000-8000-000000000001',
                                                      'e3000000-0000-4000-8000-0000000000ff', 1, 1, 'far-3', 0, '{}', false)$$,
                 'WA014', NULL, 'an asset that may not move is operation_not_allowed');
SELECT is((SELECT count(*) FROM wallet.shard_transfers), 1::bigint, 'refusals record nothing');
SELECT is_empty($$SELECT * FROM wallet_verify()$$, 'wallet_verify() is clean with a transfer in flight');
SELECT * FROM finish();
ROLLBACK;
