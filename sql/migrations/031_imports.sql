-- Imports (Version 3, data life cycle): wallet_import posts `import` entries (Treasury ->
-- user, one lot of the row's class) through the batch engine, now the private
-- wallet.post_batch behind wallet_post_batch and wallet_import, and its single-posting
-- fallback wallet.post_entry takes the class of an import as a new last parameter.
DROP FUNCTION IF EXISTS wallet.post_entry(text, uuid, integer, bigint, text, jsonb, timestamptz);
