package servertest

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"
)

// WaitMembers waits, within Wait, until room on s's hub has n members, or fails the test.
func WaitMembers(tb testing.TB, s *Server, room string, n int) {
	tb.Helper()
	deadline := time.Now().Add(Wait)
	for len(s.Hub.Members(room)) != n {
		if time.Now().After(deadline) {
			tb.Fatalf("room %s has members %v, want %d", room, s.Hub.Members(room), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitConns waits, within Wait, until s holds n WebSocket connections, or fails the test.
func WaitConns(tb testing.TB, s *Server, n int) {
	tb.Helper()
	deadline := time.Now().Add(Wait)
	for s.Srv.Conns() != n {
		if time.Now().After(deadline) {
			tb.Fatalf("server holds %d connections, want %d", s.Srv.Conns(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Scrape reads s's /metrics into a map from each sample's name and labels to its value.
func Scrape(tb testing.TB, s *Server) map[string]float64 {
	tb.Helper()
	status, body := s.Get("/metrics")
	if status != 200 {
		tb.Fatalf("GET /metrics: %d %s", status, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}
