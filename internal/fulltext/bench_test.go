package fulltext

import "testing"

// BenchmarkFold measures folding a typical chat line, as every append's index does.
func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold("hello, this is a typical chat message about the deploy review t3000x café")
	}
}
