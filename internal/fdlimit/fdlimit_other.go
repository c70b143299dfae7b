//go:build !unix

package fdlimit

// Open reports that the limit is unknown off Unix.
func Open() (uint64, bool) { return 0, false }
