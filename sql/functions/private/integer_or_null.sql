-- The integer a text spells ('1', '01', ' 1'), or NULL if it spells none or is out of
-- range. Lets wallet_post_batch order items by the asset id's value.
CREATE OR REPLACE FUNCTION wallet.integer_or_null(p_text text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    -- the usual spelling (1 to 9 digits) without the subtransaction an exception block
    -- costs, nor a regex's bounded repetition
    IF octet_length(p_text) BETWEEN 1 AND 9 AND p_text ~ '^[0-9]+$' THEN
        RETURN p_text::integer;
    END IF;
    BEGIN
        RETURN p_text::integer;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RETURN NULL;
    END;
END
$$;

REVOKE ALL ON FUNCTION wallet.integer_or_null(text) FROM PUBLIC;
