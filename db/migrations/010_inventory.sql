-- 010: inventory. Items, lots and expiry, locations with par levels, stock movements (the only
-- way stock changes) with a maintained balance per lot and location, visit supply kits and the
-- shortfalls they flag, vendors, service contractors and purchase orders.
--
-- DuckDB traps kept in mind here: a UNIQUE column of a row that a foreign key references cannot
-- be updated (so names are unique in code; SKU and lot_key are never changed once written), and
-- there is no CASCADE (nothing here is deleted: items and vendors are deactivated).

CREATE SEQUENCE vendors_id_seq START 1;
CREATE TABLE vendors (
    id             BIGINT PRIMARY KEY DEFAULT nextval('vendors_id_seq'),
    name           VARCHAR NOT NULL,          -- unique (case-insensitive) in db/vendors.py
    contact_person VARCHAR,
    phone          VARCHAR,
    email          VARCHAR,
    account_number VARCHAR,                   -- the clinic's account number with this vendor
    lead_time_days INTEGER NOT NULL DEFAULT 7 CHECK (lead_time_days BETWEEN 0 AND 365),
    minimum_order  DECIMAL(12, 2) NOT NULL DEFAULT 0 CHECK (minimum_order >= 0),
    notes          VARCHAR,
    active         BOOLEAN NOT NULL DEFAULT TRUE
);

