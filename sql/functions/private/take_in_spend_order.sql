-- Plans taking p_amount from a wallet's spendable lots in the asset's spend order: the
-- first class, then the other; within a class expiring lots soonest first, then the
-- rest, oldest first. Writes nothing: returns the lots, what to take from each (in
-- order) and the split, which add up to less than p_amount when the lots hold less.
-- Holds and spends over several lots plan with it; the caller holds the wallet lock.
-- p_paid and p_free are the wallet's cached credit of each class, when the caller has
-- read them: a class it holds none of is not searched. Usually the first lot covers
-- the amount: one probe, and no loop.
CREATE OR REPLACE FUNCTION wallet.take_in_spend_order(
    p_account_id    bigint,
    p_asset_type_id integer,
    p_amount        bigint,
    p_now           timestamptz,
    p_paid          bigint DEFAULT NULL,
    p_free          bigint DEFAULT NULL,
    OUT lot_ids     bigint[],
    OUT lot_amounts bigint[],
    OUT paid        bigint,
    OUT free        bigint
)
LANGUAGE plpgsql
STABLE
AS $$
DECLARE
    v_left  bigint := p_amount;
    v_class text;
    v_lot   record;
    v_take  bigint;
BEGIN
    IF p_free = 0 AND p_paid = 0 THEN
        lot_ids := '{}'; lot_amounts := '{}'; paid := 0; free := 0;
        RETURN;
    ELSIF p_free = 0 THEN
        v_class := 'paid';
    ELSIF p_paid = 0 THEN
        v_class := 'free';
    ELSE  -- in its own statement: inside the probe's expression, the sub-select made every call plan it anew
        SELECT CASE t.spend_order WHEN 'paid_first' THEN 'paid' ELSE 'free' END INTO v_class
        FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id;
    END IF;
    SELECT l.lot_id, l.remaining INTO v_lot FROM wallet.lots l
    WHERE l.account_id = p_account_id AND l.asset_type_id = p_asset_type_id
      AND l.class = v_class AND l.open AND coalesce(l.expires_at, 'infinity') > p_now
    ORDER BY coalesce(l.expires_at, 'infinity'), l.lot_id
    LIMIT 1;
    IF v_lot.remaining >= p_amount THEN
        lot_ids := ARRAY[v_lot.lot_id]; lot_amounts := ARRAY[p_amount];
        paid := CASE WHEN v_class = 'paid' THEN p_amount ELSE 0 END; free := p_amount - paid;
        RETURN;
    END IF;
    lot_ids := '{}'; lot_amounts := '{}'; paid := 0; free := 0;
    FOREACH v_class IN ARRAY
        CASE (SELECT t.spend_order FROM wallet.asset_types t WHERE t.asset_type_id = p_asset_type_id)
            WHEN 'paid_first' THEN ARRAY['paid', 'free'] ELSE ARRAY['free', 'paid'] END
    LOOP
        CONTINUE WHEN CASE v_class WHEN 'paid' THEN p_paid ELSE p_free END = 0;
        FOR v_lot IN
            SELECT l.lot_id, l.remaining FROM wallet.lots l
            WHERE l.account_id = p_account_id AND l.asset_type_id = p_asset_type_id
              AND l.class = v_class AND l.open AND coalesce(l.expires_at, 'infinity') > p_now
            ORDER BY coalesce(l.expires_at, 'infinity'), l.lot_id
        LOOP
            v_take := least(v_left, v_lot.remaining);
            lot_ids := lot_ids || v_lot.lot_id;
            lot_amounts := lot_amounts || v_take;
            v_left := v_left - v_take;
            IF v_class = 'paid' THEN paid := paid + v_take; ELSE free := free + v_take; END IF;
            EXIT WHEN v_left = 0;
        END LOOP;
        EXIT WHEN v_left = 0;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION wallet.take_in_spend_order(bigint, integer, bigint, timestamptz, bigint, bigint) FROM PUBLIC;
