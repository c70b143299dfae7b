package fulltext

import (
	"math"
	"time"

	"hubbub"
)

// Plan is a checked search query, what a store needs to run it.
type Plan struct {
	Query
	// Limit is the page size, 1 to hubbub.MaxSearchLimit.
	Limit int
	// Relevance is true for hubbub.SearchRelevance.
	Relevance bool
	// After is the key the page starts after (nil: the first page).
	After *Key
	// SinceMS ≤ a hit's Time in Unix ms < UntilMS (the widest int64 range when q sets none).
	SinceMS, UntilMS int64
}

// Prepare checks q as the Searcher contract says, for every store alike: the text
// (ECodeLimit, ECodeEmpty), the number of rooms (ECodeLimit), the order and the cursor
// (ECodeBadField). A store then returns an empty page for empty Rooms.
func Prepare(q hubbub.SearchQuery) (Plan, error) {
	parsed, err := Parse(q.Text)
	if err != nil {
		return Plan{}, err
	}
	if len(q.Rooms) > hubbub.MaxSearchRooms {
		return Plan{}, hubbub.Errorf(hubbub.ECodeLimit, "a search covers at most %d rooms", hubbub.MaxSearchRooms)
	}
	p := Plan{Query: parsed, Limit: q.Limit}
	switch q.Order {
	case "", hubbub.SearchNewest:
	case hubbub.SearchRelevance:
		p.Relevance = true
	default:
		return Plan{}, hubbub.Errorf(hubbub.ECodeBadField, "search order must be %q or %q", hubbub.SearchNewest, hubbub.SearchRelevance)
	}
	switch {
	case p.Limit <= 0:
		p.Limit = hubbub.DefaultSearchLimit
	case p.Limit > hubbub.MaxSearchLimit:
		p.Limit = hubbub.MaxSearchLimit
	}
	if q.Cursor != "" {
		k, err := DecodeCursor(q)
		if err != nil {
			return Plan{}, err
		}
		p.After = &k
	}
	p.SinceMS, p.UntilMS = math.MinInt64, math.MaxInt64
	if !q.Since.IsZero() {
		p.SinceMS = ceilMilli(q.Since)
	}
	if !q.Until.IsZero() {
		p.UntilMS = ceilMilli(q.Until)
	}
	return p, nil
}

// ceilMilli returns t in Unix ms rounded up: a time of whole ms is ≥ t (or < t) exactly when
// it is ≥ (or <) ceilMilli(t).
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
