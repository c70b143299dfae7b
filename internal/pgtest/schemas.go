package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Schemas hands tests migrated schemas, each as empty as a new one, without migrating one per
// test: the contract suites open a store in a new schema for each of their ~150 subtests, and
// creating, migrating and dropping one cost 1.5 s on a quiet machine and nearly 4 s in CI
// (dozens of tables, indexes and triggers, created and dropped in PostgreSQL's catalogs and
// files), most of the suite's time. A schema migrated once is reset when its test ends and
// given to the next: its rows deleted, the rows migrate left put back, its sequences set where
// migrate left them, all in one transaction (tens of milliseconds). The reset is checked: a
// schema whose tables, columns, indexes, constraints, triggers or functions differ from those
// migrate made (a test altered it), or whose row counts after the reset are not migrate's, is
// dropped instead of reused.
//
// What a reused schema does not share with a new one is its files: deleted rows are dead
// tuples until autovacuum clears them, and the planner's statistics are those of earlier
// tests. No store's behaviour depends on either, but a test that counts the pages a statement
// reads, or asserts a plan, should use FreshSchema.
//
// Close drops every schema Schemas made; TestMain calls it once the tests have run (DropAfter).
type Schemas struct {
	migrate func(ctx context.Context, url string) error

	mu    sync.Mutex
	shape *shape   // of the first schema migrated; nil until then
	free  []schema // reset, waiting for a test
	made  []schema // every schema made and not dropped, for Close

	// conn is the connection that reads and resets the schemas, one at a time, kept from one
	// to the next: a new connection's catalog caches are cold, and on a busy machine a reset's
	// first query took 150 ms on one, 15 on a connection that had run it before.
	connMu sync.Mutex
	conn   *pgx.Conn
}

// schema is one schema of the pool, on the server at base.
type schema struct{ base, name string }

func (s schema) url() string { return WithParam(s.base, "search_path", s.name) }

// NewSchemas returns a pool whose schemas migrate brings up to date: given the URL of a new
// schema (its search_path), it must make it what a store's first Open makes it, and close
// every connection it opened before returning.
func NewSchemas(migrate func(ctx context.Context, url string) error) *Schemas {
	return &Schemas{migrate: migrate}
}

// migrateTimeout bounds one migration of a new schema: about a second on a quiet machine,
// several under a busy CI run.
const migrateTimeout = 2 * time.Minute

// Schema returns the URL (search_path set) of a migrated schema for t alone, as empty as a
// new one: a schema another test used and left reset, or a new one migrated. When t ends it
// is reset for the next test. It skips t without a server (fails it when RequireEnv is 1), as
// ServerURL.
func (p *Schemas) Schema(t testing.TB) string {
	t.Helper()
	base := ServerURL(t)
	p.mu.Lock()
	var s schema
	if i := slices.IndexFunc(p.free, func(s schema) bool { return s.base == base }); i >= 0 {
		s = p.free[i]
		p.free = slices.Delete(p.free, i, i+1)
	}
	p.mu.Unlock()
	if s.name == "" {
		var err error
		if s, err = p.make(base); err != nil {
			t.Fatalf("pgtest: %v", err)
		}
	}
	t.Cleanup(func() { p.put(t, s) })
	return s.url()
}

