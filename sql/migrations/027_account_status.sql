-- Account controls (Version 3), first part: an account's status. Active, frozen (nothing
-- leaves the account by the user's action; credits, refunds, voids and expiry still
-- land) or closed (only refunds, voids and expiry); erased comes with the data life cycle.
-- Kept on the account with why, when and who, and copied onto every wallet of the
-- account: wallet_set_account_status changes the copies under the locks of all the
-- account's wallets, so a posting reads the status from the wallet row it holds locked
-- (no other read), and one that waited for a freeze sees it.
ALTER TABLE wallet.accounts
    ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed', 'erased')),
    ADD COLUMN status_reason text,
    ADD COLUMN status_changed_at timestamptz,
    ADD COLUMN status_changed_by text;

ALTER TABLE wallet.wallets
    ADD COLUMN account_status text NOT NULL DEFAULT 'active';

-- account.status_changed is an account's event: on no asset, with no wallet state.
ALTER TABLE wallet.events
    ALTER COLUMN asset_type_id DROP NOT NULL,
    ALTER COLUMN amount DROP NOT NULL,
    ALTER COLUMN balance DROP NOT NULL,
    ALTER COLUMN available DROP NOT NULL,
    ALTER COLUMN paid DROP NOT NULL,
    ALTER COLUMN free DROP NOT NULL,
    ALTER COLUMN held DROP NOT NULL;

-- wallet.locked_hold answers the wallet's copy of the status too (a new result column)
DROP FUNCTION IF EXISTS wallet.locked_hold(bigint, bigint);
