package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hubbub"
)

func testHasher(t *testing.T) *Hasher {
	t.Helper()
	h, err := NewHasher(TestHashParams, 2)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := testHasher(t)
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoding %q is not PHC argon2id with the test parameters", enc)
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horsE": false, "": false, "correct horse ": false} {
		got, err := h.Verify(ctx, enc, pw)
		if err != nil || got != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, got, err, want)
		}
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

// A hash keeps its own parameters: raising the cost does not lock out old passwords.
func TestVerifyUsesTheHashsParameters(t *testing.T) {
	ctx := context.Background()
	old := testHasher(t)
	enc, _ := old.Hash(ctx, "an old password")
	stronger, err := NewHasher(HashParams{Memory: 256, Time: 3, Threads: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := stronger.Verify(ctx, enc, "an old password"); !ok || err != nil {
		t.Fatalf("a hash made with other parameters does not verify: %v, %v", ok, err)
	}
	enc2, _ := stronger.Hash(ctx, "x")
	if !strings.Contains(enc2, "$m=256,t=3,p=2$") {
		t.Fatalf("new hash %q does not carry the new parameters", enc2)
	}
}

func TestVerifyRefusesDamagedHashes(t *testing.T) {
	ctx := context.Background()
	h := testHasher(t)
	good, _ := h.Hash(ctx, "password1")
	parts := strings.Split(good, "$")
	for name, enc := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuuMZ7cR1Yg3ypJ0iC2Hc7Ql7X8eVHu",
		"argon2i":      strings.Replace(good, "argon2id", "argon2i", 1),
		"version":      strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":  strings.Join(append(append([]string{}, parts[:3]...), "m=4294967295,t=1,p=1", parts[4], parts[5]), "$"),
		"zero time":    strings.Join(append(append([]string{}, parts[:3]...), "m=64,t=0,p=1", parts[4], parts[5]), "$"),
		"unknown key":  strings.Join(append(append([]string{}, parts[:3]...), "m=64,t=1,x=1", parts[4], parts[5]), "$"),
		"bad salt":     strings.Join(append(append([]string{}, parts[:4]...), "!!!", parts[5]), "$"),
		"short key":    strings.Join(append(append([]string{}, parts[:5]...), "AAAA"), "$"),
		"extra fields": good + "$x",
	} {
		if ok, err := h.Verify(ctx, enc, "password1"); ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("%s: Verify = %v, %v; want false, ErrBadHash", name, ok, err)
		}
	}
}

func TestHashParamsValidate(t *testing.T) {
	if _, err := NewHasher(HashParams{Memory: 2 << 20}, 1); err == nil {
		t.Error("2 GiB of memory per hash accepted")
	}
	if _, err := NewHasher(HashParams{Memory: 8, Threads: 4}, 1); err == nil {
		t.Error("8 KiB for 4 threads accepted (argon2 needs 8 KiB per thread)")
	}
	if _, err := NewHasher(HashParams{Time: 1000}, 1); err == nil {
		t.Error("1000 passes accepted")
	}
	h, err := NewHasher(HashParams{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p := h.Params(); p != (HashParams{Memory: DefaultHashMemory, Time: DefaultHashTime, Threads: DefaultHashThreads}) {
		t.Errorf("defaults = %+v", p)
	}
}

// A hash waits for a free slot, and gives up with its context.
func TestHashHonoursContextWhileWaiting(t *testing.T) {
	h, _ := NewHasher(TestHashParams, 1)
	h.slots <- struct{}{} // the only slot is busy
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "password1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with every slot busy and a cancelled context = %v", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "password1"); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"":                                    false,
		"1234567":                             false,
		"12345678":                            true,
		"ünïcödé":                             false, // 7 characters in 11 bytes: counted in characters
		"ünïcödé!":                            true,
		strings.Repeat("x", MaxPasswordLen):   true,
		strings.Repeat("x", MaxPasswordLen+1): false,
	} {
		err := CheckPassword(pw)
		if (err == nil) != ok {
			t.Errorf("CheckPassword(%d bytes) = %v, want ok=%v", len(pw), err, ok)
		}
		if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeBadField {
			t.Errorf("CheckPassword code = %q", hubbub.ErrorCode(err))
		}
	}
}
