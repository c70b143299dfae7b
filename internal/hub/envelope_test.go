package hub_test

import (
	"testing"

	"hubbub/internal/hub"
)

// A raw envelope in parts is one frame to every writer: the parts in order through RawLen and
// AppendRaw (the polled transport), and the same bytes through Frame (the goroutine
// transport and the text protocol's lines), however many times it is asked.
func TestRawPartsAreOneFrame(t *testing.T) {
	shared := []byte(`["ann","bob"]`)
	e := hub.NewRawParts([]byte(`{"members":`), shared, []byte(`,"n":2}`))
	const want = `{"members":["ann","bob"],"n":2}`
	if e.RawLen() != len(want) {
		t.Fatalf("RawLen = %d, want %d", e.RawLen(), len(want))
	}
	if got := string(e.AppendRaw([]byte("x"))); got != "x"+want {
		t.Fatalf("AppendRaw = %s, want x%s", got, want)
	}
	for range 2 {
		if got := string(e.Frame(nil)); got != want {
			t.Fatalf("Frame = %s, want %s", got, want)
		}
	}
	if string(shared) != `["ann","bob"]` {
		t.Fatalf("the shared part changed: %s", shared)
	}
	// An envelope whose head is empty is still raw: no codec is asked for its frame.
	e = hub.NewRawParts(nil, shared, nil)
	if e.Raw == nil || string(e.Frame(nil)) != string(shared) {
		t.Fatalf("NewRawParts(nil, shared, nil): Raw %v, Frame %s", e.Raw, e.Frame(nil))
	}
	// A plain raw envelope is unchanged.
	e = hub.NewRaw([]byte("ack"))
	if e.RawLen() != 3 || string(e.AppendRaw(nil)) != "ack" || string(e.Frame(nil)) != "ack" {
		t.Fatalf("NewRaw: RawLen %d, AppendRaw %s, Frame %s", e.RawLen(), e.AppendRaw(nil), e.Frame(nil))
	}
}
