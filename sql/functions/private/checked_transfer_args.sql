-- A transfer's arguments, refused in the contract's order before any account is read:
-- both users and the asset named, two different users (invalid_request), a fee of 0 or
-- more, an amount from 1 to 2^53-1 and an amount plus fee within it (invalid_amount).
-- Shared by wallet_transfer and the steps of a transfer between shards.
CREATE OR REPLACE FUNCTION wallet.checked_transfer_args(
    p_from_user_id  uuid,
    p_to_user_id    uuid,
    p_asset_type_id integer,
    p_amount        bigint,
    p_fee           bigint
) RETURNS void
LANGUAGE plpgsql
IMMUTABLE
AS $$
BEGIN
    IF p_from_user_id IS NULL OR p_to_user_id IS NULL OR p_asset_type_id IS NULL THEN
        RAISE EXCEPTION 'invalid_request: from_user_id, to_user_id and asset_type_id are required'
            USING ERRCODE = 'WA002';
    END IF;
    IF p_from_user_id = p_to_user_id THEN
        RAISE EXCEPTION 'invalid_request: a transfer needs two different users' USING ERRCODE = 'WA002';
    END IF;
    IF p_fee IS NULL OR p_fee < 0 THEN
        RAISE EXCEPTION 'invalid_amount: fee must be 0 or more'
            USING ERRCODE = 'WA001', DETAIL = format('fee: %s', coalesce(p_fee::text, 'null'));
    END IF;
    IF p_amount IS NULL OR p_amount NOT BETWEEN 1 AND 9007199254740991 THEN
        RAISE EXCEPTION 'invalid_amount: amount must be an integer from 1 to 9007199254740991'
            USING ERRCODE = 'WA001', DETAIL = format('amount: %s', coalesce(p_amount::text, 'null'));
    END IF;
    IF p_amount + p_fee > 9007199254740991 THEN
        RAISE EXCEPTION 'invalid_amount: amount plus fee must be at most 9007199254740991'
            USING ERRCODE = 'WA001', DETAIL = format('amount: %s, fee: %s', p_amount, p_fee);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION wallet.checked_transfer_args(uuid, uuid, integer, bigint, bigint) FROM PUBLIC;
