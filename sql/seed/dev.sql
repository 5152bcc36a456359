-- Development seed: Alice and Bob with starting balances made by ledger entries.
-- Safe to load again: accounts are opened idempotently and the top-ups replay.
SELECT wallet_open_account('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32', 'Alice');
SELECT wallet_open_account('b55709be-d0f6-467e-942c-cc04155ad54c', 'Bob');

SELECT * FROM wallet_topup('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32', 1, 1000, 'seed:alice:gold', '{"source": "seed"}');
SELECT * FROM wallet_topup('0f6d220d-61fa-4be7-b0a2-e05dbd9aee32', 2, 500, 'seed:alice:points', '{"source": "seed"}');
SELECT * FROM wallet_topup('b55709be-d0f6-467e-942c-cc04155ad54c', 1, 250, 'seed:bob:gold', '{"source": "seed"}');
SELECT * FROM wallet_topup('b55709be-d0f6-467e-942c-cc04155ad54c', 2, 100, 'seed:bob:points', '{"source": "seed"}');

-- Version 3: free GOLD may be given, any POINTS; 1 GOLD buys 10 POINTS (not the other way).
SELECT wallet_set_transfer_policy(1, 'free_only');
SELECT wallet_set_transfer_policy(2, 'all');
SELECT wallet_set_exchange_rate(1, 2, 10, 1);
