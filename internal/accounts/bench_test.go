package accounts

import (
	"context"
	"testing"
)

// BenchmarkHashDefault measures one password hash at the default costs (64 MiB, 2 passes, 1
// thread): what a sign-in, an invite or a password change costs the server, and an offline
// guesser per guess.
func BenchmarkHashDefault(b *testing.B) {
	h, err := NewHasher(HashParams{}, 1)
	if err != nil {
		b.Fatal(err)
	}
	enc, _ := h.Hash(context.Background(), "correct horse")
	b.ResetTimer()
	for b.Loop() {
		if ok, _ := h.Verify(context.Background(), enc, "correct horse"); !ok {
			b.Fatal("no match")
		}
	}
}
