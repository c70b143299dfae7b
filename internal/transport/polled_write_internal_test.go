//go:build linux

package transport

import (
	"bytes"
	"testing"

	"hubbub/internal/hub"
	"hubbub/internal/metrics"
)

// Writing a crowded room's joined frame (a raw envelope in parts) with metrics on copies its
// shared list once, into the write buffer: counting the frame written must not join the parts
// into a frame of their own (that copy was the one the parts exist to save).
func TestWritingRawPartsAllocatesNothingMore(t *testing.T) {
	m := metrics.New()
	shared := bytes.Repeat([]byte(`"name",`), 1000)
	var batch []*hub.Envelope
	build := func() { // a fresh envelope each time: a frame joined once is kept by it
		batch = append(batch[:0], hub.NewRawParts([]byte(`{"members":[`), shared, []byte(`"x"]}`)))
	}
	buf := make([]byte, 0, 64<<10)
	built := testing.AllocsPerRun(100, build)
	allocs := testing.AllocsPerRun(100, func() {
		build()
		buf = appendFrames(buf[:0], batch, nil, false)
		observeWritten(m, batch, nil, false)
	})
	if allocs != built {
		t.Fatalf("%v allocations per frame in parts built and written, %v built: want no more", allocs, built)
	}
	want := `{"members":[` + string(shared) + `"x"]}`
	if got := string(buf[len(buf)-len(want):]); got != want {
		t.Fatalf("the frame written is %.40q…, want %.40q…", got, want)
	}
}
