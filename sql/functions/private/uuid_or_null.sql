-- The uuid a text spells (any spelling PostgreSQL reads: braces, upper case, no
-- hyphens), or NULL if it spells none. Lets wallet_post_batch order items by the uuid
-- value before each item's own checks run.
CREATE OR REPLACE FUNCTION wallet.uuid_or_null(p_text text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RETURN p_text::uuid;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION wallet.uuid_or_null(text) FROM PUBLIC;
