package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A nil *Metrics is a valid "no metrics": every method does nothing.
func TestNilMetricsIsANoOp(t *testing.T) {
	var m *Metrics
	m.Connected(ProtoJSON)
	m.Disconnected(ProtoJSON)
	m.Refused(RefusePerIP)
	m.HTTPConns(1)
	m.HTTPRefused(HTTPRefuseMax)
	m.HTTPIdle(1)
	m.HTTPReclaimed(HTTPRefusePerIP)
	m.Drop(DropSlowConsumer)
	m.Joined()
	m.MessageIn()
	m.FramesOut(3)
	m.Delivered(3)
	m.QueueDepth(3)
	m.StoreAppend(time.Now())
	m.StoreRead(time.Now())
	m.BrokerPublish(time.Now())
	m.DeliveryLatency(time.Now(), time.Now())
	if !m.Now().IsZero() {
		t.Fatal("a nil Metrics read the clock")
	}
}

// Two Metrics have their own registries (many servers in one test process), and the handler
// serves what was counted, with every label value present from the start.
func TestMetricsAreIndependentAndServed(t *testing.T) {
	a, b := New(), New()
	a.Connected(ProtoText)
	a.Drop(DropRateLimit)
	a.DeliveryLatency(time.Now().Add(-time.Second), time.Now())
	body := func(m *Metrics) string {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	ab, bb := body(a), body(b)
	for _, want := range []string{`hubbub_connections{protocol="text"} 1`, `hubbub_drops_total{reason="rate_limit"} 1`,
		`hubbub_drops_total{reason="slow_consumer"} 0`, `hubbub_delivery_latency_seconds_count 1`} {
		if !strings.Contains(ab, want) {
			t.Errorf("missing %q", want)
		}
	}
	if !strings.Contains(bb, `hubbub_connections{protocol="text"} 0`) {
		t.Error("the second registry saw the first one's counts")
	}
	// The uploads' refusals too: the series appeared with the first refusal, so a scrape of a
	// server that had refused none showed no hubbub_uploads_refused_total at all, and the
	// first refusal of each reason was invisible to increase() and rate().
	for _, r := range []string{"too_large", "quota", "pixels", "bad_image", "unauthorized", "at_once", "failed", "disabled"} {
		if want := `hubbub_uploads_refused_total{reason="` + r + `"} 0`; !strings.Contains(bb, want) {
			t.Errorf("a fresh registry lacks %q", want)
		}
	}
}

// The hot-path calls allocate nothing.
func TestHotPathAllocatesNothing(t *testing.T) {
	m := New()
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() {
		m.Delivered(10)
		m.FramesOut(1)
		m.QueueDepth(4)
		m.DeliveryLatency(now, now)
	}); n != 0 {
		t.Fatalf("%v allocations per delivery", n)
	}
}
