package fulltext

import "testing"

// BenchmarkFold measures folding a typical chat line, as every append's index does.
func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Fold("hello, this is a typical chat message about the deploy review t3000x café")
	}
}

// BenchmarkFoldASCII measures folding an ASCII chat line (Fold's byte-at-a-time path) and, as
// "runes", the same line rune by rune, as Fold did for every text before.
func BenchmarkFoldASCII(b *testing.B) {
	const line = "hello, this is a typical chat message about the deploy review t3000x cafe #42.1733370000"
	b.Run("ascii", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Fold(line)
		}
	})
	b.Run("runes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = foldRunes(line)
		}
	})
}
