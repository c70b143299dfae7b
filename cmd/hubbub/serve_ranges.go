package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"hubbub/internal/nats"
	"hubbub/internal/netpoll"
	"hubbub/internal/nodecheck"
	"hubbub/internal/postgres"
	"hubbub/internal/sqlite"
)

// flagRange is the range a numeric serve flag takes, low to high inclusive: numbers for an
// int flag, nanoseconds (a time.Duration) for a duration flag.
type flagRange struct {
	flag      string
	low, high int64
}

// serveRanges are the serve flags whose values serve itself bounds at start, each refused
// outside its range as "invalid --flag V: want LOW to HIGH" (checkRanges). Each flag's help
// states the same range (TestServeRangesMatchTheHelp), and a flag whose help states a range
// is here unless another check named there bounds it. Negatives are refused before
// (refuseNegative), and a 0 a flag does not take (refuseZero).
var serveRanges = []flagRange{
	{"sqlite-wal-pages", 1, sqlite.MaxWALPages},
	{"sqlite-max-batch", 1, sqlite.MaxMaxBatch},
	{"postgres-search-lag", 1, postgres.MaxSearchLag},
	{"postgres-writers", 1, postgres.MaxWriters},
	{"postgres-max-batch", 1, postgres.MaxMaxBatch},
	{"postgres-batch-window", 0, int64(postgres.MaxBatchWindow)},
	{"nats-dispatch-queue", 1, nats.MaxDispatchQueue},
	{"sqlite-search-lag", 0, sqlite.MaxSearchLag},
	{"sqlite-search-slice", 1, sqlite.MaxSearchSlice},
	{"poll-idle-readers", 0, netpoll.MaxIdleReaders},
	{"sqlite-batch-window", 0, int64(sqlite.MaxBatchWindow)},
	{"sqlite-sync-ahead", 1, sqlite.MaxSyncAhead},
	{"node-check-interval", int64(nodecheck.MinInterval), int64(nodecheck.MaxInterval)},
}

// checkRanges refuses the first flag of fs outside its range in ranges, naming where its
// value came from (src).
func checkRanges(fs *flag.FlagSet, src settingSources, ranges []flagRange) error {
	for _, r := range ranges {
		f := fs.Lookup(r.flag)
		if f == nil {
			return fmt.Errorf("range of --%s: no such flag", r.flag)
		}
		v, low, high, err := r.bounds(f)
		if err != nil {
			return err
		}
		if v < r.low || v > r.high {
			return usageError(fmt.Sprintf("invalid --%s %s: want %s to %s%s", r.flag, f.Value, low, high, src.from(r.flag)))
		}
	}
	return nil
}

// bounds returns f's value as r counts it and r's bounds as f's kind of value prints them.
func (r flagRange) bounds(f *flag.Flag) (v int64, low, high string, err error) {
	g, _ := f.Value.(flag.Getter)
	if g == nil {
		return 0, "", "", fmt.Errorf("range of --%s: not a numeric flag", r.flag)
	}
	switch x := g.Get().(type) {
	case int:
		return int64(x), strconv.FormatInt(r.low, 10), strconv.FormatInt(r.high, 10), nil
	case int64:
		return x, strconv.FormatInt(r.low, 10), strconv.FormatInt(r.high, 10), nil
	case time.Duration:
		low := time.Duration(r.low).String()
		if r.low == 0 {
			low = "0" // as the help says it: "0 = never wait"
		}
		return int64(x), low, time.Duration(r.high).String(), nil
	}
	return 0, "", "", fmt.Errorf("range of --%s: not an int or a duration flag", r.flag)
}
