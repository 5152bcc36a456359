-- wallet_outstanding sums every user's credit: past bigint once enough large wallets
-- hold an asset. Its figures become numeric (exact at any size); the file in
-- sql/functions creates it again with the new result.
DROP FUNCTION IF EXISTS public.wallet_outstanding(timestamptz);  -- absent on a new database: made after the migrations
