-- A role may be held at one store (location code) of the program: a Front-Line Manager of store
-- S voids only what was posted at S. '' : every store.
ALTER TABLE role_assignments ADD COLUMN store text NOT NULL DEFAULT '' CHECK (length(store) <= 64);
