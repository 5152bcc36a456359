-- The uuid a text spells (any spelling PostgreSQL reads: braces, upper case, no
-- hyphens), or NULL if it spells none. Lets wallet_post_batch (when an item spells none)
-- and wallet_import order items by the uuid value before each item's own checks run.
CREATE OR REPLACE FUNCTION wallet.uuid_or_null(p_text text) RETURNS uuid
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    -- the usual spelling (36 characters, hex digits and hyphens, the hyphens in place) without
    -- the subtransaction an exception block costs; tested so, not by a regex with bounded
    -- repetitions or translate(), which cost three times as much
    IF octet_length(p_text) = 36 AND p_text ~ '^[0-9a-fA-F-]+$' AND substr(p_text, 9, 1) = '-'
       AND substr(p_text, 14, 1) = '-' AND substr(p_text, 19, 1) = '-' AND substr(p_text, 24, 1) = '-'
       AND length(replace(p_text, '-', '')) = 32 THEN
        RETURN p_text::uuid;
    END IF;
    BEGIN
        RETURN p_text::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        RETURN NULL;
    END;
END
$$;

REVOKE ALL ON FUNCTION wallet.uuid_or_null(text) FROM PUBLIC;
