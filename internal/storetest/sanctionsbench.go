package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// BenchSanctions is how many bans BenchmarkSanctionsPage's room holds.
const BenchSanctions = 10_000

// FillSanctions appends n bans to room in s, of the users u_00000… (named spammer00000…),
// from 32 appenders, so that group commit shares their commits, and fails tb at the first
// error.
func FillSanctions(tb testing.TB, s hubbub.Store, room string, n int) {
	tb.Helper()
	until := time.Now().Add(24 * time.Hour)
	const appenders = 32
	var wg sync.WaitGroup
	errs := make(chan error, appenders)
	for g := range appenders {
		wg.Go(func() {
			for i := g; i < n; i += appenders {
				sn := hubbub.Sanction{Room: room, User: fmt.Sprintf("u_%05d", i), Name: fmt.Sprintf("spammer%05d", i),
					Kind: hubbub.SanctionBan, Until: until, Reason: "spam"}
				e := hubbub.SanctionEntry(sn, "mod", "u_mod", time.Now())
				if _, _, _, err := s.Append(tb.Context(), &e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSanctionsPage measures a page of 100 sanctions of a room of BenchSanctions bans,
// from all over the list: "whole" reads the room's whole list and keeps the page (what the
// API's page and a moderator's members page did before Store.SanctionsPage), "page" reads the
// page alone. s comes from open on a fresh store.
func BenchmarkSanctionsPage(b *testing.B, open func(b *testing.B) hubbub.Store) {
	const limit = 100
	s := open(b)
	FillSanctions(b, s, "spam", BenchSanctions)
	after := func(i int) string { return fmt.Sprintf("u_%05d", (i*7919)%(BenchSanctions-limit)) }
	b.Run("whole", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			list, err := s.Sanctions(b.Context(), "spam")
			if err != nil || len(list) != BenchSanctions {
				b.Fatalf("Sanctions = %d, %v", len(list), err)
			}
			var page []hubbub.Sanction
			for _, sn := range list {
				if sn.User > after(i) && len(page) < limit {
					page = append(page, sn)
				}
			}
			if len(page) != limit {
				b.Fatalf("a page of %d", len(page))
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			page, err := s.SanctionsPage(b.Context(), "spam", after(i), limit)
			if err != nil || len(page) != limit {
				b.Fatalf("SanctionsPage = %d, %v", len(page), err)
			}
		}
	})
}