-- Cleaning, equipment maintenance, waste disposal...: listed for renewal 60 days before the end.
CREATE SEQUENCE service_contractors_id_seq START 1;
CREATE TABLE service_contractors (
    id             BIGINT PRIMARY KEY DEFAULT nextval('service_contractors_id_seq'),
    name           VARCHAR NOT NULL,
    service        VARCHAR NOT NULL,          -- what they do
    contact_person VARCHAR,
    phone          VARCHAR,
    email          VARCHAR,
    contract_start DATE,
    contract_end   DATE,
    notes          VARCHAR,
    active         BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE SEQUENCE stock_items_id_seq START 1;
CREATE TABLE stock_items (
    id               BIGINT PRIMARY KEY DEFAULT nextval('stock_items_id_seq'),
    sku              VARCHAR NOT NULL UNIQUE,  -- upper-cased; never changed once created
    name             VARCHAR NOT NULL,
    category         VARCHAR NOT NULL
                     CHECK (category IN ('supply', 'medication', 'vaccine', 'lab', 'office', 'cleaning')),
    unit             VARCHAR NOT NULL,          -- unit of issue: each, box of 100, vial...
    pack_size        INTEGER NOT NULL DEFAULT 1 CHECK (pack_size >= 1),  -- units of issue per ordered pack
    reorder_point    INTEGER NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
    reorder_quantity INTEGER NOT NULL DEFAULT 0 CHECK (reorder_quantity >= 0),
    -- The preferred vendor. No foreign key: DuckDB cannot update a foreign-key column of a row that
    -- other rows reference (lots, par levels, order lines), so changing the vendor of an item in
    -- stock would fail; db/stock_catalog.py checks the vendor exists and is active.
    vendor_id        BIGINT,
    unit_cost        DECIMAL(12, 2) NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
    lot_tracked      BOOLEAN NOT NULL DEFAULT FALSE,
    storage_note     VARCHAR,                   -- e.g. "fridge 2-8 °C"
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- Where stock sits: exactly one storeroom (receipts land there unless told otherwise), exam
-- rooms, the vaccine fridge. The storeroom row is made here; rooms by the admin or the seeder.
CREATE SEQUENCE stock_locations_id_seq START 1;
CREATE TABLE stock_locations (
    id       BIGINT PRIMARY KEY DEFAULT nextval('stock_locations_id_seq'),
    name     VARCHAR NOT NULL,
    kind     VARCHAR NOT NULL CHECK (kind IN ('storeroom', 'room', 'fridge')),
    position INTEGER NOT NULL DEFAULT 0,
    active   BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO stock_locations (name, kind, position) VALUES ('Storeroom', 'storeroom', 0);

-- What each room should hold at the start of the day (the morning restock list fills up to it).
CREATE TABLE stock_par_levels (
    location_id BIGINT NOT NULL REFERENCES stock_locations (id),
    item_id     BIGINT NOT NULL REFERENCES stock_items (id),
    par         INTEGER NOT NULL CHECK (par >= 0),
    PRIMARY KEY (location_id, item_id)
);

-- A lot of an item. An item not tracked by lot has exactly one row here, lot_key '' (lot_number
-- and expires_on NULL), so every balance and movement names a lot.
CREATE SEQUENCE stock_lots_id_seq START 1;
CREATE TABLE stock_lots (
    id          BIGINT PRIMARY KEY DEFAULT nextval('stock_lots_id_seq'),
    item_id     BIGINT NOT NULL REFERENCES stock_items (id),
    lot_number  VARCHAR,
    lot_key     VARCHAR NOT NULL,              -- upper(trim(lot_number)), '' for the untracked lot
    expires_on  DATE,
    unit_cost   DECIMAL(12, 2),                -- what the last receipt of this lot cost per unit
    received_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    UNIQUE (item_id, lot_key)
);

-- Every change of stock. quantity is signed: + into the location, - out of it. A transfer is
-- two rows (kind 'transfer', one - and one +) sharing transfer_id. unit_cost is the lot's cost
-- at the time, so the cost of usage and of waste is a plain sum.
CREATE SEQUENCE stock_movements_id_seq START 1;
CREATE SEQUENCE stock_transfer_id_seq START 1;
CREATE TABLE stock_movements (
    id             BIGINT PRIMARY KEY DEFAULT nextval('stock_movements_id_seq'),
    kind           VARCHAR NOT NULL
                   CHECK (kind IN ('receipt', 'usage', 'adjustment', 'expired', 'returned', 'transfer')),
    item_id        BIGINT NOT NULL,
    lot_id         BIGINT NOT NULL,
    location_id    BIGINT NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity <> 0),
    unit_cost      DECIMAL(12, 2),
    occurred_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    user_id        BIGINT,
    username       VARCHAR,
    reason         VARCHAR,
    appointment_id BIGINT,                     -- usage against a visit (a kit, or by hand)
    transfer_id    BIGINT,
    po_line_id     BIGINT                      -- a receipt against a purchase order line
);
-- (No foreign keys on the movements: two million of them at the large scale, written only by
-- db/inventory.py, which always names an existing item, lot and location.)

-- On-hand per lot and location, maintained in the same transaction as each movement (a test
-- checks it always equals the sum of movements). Concurrent takers of the same lot and location
-- update the same row, so DuckDB makes all but one of them conflict and retry; the CHECK is the
-- backstop that stock never goes below zero.
CREATE TABLE stock_balances (
    lot_id      BIGINT NOT NULL,
    location_id BIGINT NOT NULL,
    item_id     BIGINT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (lot_id, location_id)
);

-- A visit type's supply kit: what one visit of that type uses, recorded when it is completed.
CREATE TABLE visit_type_supplies (
    type_id  BIGINT NOT NULL REFERENCES visit_types (id),
    item_id  BIGINT NOT NULL REFERENCES stock_items (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (type_id, item_id)
);

-- A completed visit whose kit could not be fully taken from stock (the visit is never blocked):
-- listed on the inventory page until someone resolves it.
CREATE SEQUENCE stock_shortfalls_id_seq START 1;
CREATE TABLE stock_shortfalls (
    id             BIGINT PRIMARY KEY DEFAULT nextval('stock_shortfalls_id_seq'),
    appointment_id BIGINT NOT NULL,
    item_id        BIGINT NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),  -- units that could not be taken
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    resolved_at    TIMESTAMPTZ,
    resolved_by    BIGINT,
    note           VARCHAR
);

CREATE SEQUENCE purchase_orders_id_seq START 1;
CREATE TABLE purchase_orders (
    id          BIGINT PRIMARY KEY DEFAULT nextval('purchase_orders_id_seq'),
    vendor_id   BIGINT NOT NULL REFERENCES vendors (id),
    status      VARCHAR NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'ordered', 'partially_received', 'received', 'cancelled')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    created_by  BIGINT,
    ordered_at  TIMESTAMPTZ,
    expected_on DATE,
    closed_at   TIMESTAMPTZ,                   -- received in full, or cancelled
    note        VARCHAR,
    version     INTEGER NOT NULL DEFAULT 0     -- bumped by every change, so concurrent edits conflict
);

CREATE SEQUENCE purchase_order_lines_id_seq START 1;
CREATE TABLE purchase_order_lines (
    id                BIGINT PRIMARY KEY DEFAULT nextval('purchase_order_lines_id_seq'),
    po_id             BIGINT NOT NULL REFERENCES purchase_orders (id),
    item_id           BIGINT NOT NULL REFERENCES stock_items (id),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),        -- units of issue ordered
    unit_cost         DECIMAL(12, 2) NOT NULL CHECK (unit_cost >= 0),
    received_quantity INTEGER NOT NULL DEFAULT 0 CHECK (received_quantity >= 0),
    UNIQUE (po_id, item_id)
);

-- What is on order and not yet received, per item (counts toward the low-stock test).
CREATE VIEW stock_on_order AS
SELECT l.item_id, sum(l.quantity - least(l.received_quantity, l.quantity))::INTEGER AS on_order
FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id
WHERE p.status IN ('ordered', 'partially_received')
GROUP BY l.item_id;

CREATE INDEX stock_movements_appointment ON stock_movements (appointment_id);