// make creates and migrates a new schema; the first one made gives the pool its shape.
func (p *Schemas) make(base string) (schema, error) {
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
	defer cancel()
	s := schema{base: base, name: newSchemaName()}
	if err := exec(ctx, base, "CREATE SCHEMA "+s.name); err != nil {
		return schema{}, err
	}
	p.mu.Lock()
	p.made = append(p.made, s)
	p.mu.Unlock()
	if err := p.migrate(ctx, s.url()); err != nil {
		return schema{}, fmt.Errorf("migrate a new schema: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shape == nil { // under the lock: the first to get here measures, the others wait
		err := p.on(ctx, s, func(conn *pgx.Conn) (err error) {
			p.shape, err = measure(ctx, conn)
			return err
		})
		if err != nil {
			return schema{}, fmt.Errorf("read the migrated schema: %w", err)
		}
	}
	return s, nil
}

// on runs f on p.conn with s first on its search_path, connecting first if need be.
func (p *Schemas) on(ctx context.Context, s schema, f func(*pgx.Conn) error) error {
	p.connMu.Lock()
	defer p.connMu.Unlock()
	if p.conn != nil && (p.conn.IsClosed() || p.conn.Config().ConnString() != s.base) {
		_ = p.conn.Close(ctx)
		p.conn = nil
	}
	if p.conn == nil {
		conn, err := pgx.Connect(ctx, s.base)
		if err != nil {
			return fmt.Errorf("connect to the test database: %w", err)
		}
		p.conn = conn
	}
	if _, err := p.conn.Exec(ctx, "SET search_path TO "+s.name, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	return f(p.conn)
}

// put resets s for the next test, or drops it if it cannot be reset to what migrate made.
func (p *Schemas) put(t testing.TB, s schema) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.mu.Lock()
	sh := p.shape
	p.mu.Unlock()
	err := p.on(ctx, s, func(conn *pgx.Conn) error { return sh.reset(ctx, conn) })
	if err == nil {
		p.mu.Lock()
		p.free = append(p.free, s)
		p.mu.Unlock()
		return
	}
	if !errors.Is(err, errChanged) {
		t.Errorf("pgtest: reset schema %s: %v", s.name, err)
	} else {
		t.Logf("pgtest: schema %s dropped, not reused: %v", s.name, err)
	}
	if err := p.drop(ctx, s); err != nil {
		t.Errorf("pgtest: %v", err)
	}
}

func (p *Schemas) drop(ctx context.Context, s schema) error {
	if err := exec(ctx, s.base, "DROP SCHEMA IF EXISTS "+s.name+" CASCADE"); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.made = slices.DeleteFunc(p.made, func(m schema) bool { return m == s })
	p.free = slices.DeleteFunc(p.free, func(m schema) bool { return m == s })
	return nil
}

// Close drops every schema the pool made. Tests must have ended: TestMain calls it after
// m.Run.
func (p *Schemas) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p.mu.Lock()
	made := slices.Clone(p.made)
	p.mu.Unlock()
	var errs []error
	for _, s := range made {
		errs = append(errs, p.drop(ctx, s))
	}
	p.connMu.Lock()
	defer p.connMu.Unlock()
	if p.conn != nil {
		errs = append(errs, p.conn.Close(ctx))
		p.conn = nil
	}
	return errors.Join(errs...)
}

// TestingM is what TestMain runs: *testing.M, or goleak's wrapper of it.
type TestingM interface{ Run() int }

// DropAfter returns m with Close after its Run: a package's TestMain passes
// p.DropAfter(m) where it passed m (goleak.VerifyTestMain(p.DropAfter(m))), and the pool's
// schemas are dropped once the tests have run, before goleak looks for what they left.
func (p *Schemas) DropAfter(m TestingM) TestingM { return dropAfter{m, p} }

type dropAfter struct {
	m TestingM
	p *Schemas
}

func (d dropAfter) Run() int {
	code := d.m.Run()
	if err := d.p.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: dropping the tests' schemas: %v\n", err)
		code = max(code, 1)
	}
	return code
}

// errChanged says a schema is no longer the one migrate made: a test changed its definitions,
// or its reset left other rows than migrate's.
var errChanged = errors.New("not as migrated")

// shape is what migrate made of a schema, and how to make a used one so again.
type shape struct {
	catalog string   // its definitions, one a line (catalogSQL)
	clear   string   // disables the triggers and deletes every row, children before parents
	seeds   []seed   // the rows migrate left, to put back
	restore string   // enables the triggers and sets the sequences where migrate left them
	count   string   // counts every table's rows, in one array
	counts  []int64  // what count gives on the migrated schema
	tables  []string // in count's order, for messages
}

// seed is a table's rows as migrate left them, in COPY's text format.
type seed struct {
	copyIn string // COPY table (columns) FROM STDIN
	rows   []byte
}

