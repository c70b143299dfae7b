//go:build !unix

package bench

// openFileLimit reports that the limit is unknown off Unix.
func openFileLimit() (uint64, bool) { return 0, false }
