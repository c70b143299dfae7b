package storetest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hubbub"
)

// The search benchmarks (issue 17): a corpus of chat-like messages that every store's
// benchmark loads the same way, and a mix of queries timed one by one for percentiles.

// searchVocabulary is the corpus's words: common English ones first, then made-up rarer ones,
// drawn with a Zipf distribution so that the first are in many messages and the last in few.
var searchVocabulary = func() []string {
	w := strings.Fields(`the to and a i you it is that of in for on we this be have with
		deploy meeting lunch release build tests today tomorrow review merge issue fix bug
		café résumé naïve server client database search index query`)
	for i := len(w); i < 20_000; i++ {
		w = append(w, fmt.Sprintf("t%dx", i))
	}
	return w
}()

// searchCJK are sentences of Chinese and Japanese that one message in 20 carries.
var searchCJK = []string{"我们在聊天室见面", "今天的会议取消了", "明天发布新版本", "東京で会いましょう",
	"新しいチャットルームへようこそ", "テストが失敗しました"}

// SearchCorpus returns a generator of the benchmark corpus's texts: 5 to 15 words, and in one
// message of 20 a CJK sentence. Same seed, same texts.
func SearchCorpus(seed uint64) func() string {
	r := rand.New(rand.NewPCG(seed, seed))
	z := rand.NewZipf(r, 1.1, 2, uint64(len(searchVocabulary)-1))
	return func() string {
		n := 5 + r.IntN(11)
		ws := make([]string, 0, n+1)
		for range n {
			ws = append(ws, searchVocabulary[z.Uint64()])
		}
		if r.IntN(20) == 0 {
			ws = append(ws, searchCJK[r.IntN(len(searchCJK))])
		}
		return strings.Join(ws, " ")
	}
}

// SearchBenchRoom names room i of the benchmark corpus.
func SearchBenchRoom(i int) string { return fmt.Sprintf("room%04d", i) }

// BenchmarkSearch runs the query mix on s, whose rooms are SearchBenchRoom(0..rooms-1) filled
// from SearchCorpus: each query one sub-benchmark, timed one search at a time, with p50 and
// p99 in ms. "20rooms" searches 20 rooms drawn at random (all of one user's rooms), "1room"
// one room. Every search must succeed.
func BenchmarkSearch(b *testing.B, s hubbub.Store, rooms int) {
	type query struct {
		name, text string
		order      hubbub.SearchOrder
	}
	mix := []query{
		{"common", "the", ""},
		{"common-relevance", "deploy", hubbub.SearchRelevance},
		{"rare", "t3000x", ""},
		{"two-words", "review merge", ""},
		{"cjk", "聊天", ""},
		{"prefix", "rel", ""},
		{"phrase", `"the deploy"`, ""},
	}
	for _, scope := range []int{20, 1} {
		for _, q := range mix {
			b.Run(fmt.Sprintf("%s/%drooms", q.name, scope), func(b *testing.B) {
				r := rand.New(rand.NewPCG(uint64(scope), 7))
				var lat []time.Duration
				hits := 0
				for b.Loop() {
					sq := hubbub.SearchQuery{Text: q.text, Order: q.order}
					for range scope {
						sq.Rooms = append(sq.Rooms, SearchBenchRoom(r.IntN(rooms)))
					}
					start := time.Now()
					p, err := s.Search(b.Context(), sq)
					lat = append(lat, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					hits += len(p.Hits)
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// BenchmarkAppendCost is BenchmarkAppendParallel with texts from SearchCorpus, reporting also
// the process's CPU time (user and system) per append: what the store's work costs, which a
// busy machine's wall clock hides.
func BenchmarkAppendCost(b *testing.B, s hubbub.Store, commits func() int64) {
	BenchmarkAppendCostSettled(b, s, commits, nil)
}

// BenchmarkAppendCostSettled is BenchmarkAppendCost for a store that does part of an
// append's work later (a search index written behind the appends): settle, if not nil, runs
// after the last append and before the clock and the CPU time stop, and finishes that work,
// so that its cost is counted.
//
// The appends go to 8 rooms, each appender to one; HUBBUB_BENCH_APPEND_ROOMS=n spreads each
// appender's appends over n rooms in turn instead, as a server's ingress over many rooms
// does (the bench's ingress scenario: 1,000), where what a store pays per room and batch
// (a search index's watermarks) is paid per message.
func BenchmarkAppendCostSettled(b *testing.B, s hubbub.Store, commits func() int64, settle func()) {
	spread, _ := strconv.Atoi(os.Getenv("HUBBUB_BENCH_APPEND_ROOMS"))
	texts := make([]string, 4096)
	gen := SearchCorpus(1)
	for i := range texts {
		texts[i] = gen()
	}
	var next atomic.Int64
	start := processCPU()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := int(next.Add(1))
		m := hubbub.Entry{Room: SearchBenchRoom(g % 8), From: fmt.Sprint("user", g)}
		for i := 0; pb.Next(); i++ {
			m.Text, m.ClientID = texts[(g*131+i)%len(texts)], fmt.Sprint(i)
			if spread > 0 {
				m.Room = SearchBenchRoom((g*131 + i) % spread)
			}
			if _, _, err := appendValue(b.Context(), s, m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if settle != nil {
		settle()
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/append")
	reportAppends(b, commits)
}