// catalogSQL lists, one a line and sorted, the definitions of the schema first on the search_path: its
// relations, columns and their defaults, indexes, constraints, triggers (and whether each is
// enabled) and functions, without the schema's name (pg_get_indexdef prints it), so two
// schemas migrated alike have the same list.
const catalogSQL = `
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
SELECT replace(coalesce(string_agg(x, E'\n' ORDER BY x), ''), current_schema() || '.', '') FROM (
	SELECT format('relation %s %s %s %s', c.relname, c.relkind, c.relpersistence, c.reloptions)
	FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('column %s.%s %s %s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
		a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid))
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	WHERE c.relnamespace = (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT format('index %s', pg_get_indexdef(i.indexrelid))
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('constraint %s %s', k.conname, pg_get_constraintdef(k.oid))
	FROM pg_constraint k WHERE k.connamespace = (SELECT oid FROM ns)
	UNION ALL
	SELECT format('trigger %s %s', pg_get_triggerdef(g.oid), g.tgenabled)
	FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
	WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT g.tgisinternal
	UNION ALL
	SELECT format('function %s %s %s', p.oid::regprocedure, md5(p.prosrc), p.proconfig)
	FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
) AS defs(x)`

// measure reads the shape of the migrated schema first on conn's search_path.
func measure(ctx context.Context, conn *pgx.Conn) (*shape, error) {
	sh := &shape{}
	if err := conn.QueryRow(ctx, catalogSQL).Scan(&sh.catalog); err != nil {
		return nil, fmt.Errorf("definitions: %w", err)
	}

	rows, _ := conn.Query(ctx, `SELECT relname FROM pg_class
		WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND relkind = 'r'
		ORDER BY relname`)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("tables: %w", err)
	}
	type edge struct{ Child, Parent string }
	rows, _ = conn.Query(ctx, `SELECT c.relname, p.relname FROM pg_constraint k
		JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
		WHERE k.contype = 'f' AND k.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`)
	edges, err := pgx.CollectRows(rows, pgx.RowToStructByPos[edge])
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	type trigger struct{ Table, Name, Enabled string }
	rows, _ = conn.Query(ctx, `SELECT c.relname, g.tgname, g.tgenabled::text FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		AND NOT g.tgisinternal AND g.tgenabled <> 'D' ORDER BY 1, 2`)
	triggers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[trigger])
	if err != nil {
		return nil, fmt.Errorf("triggers: %w", err)
	}
	rows, _ = conn.Query(ctx, `SELECT relname FROM pg_class
		WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND relkind = 'S'
		ORDER BY relname`)
	sequences, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sequences: %w", err)
	}

	order, err := childrenFirst(tables, func(yield func(child, parent string) bool) {
		for _, e := range edges {
			if !yield(e.Child, e.Parent) {
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// Triggers are off while the rows go and come back, as they are not while migrate
	// inserts: a trigger on delete would write rows or counters the reset has just cleared.
	var clear, restore strings.Builder
	for _, g := range triggers {
		fmt.Fprintf(&clear, "ALTER TABLE %s DISABLE TRIGGER %s;\n", ident(g.Table), ident(g.Name))
		enable := map[string]string{"A": "ENABLE ALWAYS", "R": "ENABLE REPLICA"}[g.Enabled]
		if enable == "" {
			enable = "ENABLE"
		}
		fmt.Fprintf(&restore, "ALTER TABLE %s %s TRIGGER %s;\n", ident(g.Table), enable, ident(g.Name))
	}
	// DELETE, not TRUNCATE: TRUNCATE gives every table and index new files, 0.3–0.5 s for
	// this schema on a busy machine; deleting a test's few rows takes milliseconds.
	for _, table := range order {
		fmt.Fprintf(&clear, "DELETE FROM %s;\n", ident(table))
	}
	for _, seq := range sequences {
		var last int64
		var called bool
		if err := conn.QueryRow(ctx, "SELECT last_value, is_called FROM "+ident(seq)).Scan(&last, &called); err != nil {
			return nil, fmt.Errorf("sequence %s: %w", seq, err)
		}
		fmt.Fprintf(&restore, "SELECT setval('%s', %d, %t);\n", ident(seq), last, called)
	}
	sh.clear, sh.restore, sh.tables = clear.String(), restore.String(), tables

	counts := make([]string, len(tables))
	for i, table := range tables {
		counts[i] = "(SELECT count(*) FROM " + ident(table) + ")"
	}
	sh.count = "SELECT ARRAY[" + strings.Join(counts, ", ") + "]::bigint[]"
	if err := conn.QueryRow(ctx, sh.count).Scan(&sh.counts); err != nil {
		return nil, fmt.Errorf("count rows: %w", err)
	}
	for i, table := range tables {
		if sh.counts[i] == 0 {
			continue
		}
		// Generated columns are computed, not copied; identity columns take the copied value.
		rows, _ := conn.Query(ctx, `SELECT attname FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
			ORDER BY attnum`, ident(table))
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", table, err)
		}
		for j := range cols {
			cols[j] = ident(cols[j])
		}
		target := ident(table) + " (" + strings.Join(cols, ", ") + ")"
		var buf bytes.Buffer
		if _, err := conn.PgConn().CopyTo(ctx, &buf, "COPY "+target+" TO STDOUT"); err != nil {
			return nil, fmt.Errorf("copy %s: %w", table, err)
		}
		sh.seeds = append(sh.seeds, seed{copyIn: "COPY " + target + " FROM STDIN", rows: buf.Bytes()})
	}
	return sh, nil
}

// reset makes the schema first on conn's search_path as migrate left it, in one transaction,
// or returns errChanged (and changes nothing) if it cannot.
func (sh *shape) reset(ctx context.Context, conn *pgx.Conn) (err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	var catalog string
	if err := tx.QueryRow(ctx, catalogSQL, pgx.QueryExecModeSimpleProtocol).Scan(&catalog); err != nil {
		return fmt.Errorf("definitions: %w", err)
	}
	if catalog != sh.catalog {
		return fmt.Errorf("%w: its definitions differ from migrate's: %s", errChanged, firstDifference(sh.catalog, catalog))
	}
	if _, err := tx.Exec(ctx, sh.clear, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("delete rows: %w", err)
	}
	for _, s := range sh.seeds {
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(s.rows), s.copyIn); err != nil {
			return fmt.Errorf("%s: %w", s.copyIn, err)
		}
	}
	if _, err := tx.Exec(ctx, sh.restore, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("restore triggers and sequences: %w", err)
	}
	var counts []int64
	if err := tx.QueryRow(ctx, sh.count, pgx.QueryExecModeSimpleProtocol).Scan(&counts); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	if !slices.Equal(counts, sh.counts) {
		for i, table := range sh.tables {
			if counts[i] != sh.counts[i] {
				return fmt.Errorf("%w: %s has %d rows after the reset, %d after migrating", errChanged, table, counts[i], sh.counts[i])
			}
		}
	}
	return tx.Commit(ctx)
}

// childrenFirst orders tables so that every table comes before the tables its foreign keys
// reference (a table referencing itself is deleted in one statement, which is checked at its
// end), or fails if the references form a cycle.
func childrenFirst(tables []string, refs func(yield func(child, parent string) bool)) ([]string, error) {
	children := map[string]map[string]bool{} // parent → the tables referencing it
	for child, parent := range refs {
		if child == parent {
			continue
		}
		if children[parent] == nil {
			children[parent] = map[string]bool{}
		}
		children[parent][child] = true
	}
	var order []string
	done := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t] {
				continue
			}
			ready := true
			for c := range children[t] {
				if !done[c] {
					ready = false
					break
				}
			}
			if ready {
				order = append(order, t)
				done[t] = true
				progress = true
			}
		}
		if !progress {
			return nil, errors.New("the tables' foreign keys form a cycle: no order deletes their rows")
		}
	}
	return order, nil
}

// firstDifference names the first definition that one of two lists has and the other has not.
func firstDifference(was, is string) string {
	a, b := strings.Split(was, "\n"), strings.Split(is, "\n")
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return fmt.Sprintf("%q added", b[i])
		case i >= len(b) || a[i] < b[i]:
			return fmt.Sprintf("%q gone", a[i])
		case a[i] > b[i]:
			return fmt.Sprintf("%q added", b[i])
		}
	}
	return "none"
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// exec runs sql on a connection of its own to the database at dbURL.
func exec(ctx context.Context, dbURL, sql string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to the test database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
