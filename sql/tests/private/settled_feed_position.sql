-- wallet.settled_feed_position: the feed's last position placed by a committed
-- transaction; positions the caller's own transaction placed are not counted.
BEGIN;
SELECT plan(4);

SELECT wallet_open_account('e4000000-0000-4000-8000-000000000001', 'Settled feed');
SELECT * FROM wallet_topup('e4000000-0000-4000-8000-000000000001', 1, 10, 'sf-1');
CREATE TEMP TABLE before AS SELECT wallet.settled_feed_position() AS p;
SELECT wallet.place_events();
SELECT is(wallet.settled_feed_position(), (SELECT p FROM before),
          'positions this transaction placed are not counted: a rollback would take them back');
SELECT cmp_ok((SELECT max(event_id) FROM wallet.event_feed), '>', (SELECT p FROM before), 'though they are placed');
UPDATE wallet.feed_placer SET before_position = last_position;  -- as once the placer committed
SELECT is(wallet.settled_feed_position(), (SELECT max(event_id) FROM wallet.event_feed), 'the last position placed');


SELECT * FROM wallet_topup('e4000000-0000-4000-8000-000000000001', 1, 10, 'sf-2');
CREATE TEMP TABLE before_savepoint AS SELECT wallet.settled_feed_position() AS p;
SAVEPOINT sub;  -- as an EXCEPTION block, or a consumer's savepoint, would place
SELECT wallet.place_events();
RELEASE SAVEPOINT sub;
SELECT is(wallet.settled_feed_position(), (SELECT p FROM before_savepoint),
          'nor positions it placed in a subtransaction, whose id is not its own');

SELECT * FROM finish();
ROLLBACK;
