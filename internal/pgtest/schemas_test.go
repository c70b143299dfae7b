package pgtest

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// migrateShop makes the schema at dbURL a small one with what reset must undo: an identity
// column, a sequence of its own, a generated column, a foreign key, a trigger that writes
// another table, and rows migrate leaves behind.
func migrateShop(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `
CREATE TABLE shops (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL UNIQUE,
	name_len int GENERATED ALWAYS AS (length(name)) STORED);
CREATE TABLE items (shop bigint NOT NULL REFERENCES shops (id), name text NOT NULL);
CREATE TABLE counters (kind text PRIMARY KEY, n bigint NOT NULL);
CREATE SEQUENCE tickets;
CREATE FUNCTION count_item() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE counters SET n = n + 1 WHERE kind = 'items';
	RETURN NULL;
END $$;
CREATE TRIGGER items_counted AFTER INSERT OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION count_item();
INSERT INTO counters VALUES ('items', 0);
INSERT INTO shops (name) VALUES ('seed');
SELECT nextval('tickets');`)
	return err
}

// schemaOf returns the schema of a URL Schemas gave.
func schemaOf(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}

// query runs sql on a connection to dbURL and returns its first column, as text.
func query(t *testing.T, dbURL, sql string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, _ := conn.Query(t.Context(), sql)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return got
}

// TestSchemasStartAsMigrated: a schema a test filled is handed to the next test as migrate
// left it: the rows migrate wrote and only those, the identity and the sequence where it
// left them, and the trigger, off while the rows were deleted, on again.
func TestSchemasStartAsMigrated(t *testing.T) {
	base := ServerURL(t)
	p := NewSchemas(migrateShop)
	var first string
	t.Run("Fill", func(t *testing.T) {
		u := p.Schema(t)
		first = schemaOf(t, u)
		Exec(t, u, `INSERT INTO shops (name) VALUES ('a'), ('bb')`)
		Exec(t, u, `INSERT INTO items SELECT id, 'x' FROM shops`)
		Exec(t, u, `SELECT nextval('tickets') FROM generate_series(1, 5)`)
		Exec(t, u, `INSERT INTO counters VALUES ('other', 7)`)
	})
	t.Run("Again", func(t *testing.T) {
		u := p.Schema(t)
		if got := schemaOf(t, u); got != first {
			t.Fatalf("the second test got schema %s, not the first's %s: nothing was reused", got, first)
		}
		for _, c := range []struct{ sql, want string }{
			{`SELECT format('%s %s %s', id, name, name_len) FROM shops ORDER BY id`, "1 seed 4"},
			{`SELECT count(*)::text FROM items`, "0"},
			{`SELECT format('%s %s', kind, n) FROM counters ORDER BY kind`, "items 0"},
			{`SELECT nextval('tickets')::text`, "2"},
			{`INSERT INTO shops (name) VALUES ('new') RETURNING id::text`, "2"},
			{`WITH i AS (INSERT INTO items VALUES (1, 'y')) SELECT 'inserted'`, "inserted"},
			{`SELECT n::text FROM counters WHERE kind = 'items'`, "1"}, // the trigger is on
		} {
			if got := query(t, u, c.sql); !slices.Equal(got, []string{c.want}) {
				t.Errorf("%s = %q, want %q", c.sql, got, c.want)
			}
		}
	})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, base, `SELECT nspname FROM pg_namespace WHERE nspname = '`+first+`'`); len(got) != 0 {
		t.Errorf("schema %s is still there after Close", first)
	}
}

// TestSchemasDropAChangedSchema: a schema whose definitions a test changed is dropped when
// the test ends, and the next test gets another, as migrate made it.
func TestSchemasDropAChangedSchema(t *testing.T) {
	base := ServerURL(t)
	p := NewSchemas(migrateShop)
	defer p.Close()
	for _, change := range []string{
		`ALTER TABLE items ADD COLUMN price int`,
		`ALTER TABLE items DISABLE TRIGGER items_counted`,
		`CREATE INDEX items_name ON items (name)`,
		`CREATE OR REPLACE FUNCTION count_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
	} {
		var changed string
		t.Run("Change", func(t *testing.T) {
			u := p.Schema(t)
			changed = schemaOf(t, u)
			Exec(t, u, change)
		})
		t.Run("Next", func(t *testing.T) {
			u := p.Schema(t)
			if schemaOf(t, u) == changed {
				t.Errorf("after %s, the next test got the changed schema", change)
			}
			if got := query(t, base, `SELECT nspname FROM pg_namespace WHERE nspname = '`+changed+`'`); len(got) != 0 {
				t.Errorf("after %s, the changed schema is still there", change)
			}
			Exec(t, u, `INSERT INTO items VALUES (1, 'y')`) // as migrate made it: no price, counted
			if got := query(t, u, `SELECT n::text FROM counters`); !slices.Equal(got, []string{"1"}) {
				t.Errorf("after %s, the next schema's trigger counted %q items, want 1", change, got)
			}
		})
	}
}

// TestChildrenFirst: rows are deleted from a table before those its rows reference; a cycle
// of references is refused.
func TestChildrenFirst(t *testing.T) {
	refs := func(pairs ...string) func(func(string, string) bool) {
		return func(yield func(string, string) bool) {
			for i := 0; i < len(pairs); i += 2 {
				if !yield(pairs[i], pairs[i+1]) {
					return
				}
			}
		}
	}
	got, err := childrenFirst([]string{"a", "b", "c", "d"}, refs("b", "c", "a", "b", "d", "d"))
	if err != nil || !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("childrenFirst = %q, %v; want a b c d", got, err)
	}
	got, err = childrenFirst([]string{"c", "b", "a"}, refs("a", "b", "b", "c"))
	if err != nil || !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("childrenFirst = %q, %v; want a b c", got, err)
	}
	if got, err := childrenFirst([]string{"a", "b"}, refs("a", "b", "b", "a")); err == nil {
		t.Errorf("childrenFirst of a cycle = %q, want an error", got)
	}
}
