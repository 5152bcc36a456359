-- wallet.transfer_settle: a transfer between shards, step 3, on the sender's shard:
-- delivered (the recipient's answer kept for replays) or undone (the amount and the fee
-- given back to their lots by two reversals, the day's spending too); settling again the
-- same way answers the state, the other way is an error.
BEGIN;
SELECT plan(12);

SELECT wallet_open_account('e5000000-0000-4000-8000-000000000001', 'Sender');
SELECT wallet_set_transfer_policy(1, 'all');
SELECT * FROM wallet_topup('e5000000-0000-4000-8000-000000000001', 1, 100, 'p1');
CREATE TEMP TABLE sent AS
    SELECT * FROM wallet.transfer_send('e5000000-0000-4000-8000-000000000001', 'e5000000-0000-4000-8000-0000000000ff',
                                       1, 30, 'far-1', 2, '{}', false)
    UNION ALL
    SELECT * FROM wallet.transfer_send('e5000000-0000-4000-8000-000000000001', 'e5000000-0000-4000-8000-0000000000fe',
                                       1, 20, 'far-2', 3, '{}', false);

SELECT is(wallet.transfer_settle('e5000000-0000-4000-8000-000000000001', (SELECT transfer_id FROM sent WHERE balance = 68),
                                 4242, 130, NULL, NULL), 'delivered', 'the recipient''s entry settles it delivered');
SELECT results_eq(
    $$SELECT state, in_entry_id, in_balance FROM wallet.shard_transfers
      WHERE transfer_id = (SELECT transfer_id FROM sent WHERE balance = 68)$$,
    $$VALUES ('delivered', 4242::bigint, 130::bigint)$$, 'and keeps what a replay answers');
SELECT is(wallet.transfer_settle('e5000000-0000-4000-8000-000000000001', (SELECT transfer_id FROM sent WHERE balance = 68),
                                 4242, 130, NULL, NULL), 'delivered', 'settled again the same way: the same state');
SELECT throws_ok(format($$SELECT wallet.transfer_settle('e5000000-0000-4000-8000-000000000001', %L, NULL, NULL,
                                                       'WA011', 'closed')$$, (SELECT transfer_id FROM sent WHERE balance = 68)),
                 'XX000', NULL, 'a delivered transfer is never undone');
SELECT throws_ok($$SELECT wallet.transfer_settle('e5000000-0000-4000-8000-000000000002',
                                                 (SELECT transfer_id FROM sent WHERE balance = 68), 1, 1, NULL, NULL)$$,
                 'XX000', NULL, 'only its sender''s transfer');

SELECT is(wallet.transfer_settle('e5000000-0000-4000-8000-000000000001', (SELECT transfer_id FROM sent WHERE balance = 45),
                                 NULL, NULL, 'WA011', 'account_closed: the account is closed'), 'undone',
          'the recipient''s refusal undoes it');
SELECT results_eq(
    $$SELECT kind, amount, balance_after, debit_account_id = wallet.transit_account_id(),
             debit_account_id = wallet.treasury_account_id(), idempotency_key LIKE 'transfer-undone:%'
      FROM wallet.ledger_entries e
      WHERE e.account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'e5000000-0000-4000-8000-000000000001')
        AND e.kind = 'reversal' ORDER BY entry_id$$,
    $$VALUES ('reversal', 20::bigint, 65::bigint, true, false, true), ('reversal', 3::bigint, 68::bigint, false, true, true)$$,
    'two reversals: the amount from Transit, the fee from the Treasury');
SELECT results_eq(
    $$SELECT balance, paid, spent_today FROM wallet.wallets
      WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'e5000000-0000-4000-8000-000000000001')
        AND asset_type_id = 1$$,
    $$VALUES (68::bigint, 68::bigint, 32::bigint)$$,
    'the balance is as if it had not been made, and so is what counted today');
SELECT is((SELECT remaining FROM wallet.lots
           WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = 'e5000000-0000-4000-8000-000000000001')),
          68::bigint, 'back in the lot it was taken from');
SELECT results_eq(
    $$SELECT state, refusal_code, refusal_message FROM wallet.shard_transfers
      WHERE transfer_id = (SELECT transfer_id FROM sent WHERE balance = 45)$$,
    $$VALUES ('undone', 'WA011', 'account_closed: the account is closed')$$, 'the refusal kept for replays');
SELECT is(wallet.transfer_settle('e5000000-0000-4000-8000-000000000001', (SELECT transfer_id FROM sent WHERE balance = 45),
                                 NULL, NULL, 'WA011', 'account_closed: the account is closed'), 'undone',
          'undone again: nothing more given back');
SELECT is_empty($$SELECT * FROM wallet_verify()$$,
                'wallet_verify() is clean: Transit holds the delivered transfer, the undone one is whole');
SELECT * FROM finish();
ROLLBACK;
