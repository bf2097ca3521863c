-- What schema version 7 changed from version 6 (migration step 6 -> 7 in
-- jitd/store.c, "fair outbox order, retention"), frozen; see store-schema-v2.sql.
ALTER TABLE outbox ADD COLUMN requester TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN turn INTEGER NOT NULL DEFAULT 0 CHECK (turn >= 0);
UPDATE outbox SET requester = coalesce((SELECT user FROM requests WHERE requests.id = outbox.request_id), '');
UPDATE outbox SET turn = numbered.turn FROM
        (SELECT id, row_number() OVER (PARTITION BY endpoint, requester ORDER BY id) - 1 AS turn
         FROM outbox WHERE state = 'pending') AS numbered
        WHERE outbox.id = numbered.id;
CREATE INDEX outbox_fair ON outbox (endpoint, turn, id) WHERE state = 'pending';
CREATE INDEX outbox_requester_turn ON outbox (endpoint, requester, turn) WHERE state = 'pending';
CREATE INDEX outbox_created ON outbox (created_at);
