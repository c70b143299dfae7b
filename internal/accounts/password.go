package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"hubbub"
)

// Password rules: long enough to resist guessing at the login rate limit, short enough that
// hashing one cannot be used to make the server work on megabytes.
const (
	// MinPasswordLen is the shortest password accepted, in characters.
	MinPasswordLen = 8
	// MaxPasswordLen is the longest password accepted, in bytes.
	MaxPasswordLen = 1024
)

// CheckPassword reports why a new password is not acceptable, as an ECodeBadField error a
// person can read, or nil. Only length is checked: a passphrase of plain words is a good
// password, and composition rules make people write theirs down.
func CheckPassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return hubbub.Errorf(hubbub.ECodeBadField, "the password is too short: at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return hubbub.Errorf(hubbub.ECodeBadField, "the password is too long: at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashParams are the argon2id costs of new password hashes. A stored hash keeps the
// parameters it was made with, so raising them later does not lock anyone out: old hashes
// verify at their own cost.
type HashParams struct {
	// Memory is the memory one hash uses, in KiB (default 65536, 64 MiB).
	Memory uint32
	// Time is the number of passes over the memory (default 2).
	Time uint32
	// Threads is the parallelism of one hash (default 1).
	Threads uint8
}

// The defaults of HashParams: 64 MiB (the memory of RFC 9106's second recommended option) and
// two passes, above the OWASP minimum for argon2id (19 MiB, two passes): memory is what makes a
// guesser's GPU slow. BenchmarkHashDefault measures one hash on a machine:
// go test -bench HashDefault ./internal/accounts.
const (
	DefaultHashMemory  = 64 * 1024
	DefaultHashTime    = 2
	DefaultHashThreads = 1
)

// Limits on the parameters a stored hash may name; a hash outside them is treated as damaged
// rather than computed, so that one corrupted row cannot make a login allocate gigabytes.
const (
	maxHashMemory = 1 << 20 // KiB: 1 GiB
	maxHashTime   = 64
	saltLen       = 16
	keyLen        = 32
)

// TestHashParams are cheap costs for tests, which hash many passwords on a busy machine.
var TestHashParams = HashParams{Memory: 64, Time: 1, Threads: 1}

func (p HashParams) withDefaults() HashParams {
	if p.Memory == 0 {
		p.Memory = DefaultHashMemory
	}
	if p.Time == 0 {
		p.Time = DefaultHashTime
	}
	if p.Threads == 0 {
		p.Threads = DefaultHashThreads
	}
	return p
}

// Validate reports parameters that would make hashes the server refuses to verify.
func (p HashParams) Validate() error {
	p = p.withDefaults()
	switch {
	case p.Memory > maxHashMemory:
		return fmt.Errorf("accounts: argon2 memory %d KiB is over the maximum %d KiB (1 GiB)", p.Memory, maxHashMemory)
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("accounts: argon2 memory %d KiB is under 8 KiB per thread (%d threads)", p.Memory, p.Threads)
	case p.Time > maxHashTime:
		return fmt.Errorf("accounts: argon2 time %d is over the maximum %d", p.Time, maxHashTime)
	}
	return nil
}

// ErrBadHash is returned for a stored hash that is not an argon2id hash this package can read.
var ErrBadHash = errors.New("accounts: stored password hash is not a valid argon2id hash")

// Hasher hashes and verifies passwords with argon2id. At most a fixed number of hashes run at
// once (each holds Memory KiB), the others wait their turn or give up with their context.
type Hasher struct {
	params HashParams
	slots  chan struct{}

	dummyOnce sync.Once
	dummy     string
}

// DefaultMaxHashes is how many password hashes may run at once unless told otherwise: with
// the default memory cost, 4 × 64 MiB.
const DefaultMaxHashes = 4

// NewHasher returns a Hasher making hashes with p (zero fields take the defaults), running at
// most maxConcurrent at once (0: DefaultMaxHashes).
func NewHasher(p HashParams, maxConcurrent int) (*Hasher, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if maxConcurrent <= 0 {
		maxConcurrent = DefaultMaxHashes
	}
	return &Hasher{params: p.withDefaults(), slots: make(chan struct{}, maxConcurrent)}, nil
}

// Params returns the parameters of new hashes.
func (h *Hasher) Params() HashParams { return h.params }

// Hash returns the PHC-style encoding of pw's argon2id hash:
// $argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>, salt and hash in unpadded standard base64.
// It does not check the password rules (CheckPassword does).
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, h.params.Time, h.params.Memory, h.params.Threads, keyLen)
	h.release()
	return encodeHash(h.params, salt, key), nil
}

// Verify reports whether pw matches the encoded hash, comparing in constant time. A hash it
// cannot read is ErrBadHash (and no match).
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	h.release()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyNothing spends the time of a Verify against no real hash, so that a sign-in with an
// unknown name takes as long as one with a wrong password and the answer's timing does not
// tell which names exist.
func (h *Hasher) VerifyNothing(ctx context.Context, pw string) {
	h.dummyOnce.Do(func() {
		h.dummy, _ = h.Hash(context.Background(), "not anyone's password")
	})
	_, _ = h.Verify(ctx, h.dummy, pw)
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("accounts: waiting to hash a password: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

var b64 = base64.RawStdEncoding

func encodeHash(p HashParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodeHash reads an encoded hash, refusing parameters outside the limits.
func decodeHash(s string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrBadHash
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return p, nil, nil, ErrBadHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, ErrBadHash
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, ErrBadHash
		}
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Validate() != nil {
		return p, nil, nil, ErrBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}
