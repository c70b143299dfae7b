package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"
)

// TestQueryIn: each $n becomes the store's mark, numbers of more than one digit whole, and a
// '$' not followed by a digit stays as it is.
func TestQueryIn(t *testing.T) {
	sqlite := func(n int) string { return "?" + strconv.Itoa(n) }
	for q, want := range map[Query]string{
		`SELECT 1`:                    `SELECT 1`,
		`a = $1 AND b = $2 OR c = $1`: `a = ?1 AND b = ?2 OR c = ?1`,
		`x = $12`:                     `x = ?12`,
		`'$' || $3 || '$x'`:           `'$' || ?3 || '$x'`,
		`$1`:                          `?1`,
		`ends with $`:                 `ends with $`,
	} {
		if got := q.In(sqlite); got != want {
			t.Errorf("%q.In = %q, want %q", q, got, want)
		}
	}
	pg := NewOutboxSQL(func(n int) string { return "$" + strconv.Itoa(n) })
	if pg.UpdateWebhook != `UPDATE webhooks SET url = $1, rooms = $2, events = $3, secret = $4, paused = $5 WHERE id = $6` {
		t.Errorf("PostgreSQL's marks changed the statement: %q", pg.UpdateWebhook)
	}
}

// TestReadFind: Read and Find fail as Begin does without calling their function, wrap its
// error for the operation and return the zero value with it, and pass a result through.
func TestReadFind(t *testing.T) {
	g := &Guard{Name: "db"}
	ctx := t.Context()
	boom := errors.New("boom")
	if out, err := Read(ctx, g, OpRooms, func() ([]int, error) { return []int{1}, boom }); out != nil || !errors.Is(err, boom) || err.Error() != "db: rooms: boom" {
		t.Errorf("Read with an error = %v, %v", out, err)
	}
	if out, err := Read(ctx, g, OpRooms, func() ([]int, error) { return []int{1}, nil }); !reflect.DeepEqual(out, []int{1}) || err != nil {
		t.Errorf("Read = %v, %v", out, err)
	}
	if out, found, err := Find(ctx, g, OpSince, func() (int, bool, error) { return 7, true, boom }); out != 0 || found || err.Error() != "db: since: boom" {
		t.Errorf("Find with an error = %v, %v, %v", out, found, err)
	}
	if out, found, err := Find(ctx, g, OpSince, func() (int, bool, error) { return 7, true, nil }); out != 7 || !found || err != nil {
		t.Errorf("Find = %v, %v, %v", out, found, err)
	}
	if err := g.Do(ctx, OpPrune, func() error { return boom }); err == nil || err.Error() != "db: prune: boom" {
		t.Errorf("Do with an error = %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	called := false
	if _, err := Read(done, g, OpRooms, func() (int, error) { called = true; return 0, nil }); !errors.Is(err, context.Canceled) || called {
		t.Errorf("Read with a done context = %v (called %v)", err, called)
	}
	_ = g.Close()
	if _, _, err := Find(ctx, g, OpSince, func() (int, bool, error) { called = true; return 0, false, nil }); !errors.Is(err, ErrClosed) || called {
		t.Errorf("Find on a closed store = %v (called %v)", err, called)
	}
	if err := g.Do(ctx, OpPrune, func() error { called = true; return nil }); !errors.Is(err, ErrClosed) || called {
		t.Errorf("Do on a closed store = %v (called %v)", err, called)
	}
}

// sliceRows is Rows over values, failing at fail (a row's index; -1 never) or at the end with end.
type sliceRows struct {
	values []int
	i      int
	fail   int
	end    error
}

func (r *sliceRows) Next() bool { r.i++; return r.i <= len(r.values) }
func (r *sliceRows) Scan(dest ...any) error {
	if r.i-1 == r.fail {
		return errors.New("bad row")
	}
	*dest[0].(*int) = r.values[r.i-1]
	return nil
}
func (r *sliceRows) Err() error { return r.end }

// TestReadRows: every row scanned in order; a scan's error or the rows' error ends it with
// nothing; Listed makes an empty list [] and keeps an error.
func TestReadRows(t *testing.T) {
	scan := func(r *sliceRows) (int, error) {
		var v int
		err := r.Scan(&v)
		return v * 10, err
	}
	if got, err := ReadRows(&sliceRows{values: []int{1, 2, 3}, fail: -1}, scan); !reflect.DeepEqual(got, []int{10, 20, 30}) || err != nil {
		t.Errorf("ReadRows = %v, %v", got, err)
	}
	if got, err := ReadRows(&sliceRows{values: []int{1, 2, 3}, fail: 1}, scan); got != nil || err == nil {
		t.Errorf("ReadRows with a bad row = %v, %v", got, err)
	}
	end := errors.New("connection lost")
	if got, err := ReadRows(&sliceRows{values: []int{1}, fail: -1, end: end}, scan); got != nil || !errors.Is(err, end) {
		t.Errorf("ReadRows with the rows' error = %v, %v", got, err)
	}
	if got, err := Listed(ReadRows(&sliceRows{fail: -1}, scan)); got == nil || len(got) != 0 || err != nil {
		t.Errorf("Listed of no rows = %#v, %v", got, err)
	}
	if got, err := Listed([]int(nil), end); got != nil || err != end {
		t.Errorf("Listed with an error = %#v, %v", got, err)
	}
	if got, err := Result(5, end); got != 0 || err != end {
		t.Errorf("Result with an error = %v, %v", got, err)
	}
}
