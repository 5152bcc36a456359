-- The day's spending is counted on every wallet, with a daily limit in force or not
-- (migration 028 counted it only while a limit applied). A limit set during the day then
-- sees what was spent that day before it, wallet_account shows every wallet's spending,
-- and a posting no longer decides whether to count. Nothing to move: a wallet without a
-- limit starts counting with its first spend after this migration. The rules, kept in
-- the catalog beside the columns:
COMMENT ON COLUMN wallet.wallets.spent_day IS
    'the UTC day spent_today belongs to; a spend on a later day starts the count again';
COMMENT ON COLUMN wallet.wallets.spent_today IS
    'what spends, holds (when made), transfers out (amount + fee) and exchanges out took on spent_day, '
    'less what holds made that day released that day';
COMMENT ON COLUMN wallet.holds.counted_on IS
    'the UTC day the hold counted against; what it releases on that day goes back to the day''s spending';
