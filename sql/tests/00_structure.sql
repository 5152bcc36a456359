-- Structure: tables, keys, triggers, the public functions with their signatures,
-- SECURITY DEFINER with a pinned search_path, and the privileges of wallet_service
-- (may execute the functions, may not touch any table).
BEGIN;
SELECT plan(111);

SELECT has_schema('wallet');
SELECT tables_are('wallet', ARRAY['asset_types', 'accounts', 'wallets', 'ledger_entries', 'credentials', 'schema_migrations',
                                  'lots', 'holds', 'events', 'event_feed', 'webhook_subscriptions', 'webhook_deliveries',
                                  'exchange_rates', 'chain_checkpoints', 'shard_transfers', 'limit_changes', 'feed_placer']);
SELECT col_type_is('wallet', 'ledger_entries', 'amount', 'bigint', 'amounts are bigint minor units');
SELECT col_type_is('wallet', 'wallets', 'balance', 'bigint', 'balances are bigint minor units');
SELECT col_type_is('wallet', 'accounts', 'user_id', 'uuid', 'user accounts carry the external uuid');
SELECT col_is_pk('wallet', 'wallets', ARRAY['account_id', 'asset_type_id'], 'a wallet is one (account, asset)');
-- shard-ready: every key of a table a posting writes includes the user's account
SELECT col_is_pk('wallet', 'ledger_entries', ARRAY['account_id', 'entry_id'], 'ledger key includes the account');
SELECT col_is_unique('wallet', 'ledger_entries', ARRAY['account_id', 'idempotency_key'], 'keys are unique per user account');
-- no foreign key and one check on the tables a posting writes: each costs a query or a
-- parse and plan per statement (migration 009); wallet_verify() proves their rules
SELECT is((SELECT count(*)::int FROM pg_constraint
           WHERE conrelid IN ('wallet.ledger_entries'::regclass, 'wallet.lots'::regclass)
             AND contype IN ('f', 'c')), 0,
          'the ledger and the lots have no foreign key or check constraint');
SELECT is((SELECT count(*)::int FROM pg_constraint
           WHERE conrelid = 'wallet.wallets'::regclass AND contype = 'f'), 2,
          'wallets reference their account and asset (written once, when opened)');
SELECT is((SELECT pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conrelid = 'wallet.wallets'::regclass AND contype = 'c'),
          'CHECK (wallet.wallet_rules_hold(wallets.*))',
          'a wallet never goes below zero: its one check');
SELECT wallet_open_account('10000000-0000-4000-8000-0000000000ff', 'Check');
SELECT throws_ok($$UPDATE wallet.wallets SET balance = -1, paid = -1
                   WHERE account_id = (SELECT account_id FROM wallet.accounts WHERE user_id = '10000000-0000-4000-8000-0000000000ff')$$,
                 '23514', NULL,
                 'the wallet check holds for the owner');
SELECT has_trigger('wallet', 'ledger_entries', 'ledger_entries_no_update_delete'::name, 'the ledger refuses UPDATE and DELETE');
SELECT has_trigger('wallet', 'ledger_entries', 'ledger_entries_no_truncate'::name, 'the ledger refuses TRUNCATE');
SELECT has_trigger('wallet', 'ledger_entries', 'ledger_entries_chained'::name, 'every entry is chained to its wallet''s previous one');
SELECT has_view('wallet', 'system_balances', 'system balances are derived, not cached');
SELECT is((SELECT count(*)::int FROM wallet.accounts WHERE kind = 'system' AND system_code = 'treasury'), 1,
          'the Treasury system account exists');
SELECT is((SELECT count(*)::int FROM wallet.accounts WHERE kind = 'system' AND system_code = 'transit'), 1,
          'the Transit system account exists (transfers between shards in flight)');
SELECT ok(NOT has_function_privilege('wallet_service',
                                     'wallet.transfer_receive(uuid,uuid,uuid,integer,bigint,bigint,bigint,jsonb,jsonb,boolean)',
                                     'EXECUTE'),
          'only the owner (the router, through its SECURITY DEFINER twin) credits from Transit');
