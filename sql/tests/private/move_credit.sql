-- wallet.move_credit: makes a receiving wallet that does not exist yet (an asset added
-- after the account was opened), then locks both; splits the amount and the fee over the
-- lots taken; each entry is its own event with its wallet after it.
BEGIN;
SELECT plan(6);
SELECT wallet_open_account('d5000000-0000-4000-8000-000000000001', 'Mover');
SELECT wallet_open_account('d5000000-0000-4000-8000-000000000002', 'Receiver');
INSERT INTO wallet.asset_types (asset_type_id, code, name, transfer_policy) VALUES (77, 'GEMS', 'Gems', 'all');
CREATE TEMP TABLE acct AS SELECT user_id, account_id FROM wallet.accounts WHERE user_id::text LIKE 'd5000000-%';
SELECT * FROM wallet_topup('d5000000-0000-4000-8000-000000000001', 77, 10, 'g1');
SELECT * FROM wallet_topup('d5000000-0000-4000-8000-000000000001', 77, 10, 'g2');
SELECT is_empty($$SELECT FROM wallet.wallets WHERE asset_type_id = 77
                  AND account_id = (SELECT account_id FROM acct WHERE user_id = 'd5000000-0000-4000-8000-000000000002')$$,
                'the receiver has no GEMS wallet yet');

CREATE TEMP TABLE moved AS
SELECT (m).* FROM (SELECT wallet.move_credit('transfer',
    (SELECT account_id FROM acct WHERE user_id = 'd5000000-0000-4000-8000-000000000001'), 77,
    (SELECT account_id FROM acct WHERE user_id = 'd5000000-0000-4000-8000-000000000002'), 77,
    12, 3, 'all', 1, 1, 'move-1', '{}') AS m) x;
SELECT results_eq($$SELECT balance, paid_amount, to_amount, to_balance FROM moved$$,
                  $$VALUES (5::bigint, 12::bigint, 12::bigint, 12::bigint)$$, 'it moved 12 and took a fee of 3');
SELECT results_eq(
    $$SELECT kind, lot_amounts FROM wallet.ledger_entries
      WHERE account_id = (SELECT account_id FROM acct WHERE user_id = 'd5000000-0000-4000-8000-000000000001')
        AND kind IN ('transfer_out', 'fee') ORDER BY entry_id$$,
    $$VALUES ('transfer_out', ARRAY[10::bigint, 2::bigint]), ('fee', ARRAY[3::bigint])$$,
    'the amount takes the first lot and part of the second, the fee the rest of what it needs from the second');
SELECT results_eq(
    $$SELECT amount FROM wallet.lots WHERE entry_id = (SELECT to_entry_id FROM moved) ORDER BY lot_id$$,
    $$VALUES (10::bigint), (2::bigint)$$, 'the receiver''s wallet was made, with one lot per lot taken for the amount');
SELECT results_eq(
    $$SELECT balance_after, paid_after, free_after, held_after FROM wallet.ledger_entries
      WHERE entry_id IN ((SELECT entry_id FROM moved), (SELECT to_entry_id FROM moved)) OR
            (kind = 'fee' AND original_entry_id = (SELECT entry_id FROM moved))
      ORDER BY entry_id$$,
    $$VALUES (8::bigint, 8::bigint, 0::bigint, 0::bigint), (5::bigint, 5::bigint, 0::bigint, 0::bigint),
             (12::bigint, 12::bigint, 0::bigint, 0::bigint)$$,
    'each entry carries its wallet after it: it is its own event');
SELECT is((SELECT count(*)::int FROM wallet_verify()), 0, 'wallet_verify() is clean');
SELECT * FROM finish();
ROLLBACK;
