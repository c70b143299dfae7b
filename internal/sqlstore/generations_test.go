package sqlstore

import (
	"strings"
	"testing"

	"hubbub"
)

// genRows is rows of GenerationsSQL: (kind, gen) pairs.
type genRows struct {
	kinds []string
	gens  []int64
	at    int
}

func (r *genRows) Next() bool { r.at++; return r.at <= len(r.kinds) }
func (r *genRows) Scan(dest ...any) error {
	*dest[0].(*string), *dest[1].(*int64) = r.kinds[r.at-1], r.gens[r.at-1]
	return nil
}
func (r *genRows) Err() error { return nil }

// TestReadGenerations: the three kinds land in their counts; a kind this build does not know,
// or a negative count, is an error rather than a count read as unchanged.
func TestReadGenerations(t *testing.T) {
	g, err := ReadGenerations(&genRows{kinds: []string{"users", "commands", "rooms"}, gens: []int64{3, 5, 7}})
	if want := (hubbub.Generations{Users: 3, Commands: 5, Rooms: 7}); err != nil || g != want {
		t.Errorf("ReadGenerations = %+v, %v; want %+v", g, err, want)
	}
	for _, c := range []struct {
		kind string
		gen  int64
		want string
	}{{"bots", 1, "unknown generation"}, {"users", -1, "negative"}} {
		if _, err := ReadGenerations(&genRows{kinds: []string{c.kind}, gens: []int64{c.gen}}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadGenerations(%s %d) = %v, want an error containing %q", c.kind, c.gen, err, c.want)
		}
	}
}
