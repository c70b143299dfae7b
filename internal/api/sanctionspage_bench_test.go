package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
	"hubbub/internal/storetest"
)

// BenchmarkAPISanctionsPage measures GET /api/rooms/{room}/sanctions?limit=100&after= at a
// room of 10,000 bans, pages from all over the list, over HTTP from a server on SQLite: what a
// script paging a room's bans waits for a page.
func BenchmarkAPISanctionsPage(b *testing.B) {
	s := servertest.Start(b, servertest.Options{Server: server.Config{APIKey: apiKey}})
	storetest.FillSanctions(b, s.Store, "spam", storetest.BenchSanctions)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		after := fmt.Sprintf("u_%05d", (i*7919)%(storetest.BenchSanctions-200))
		status, body := s.API("GET", "/api/rooms/spam/sanctions?limit=100&after="+after, apiKey, nil)
		if list, _ := body["sanctions"].([]any); status != http.StatusOK || len(list) != 100 {
			b.Fatalf("after %s: %d, %d listed", after, status, len(list))
		}
	}
}
