package postgres

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// newID returns a message ID: 32 hex digits, the first 12 the creation time in Unix
// milliseconds and the other 20 random (80 bits). IDs therefore sort roughly by time, which
// helps anyone who indexes them, and stay unique across rooms, processes and nodes without
// coordination.
func newID(t time.Time) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
