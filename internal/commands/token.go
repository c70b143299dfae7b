package commands

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// A response URL carries a token: the use it answers (command, room, caller, the use's id and
// the client's id of the command frame) and when it expires, in base64url JSON, a dot, and the
// base64url HMAC-SHA256 of that with the command's secret. Any node can check it (the secret is
// in the store), nobody can forge one without the secret, rotating the secret voids every URL
// given before, and the store's UseCommandResponse makes each one work once.

// responseToken is what a response URL's token says.
type responseToken struct {
	Command string `json:"c"`
	Room    string `json:"r"`
	User    string `json:"u"`
	// Call is the use's id; Frame the id of the caller's command frame.
	Call  string `json:"i"`
	Frame string `json:"f,omitempty"`
	// Expires is when the URL stops working, in Unix seconds.
	Expires int64 `json:"x"`
}

// maxTokenLen bounds the token a request may carry, before anything is decoded.
const maxTokenLen = 2048

// sign returns the token of t, signed with secret.
func (t *responseToken) sign(secret string) string {
	payload, _ := json.Marshal(t)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(tokenMAC(secret, p))
}

// tokenMAC is the MAC of a token's encoded payload.
func tokenMAC(secret, payload string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("hubbub-command-response."))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// parseToken reads a token's payload without checking its MAC (the command it names gives the
// secret to check it with: verify).
func parseToken(s string) (responseToken, string, []byte, bool) {
	var t responseToken
	if len(s) > maxTokenLen {
		return t, "", nil, false
	}
	p, m, ok := strings.Cut(s, ".")
	if !ok {
		return t, "", nil, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || json.Unmarshal(payload, &t) != nil || t.Command == "" || t.Call == "" {
		return t, "", nil, false
	}
	return t, p, mac, true
}

// verify reports whether mac is payload's MAC with secret (in constant time).
func verify(secret, payload string, mac []byte) bool {
	return hmac.Equal(tokenMAC(secret, payload), mac)
}

// newCallID returns a fresh id for one use of a command: "cmd_" and 16 random bytes in hex.
func newCallID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "cmd_" + hex.EncodeToString(b[:])
}
