-- Account controls (Version 3), second part: balance caps and daily spend limits.
--
-- The asset's limits for everyone (NULL: none), and per wallet the user's overrides
-- (NULL: the asset's applies). What counted against the daily limit is kept on the
-- wallet row with the UTC day it belongs to, so a posting checks and moves it on the
-- row it holds locked: two racing spends can never pass the limit together, and the
-- check costs a comparison. Spends, holds, transfers out and exchanges count while a
-- limit applies to the wallet; a hold notes the day it counted on, so that what it
-- releases that day goes back to the day's allowance.
ALTER TABLE wallet.asset_types
    ADD COLUMN max_balance bigint CHECK (max_balance >= 0),
    ADD COLUMN daily_spend_limit bigint CHECK (daily_spend_limit >= 0);

-- no CHECK here: each costs every posting a parse (migration 009); wallet_set_limits
-- refuses a negative limit and the writers never take spent_today below zero
ALTER TABLE wallet.wallets
    ADD COLUMN max_balance bigint,
    ADD COLUMN daily_spend_limit bigint,
    ADD COLUMN spent_day date,
    ADD COLUMN spent_today bigint NOT NULL DEFAULT 0;

ALTER TABLE wallet.holds
    ADD COLUMN counted_on date;

-- The asset's limits as the hot path reads them: two SQL functions the planner inlines
-- into the postings' lock statements, folded from constants, so a posting reads no
-- asset row (a join there cost a spend 46,000 instructions). asset_types stays the
-- truth; wallet.compile_asset_limits makes them again from it whenever
-- wallet_set_limits changes an asset's limits, and the plans that inlined them are
-- invalidated with them (as wallet.treasury_account_id, migration 021). No limits yet.
CREATE FUNCTION wallet.asset_max_balance(p_asset_type_id integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS 'SELECT NULL::bigint';
CREATE FUNCTION wallet.asset_daily_spend_limit(p_asset_type_id integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS 'SELECT NULL::bigint';
REVOKE ALL ON FUNCTION wallet.asset_max_balance(integer), wallet.asset_daily_spend_limit(integer) FROM PUBLIC;
