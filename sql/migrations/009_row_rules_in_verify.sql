-- The posting functions are the only writers of the ledger, the lots and the wallets
-- (wallet_service may not write a table) and validate every row before writing it.
-- PostgreSQL 15 parses and plans each CHECK constraint again in every statement that
-- writes its table, and each foreign key is a query of its own: measured with callgrind
-- on the posting functions, the ledger's 13 checks, the lots' and allocations' checks
-- and the two foreign keys to the wallet row were a third of a posting's instructions.
-- Their rules stay, as wallet_verify() findings (malformed_entry, malformed_lot,
-- malformed_allocation, orphan_lot; an entry without its wallet shows as
-- cached_balance_differs_from_ledger). One check stays where a broken rule would let a
-- user go below zero: the wallet row's (one constraint, made in 011).
ALTER TABLE wallet.ledger_entries
    DROP CONSTRAINT ledger_entries_account_id_asset_type_id_fkey,
    DROP CONSTRAINT ledger_entries_kind_check,
    DROP CONSTRAINT ledger_entries_amount_check,
    DROP CONSTRAINT ledger_entries_balance_after_check,
    DROP CONSTRAINT ledger_entries_idempotency_key_check,
    DROP CONSTRAINT ledger_entries_key_visible_ascii,
    DROP CONSTRAINT ledger_entries_key_check,
    DROP CONSTRAINT ledger_entries_metadata_check,
    DROP CONSTRAINT ledger_entries_check,
    DROP CONSTRAINT ledger_entries_check1,
    DROP CONSTRAINT ledger_entries_direction_check,
    DROP CONSTRAINT ledger_entries_paid_amount_check,
    DROP CONSTRAINT ledger_entries_free_amount_check,
    DROP CONSTRAINT ledger_entries_unrecovered_check,
    DROP CONSTRAINT ledger_entries_split_check;

ALTER TABLE wallet.lots
    DROP CONSTRAINT lots_account_id_asset_type_id_fkey,
    DROP CONSTRAINT lots_amount_check,
    DROP CONSTRAINT lots_check,
    DROP CONSTRAINT lots_class_check;

ALTER TABLE wallet.lot_allocations
    DROP CONSTRAINT lot_allocations_amount_check;

-- The wallet's four checks become one in 011, with the debt rule beside them (migrations
-- are applied in one transaction, so no wallet goes unchecked in between).
ALTER TABLE wallet.wallets
    DROP CONSTRAINT wallets_balance_check,
    DROP CONSTRAINT wallets_paid_check,
    DROP CONSTRAINT wallets_free_check,
    DROP CONSTRAINT wallets_balance_is_paid_and_free;

-- The posting routine returns one composite instead of a set, which its callers take as
-- a plain expression (no query, no tuplestore): about 7% of a posting's instructions.
DROP FUNCTION IF EXISTS wallet.post_entry(text, uuid, integer, bigint, text, jsonb, timestamptz);
CREATE TYPE wallet.posting AS (entry_id bigint, balance bigint, replayed boolean, paid_amount bigint, free_amount bigint);