SELECT results_eq('SELECT asset_type_id, code FROM wallet.asset_types ORDER BY 1',
                  $$VALUES (1, 'GOLD'), (2, 'POINTS')$$, 'reference assets GOLD (1) and POINTS (2)');

-- every function that must exist, so one left behind by a rename fails: the public API
-- (sql/functions/<room>/*.sql) and the private helpers (sql/functions/private/*.sql)
SELECT set_eq($$SELECT proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                AND proname LIKE 'wallet\_%'$$,
              ARRAY['wallet_topup', 'wallet_bonus', 'wallet_spend', 'wallet_open_account', 'wallet_balance',
                    'wallet_history', 'wallet_verify', 'wallet_open_account_status', 'wallet_auth_credential',
                    'wallet_post_batch', 'wallet_expire', 'wallet_set_spend_order', 'wallet_reverse_spend',
                    'wallet_refund', 'wallet_hold', 'wallet_capture', 'wallet_void', 'wallet_holds', 'wallet_assets',
                    'wallet_events', 'wallet_notify_events', 'wallet_balance_at', 'wallet_outstanding',
                    'wallet_statement', 'wallet_webhook_subscribe', 'wallet_webhook_unsubscribe',
                    'wallet_webhook_subscriptions', 'wallet_webhook_fan_out', 'wallet_webhook_claim',
                    'wallet_webhook_settle', 'wallet_webhook_dead', 'wallet_webhook_redeliver',
                    'wallet_credential_valid_since', 'wallet_webhook_backlog', 'wallet_transfer',
                    'wallet_set_transfer_policy', 'wallet_exchange', 'wallet_set_exchange_rate', 'wallet_exchange_rates',
                    'wallet_set_account_status', 'wallet_set_limits', 'wallet_limit_changes', 'wallet_account', 'wallet_erase_user', 'wallet_import',
                    'wallet_reconcile_payments', 'wallet_set_credential', 'wallet_revoke_credential'],
              'the public wallet functions are exactly these (one overload each)');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace
           AND proname LIKE 'wallet\_%'), 48, 'no public wallet function has a second overload');
SELECT functions_are('wallet', ARRAY['post_entry', 'post_batch', 'spent_today', 'open_wallet', 'user_account_id', 'expired_credit',
                                'refuse_ledger_change', 'refuse_ledger_change_but_erasure', 'legacy_entry_hash',
                                'legacy_chain_head', 'treasury_account_id', 'uuid_or_null', 'integer_or_null', 'timestamptz_or_null', 'wallet_rules_hold', 'repay_debt',
                                'checked_write_args', 'answered_balance', 'take_in_spend_order',
                                'release_held_credit', 'release_expired_holds', 'release_due_holds', 'move_credit', 'refuse_unknown_assets', 'refuse_inactive_account', 'refuse_over_daily_limit',
                                'refuse_over_cap', 'compile_asset_limits', 'utc_day', 'asset_max_balance', 'asset_daily_spend_limit', 'expired_holds', 'refuse_hold_key', 'refuse_reused_key',
                                'refuse_hold_removal', 'place_events', 'wallet_view', 'write_events', 'entry_hash',
                                'chain_entry', 'locked_hold', 'settled_feed_position', 'lot_credit_at',
                                'inet_or_null', 'is_public_address', 'transit_account_id', 'checked_transfer_args',
                                'transfer_key_used', 'transfer_send', 'transfer_receive', 'transfer_settle',
                                'transfers_in_flight'],
                     'the private helpers are exactly these');

-- the public functions, exactly as the contract names them
SELECT has_function('public', 'wallet_topup', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone']);
SELECT has_function('public', 'wallet_bonus', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone']);
SELECT has_function('public', 'wallet_spend', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'boolean']);
SELECT has_function('public', 'wallet_open_account', ARRAY['uuid', 'text']);
SELECT has_function('public', 'wallet_balance', ARRAY['uuid']);
SELECT has_function('public', 'wallet_history', ARRAY['uuid', 'integer', 'bigint', 'integer']);
SELECT has_function('public', 'wallet_verify', ARRAY[]::name[]);
SELECT has_function('public', 'wallet_open_account_status', ARRAY['uuid', 'text']);
SELECT has_function('public', 'wallet_auth_credential', ARRAY['text', 'text']);
SELECT has_function('public', 'wallet_post_batch', ARRAY['jsonb']);
SELECT has_function('public', 'wallet_transfer', ARRAY['uuid', 'uuid', 'integer', 'bigint', 'text', 'bigint', 'jsonb', 'boolean']);
SELECT is(pg_get_function_result('public.wallet_transfer(uuid, uuid, integer, bigint, text, bigint, jsonb, boolean)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint, to_entry_id bigint, to_balance bigint)',
          'wallet_transfer returns the contract''s columns');
SELECT has_function('public', 'wallet_exchange', ARRAY['uuid', 'integer', 'integer', 'bigint', 'text', 'jsonb', 'boolean']);
SELECT is(pg_get_function_result('public.wallet_exchange(uuid, integer, integer, bigint, text, jsonb, boolean)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint, to_entry_id bigint, to_amount bigint, to_balance bigint)',
          'wallet_exchange returns the contract''s columns');
SELECT function_privs_are('public', 'wallet_set_transfer_policy', ARRAY['integer', 'text'], 'wallet_service',
                          ARRAY[]::text[], 'only the owner sets an asset''s transfer policy');
SELECT function_privs_are('public', 'wallet_set_exchange_rate', ARRAY['integer', 'integer', 'bigint', 'bigint'],
                          'wallet_service', ARRAY[]::text[], 'only the owner sets an exchange rate');
SELECT function_privs_are('public', 'wallet_post_batch', ARRAY['jsonb'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_returns('public', 'wallet_topup', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone'], 'setof record');
SELECT function_returns('public', 'wallet_open_account', ARRAY['uuid', 'text'], 'bigint');
SELECT is(pg_get_function_result('public.wallet_spend(uuid, integer, bigint, text, jsonb, boolean)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)',
          'writers return (entry_id, balance, replayed, paid_amount, free_amount)');
SELECT is(pg_get_function_result('public.wallet_topup(uuid, integer, bigint, text, jsonb, timestamptz)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)',
          'and so does a top-up, which takes p_expires_at last');
SELECT is(pg_get_function_result('public.wallet_expire(integer)'::regprocedure),
          'TABLE(lots_expired integer, holds_expired integer)', 'wallet_expire returns what it posted');
SELECT function_privs_are('public', 'wallet_set_spend_order', ARRAY['integer', 'text'], 'wallet_service', ARRAY[]::text[],
                          'only the owner sets an asset''s spend order');
SELECT function_privs_are('public', 'wallet_expire', ARRAY['integer'], 'wallet_service', ARRAY['EXECUTE']);
SELECT is(pg_get_function_result('public.wallet_reverse_spend(uuid, text, bigint, text, jsonb)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)',
          'wallet_reverse_spend returns the writers'' five columns');
SELECT function_privs_are('public', 'wallet_reverse_spend', ARRAY['uuid', 'text', 'bigint', 'text', 'jsonb'],
                          'wallet_service', ARRAY['EXECUTE']);
SELECT is(pg_get_function_result('public.wallet_refund(uuid, text, bigint, text, text, jsonb)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, recovered bigint, unrecovered bigint)',
          'wallet_refund returns what it recovered and what it did not');
SELECT function_privs_are('public', 'wallet_refund', ARRAY['uuid', 'text', 'bigint', 'text', 'text', 'jsonb'],
                          'wallet_service', ARRAY['EXECUTE']);
SELECT is(pg_get_function_result('public.wallet_hold(uuid, integer, bigint, text, interval, jsonb, boolean)'::regprocedure),
          'TABLE(hold_id bigint, available bigint, expires_at timestamp with time zone, replayed boolean)',
          'wallet_hold returns the hold, what is available after it and when it expires');
SELECT is(pg_get_function_result('public.wallet_capture(uuid, bigint, text, bigint, jsonb)'::regprocedure),
          'TABLE(entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint)',
          'wallet_capture returns the writers'' five columns');
SELECT is(pg_get_function_result('public.wallet_void(uuid, bigint)'::regprocedure),
          'TABLE(hold_id bigint, available bigint, state text)', 'wallet_void returns the hold''s state');
SELECT is(pg_get_function_result('public.wallet_holds(uuid, text)'::regprocedure),
          'TABLE(hold_id bigint, asset_type_id integer, amount bigint, captured_amount bigint, state text, expires_at timestamp with time zone, idempotency_key text, metadata jsonb, created_at timestamp with time zone)',
          'wallet_holds returns the contract''s columns');
SELECT function_privs_are('public', 'wallet_hold', ARRAY['uuid', 'integer', 'bigint', 'text', 'interval', 'jsonb', 'boolean'],
                          'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_capture', ARRAY['uuid', 'bigint', 'text', 'bigint', 'jsonb'],
                          'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_void', ARRAY['uuid', 'bigint'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_holds', ARRAY['uuid', 'text'], 'wallet_service', ARRAY['EXECUTE']);
SELECT table_privs_are('wallet', 'holds', 'wallet_service', ARRAY[]::text[]);
SELECT col_is_pk('wallet', 'holds', ARRAY['account_id', 'hold_id'], 'hold keys include the account');
SELECT col_is_unique('wallet', 'holds', ARRAY['account_id', 'idempotency_key'], 'a hold is keyed per user account');
SELECT has_trigger('wallet', 'holds', 'holds_no_delete'::name, 'holds are never deleted');
SELECT has_trigger('wallet', 'holds', 'holds_no_truncate'::name, 'nor truncated');
SELECT is(pg_get_function_result('public.wallet_history(uuid, integer, bigint, integer)'::regprocedure),
          'TABLE(entry_id bigint, kind text, asset_type_id integer, amount bigint, balance_after bigint, idempotency_key text, metadata jsonb, created_at timestamp with time zone, paid_amount bigint, free_amount bigint, original_entry_id bigint, hold_id bigint, unrecovered bigint)',
          'wallet_history returns the contract''s columns');
SELECT is(pg_get_function_result('public.wallet_balance_at(uuid, timestamptz)'::regprocedure),
          'TABLE(asset_type_id integer, asset_code text, balance bigint, paid bigint, free bigint)',
          'wallet_balance_at returns the contract''s columns');
SELECT is(pg_get_function_arguments('public.wallet_outstanding(timestamptz)'::regprocedure),
          'p_at timestamp with time zone DEFAULT now()', 'wallet_outstanding is at now unless told');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'wallet\_webhook\_%'
      AND has_function_privilege('wallet_service', p.oid, 'EXECUTE')$$,
    'no webhook function is open to wallet_service (they hold or hand out the signing secrets)');
SELECT table_privs_are('wallet', 'webhook_subscriptions', 'wallet_service', ARRAY[]::text[]);
SELECT is(pg_get_function_result('public.wallet_balance(uuid)'::regprocedure),
          'TABLE(asset_type_id integer, asset_code text, balance bigint, paid bigint, free bigint, held bigint, available bigint, debt bigint)',
          'wallet_balance returns the contract''s columns');

SELECT is_definer('public', 'wallet_topup', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone']);
SELECT is_definer('public', 'wallet_bonus', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone']);
SELECT is_definer('public', 'wallet_spend', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'boolean']);
SELECT is_definer('public', 'wallet_open_account', ARRAY['uuid', 'text']);
SELECT is_definer('public', 'wallet_balance', ARRAY['uuid']);
SELECT is_definer('public', 'wallet_history', ARRAY['uuid', 'integer', 'bigint', 'integer']);
SELECT is_definer('public', 'wallet_verify', ARRAY[]::name[]);
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'wallet\_%' AND p.prosecdef
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
    'every SECURITY DEFINER function pins its search_path');

-- privileges: wallet_service executes the functions and nothing else
SELECT function_privs_are('public', 'wallet_topup', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_bonus', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_spend', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'boolean'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_open_account', ARRAY['uuid', 'text'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_balance', ARRAY['uuid'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_history', ARRAY['uuid', 'integer', 'bigint', 'integer'], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_verify', ARRAY[]::name[], 'wallet_service', ARRAY['EXECUTE']);
SELECT function_privs_are('public', 'wallet_spend', ARRAY['uuid', 'integer', 'bigint', 'text', 'jsonb', 'boolean'], 'public', ARRAY[]::text[],
                          'PUBLIC cannot execute wallet_spend');
SELECT is_empty($$
    SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'wallet\_%'
      AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
    'PUBLIC can execute no wallet function');
SELECT function_privs_are('wallet', 'post_entry', ARRAY['text', 'uuid', 'integer', 'bigint', 'text', 'jsonb', 'timestamp with time zone', 'text'], 'wallet_service', ARRAY[]::text[],
                          'wallet_service cannot call the private posting routine');
SELECT table_privs_are('wallet', 'ledger_entries', 'wallet_service', ARRAY[]::text[]);
SELECT table_privs_are('wallet', 'wallets', 'wallet_service', ARRAY[]::text[]);
SELECT table_privs_are('wallet', 'accounts', 'wallet_service', ARRAY[]::text[]);
SELECT table_privs_are('wallet', 'asset_types', 'wallet_service', ARRAY[]::text[]);
SELECT table_privs_are('wallet', 'credentials', 'wallet_service', ARRAY[]::text[]);
SELECT table_privs_are('wallet', 'lots', 'wallet_service', ARRAY[]::text[]);
SELECT col_is_pk('wallet', 'lots', ARRAY['account_id', 'lot_id'], 'lot keys include the account');
SELECT col_type_is('wallet', 'ledger_entries', 'lot_ids', 'bigint[]', 'what an entry took from lots is on the entry, in order');
SELECT table_privs_are('wallet', 'credentials', 'wallet_api', ARRAY[]::text[]);
SELECT function_privs_are('public', 'wallet_auth_credential', ARRAY['text', 'text'], 'wallet_service', ARRAY[]::text[],
                          'trusted services cannot look up credentials');
SELECT function_privs_are('public', 'wallet_auth_credential', ARRAY['text', 'text'], 'wallet_auth', ARRAY['EXECUTE']);
SELECT is_member_of('wallet_service', 'wallet_api', 'the API role may call the wallet functions');
SELECT is_member_of('wallet_auth', 'wallet_api', 'the API role may look up credentials');

-- and as wallet_service: the functions work, the tables are out of reach
SET LOCAL ROLE wallet_service;
SELECT lives_ok($$SELECT wallet_open_account('7a1e0000-0000-4000-8000-000000000001', 'Structure')$$,
                'wallet_service can call wallet_open_account');
SELECT lives_ok($$SELECT * FROM wallet_topup('7a1e0000-0000-4000-8000-000000000001', 1, 10, 'k1')$$,
                'wallet_service can call wallet_topup unqualified');
SELECT throws_ok($$INSERT INTO wallet.ledger_entries (account_id, asset_type_id, kind, debit_account_id, credit_account_id, amount, balance_after, idempotency_key) VALUES (1, 1, 'topup', 1, 2, 5, 5, 'x')$$,
                 '42501', NULL, 'wallet_service cannot insert into the ledger');
SELECT throws_ok($$UPDATE wallet.wallets SET balance = 1000000$$, '42501', NULL, 'wallet_service cannot update wallets');
SELECT throws_ok($$DELETE FROM wallet.accounts$$, '42501', NULL, 'wallet_service cannot delete accounts');
SELECT throws_ok($$TRUNCATE wallet.ledger_entries$$, '42501', NULL, 'wallet_service cannot truncate the ledger');
SELECT throws_ok($$SELECT * FROM wallet_auth_credential('user', '0f6d220d-61fa-4be7-b0a2-e05dbd9aee32')$$,
                 '42501', NULL, 'wallet_service cannot read password hashes');
SELECT throws_ok($$SELECT * FROM wallet.credentials$$, '42501', NULL, 'nor select them');
SELECT throws_ok($$SELECT * FROM wallet.post_entry('topup', '7a1e0000-0000-4000-8000-000000000001', 1, 10, 'k2', '{}')$$,
                 '42501', NULL, 'wallet_service cannot bypass the public functions');
RESET ROLE;
SELECT is((SELECT balance FROM wallet.wallets w JOIN wallet.accounts a USING (account_id)
           WHERE a.user_id = '7a1e0000-0000-4000-8000-000000000001' AND w.asset_type_id = 1), 10::bigint,
          'only the function call changed the balance');

SELECT * FROM finish();
ROLLBACK;
