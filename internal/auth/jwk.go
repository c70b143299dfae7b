package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// A JSON Web Key Set (RFC 7517) is {"keys": [key, …]}; hubbub reads the public keys that
// verify RS256 (kty RSA), ES256 (kty EC, crv P-256) and EdDSA (kty OKP, crv Ed25519) tokens
// and skips every other key with a reason, so that an identity provider that also publishes
// encryption keys or other algorithms still works. A key says which one algorithm it verifies,
// from its kty and crv (and its alg, which must agree when present); a token signed with
// another algorithm is never checked against it.

// Bounds on the keys of a set.
const (
	// MinRSABits is the smallest RSA modulus accepted (NIST's floor since 2013).
	MinRSABits = 2048
	// MaxRSABits is the largest RSA modulus accepted: verifying grows with the modulus, and
	// no identity provider uses more.
	MaxRSABits = 8192
)

// jwk is one key of a set as JSON, the fields hubbub reads.
type jwk struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Use    string   `json:"use"`
	Alg    string   `json:"alg"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	D      string   `json:"d"`
}

// publicKey is a key of the set that verifies tokens.
type publicKey struct {
	kid string
	alg string // the one algorithm it verifies: algRS256, algES256 or algEdDSA
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey, as jwt's methods expect
}

// keySet is the usable keys of a JWKS, found by algorithm and key id.
type keySet struct {
	keys  []*publicKey
	byKid map[string]*publicKey // alg + "\x00" + kid
}

// find returns the key for a token's alg and kid. A kid that names a key of another algorithm
// is refused, not looked up again: that token is trying another algorithm on a known key. A
// token without kid is checked with the set's one key of its algorithm, and refused when there
// are several (trying each would let one token cost many verifications). unknown reports that
// the set has no such key, so fetching the set again may find it.
func (s *keySet) find(alg, kid string) (k *publicKey, unknown bool, err error) {
	if kid == "" {
		var only *publicKey
		for _, k := range s.keys {
			if k.alg != alg {
				continue
			}
			if only != nil {
				return nil, false, fmt.Errorf("%w: the token names no key (kid) and the server knows several %s keys", ErrInvalid, alg)
			}
			only = k
		}
		if only == nil {
			return nil, true, fmt.Errorf("%w: the server knows no %s key", ErrInvalid, alg)
		}
		return only, false, nil
	}
	if k := s.byKid[alg+"\x00"+kid]; k != nil {
		return k, false, nil
	}
	for _, k := range s.keys {
		if k.kid == kid {
			return nil, false, fmt.Errorf("%w: the token's key %q is a %s key, not %s", ErrInvalid, truncate(kid, 64), k.alg, alg)
		}
	}
	return nil, true, fmt.Errorf("%w: the token's key %q is not one the server knows", ErrInvalid, truncate(kid, 64))
}

// kids lists the set's key ids, for logs.
func (s *keySet) kids() []string {
	ids := make([]string, 0, len(s.keys))
	for _, k := range s.keys {
		ids = append(ids, k.alg+":"+k.kid)
	}
	return ids
}

// parseKeySet reads a JWKS document of at most maxKeys keys. It returns the usable keys and,
// for each key it skipped, why; it fails when the document is not a key set, has too many
// keys, or has no usable key.
func parseKeySet(data []byte, maxKeys int) (keySet, []string, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return keySet{}, nil, fmt.Errorf("not a JSON key set: %w", err)
	}
	if doc.Keys == nil {
		return keySet{}, nil, errors.New("not a key set: the keys member is missing")
	}
	if len(doc.Keys) > maxKeys {
		return keySet{}, nil, fmt.Errorf("the key set has %d keys, more than the %d allowed (--jwks-max-keys)", len(doc.Keys), maxKeys)
	}
	set := keySet{byKid: make(map[string]*publicKey, len(doc.Keys))}
	var skipped []string
	for i, raw := range doc.Keys {
		var j jwk
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: not a JSON key object", i))
			continue
		}
		k, err := j.publicKey()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, truncate(j.Kid, 64), err))
			continue
		}
		if j.Kid != "" {
			id := k.alg + "\x00" + j.Kid
			if set.byKid[id] != nil {
				skipped = append(skipped, fmt.Sprintf("key %d (kid %q): another %s key has that kid", i, truncate(j.Kid, 64), k.alg))
				continue
			}
			set.byKid[id] = k
		}
		set.keys = append(set.keys, k)
	}
	if len(set.keys) == 0 {
		return keySet{}, skipped, fmt.Errorf("the key set has no usable RS256, ES256 or EdDSA key (%d skipped)", len(skipped))
	}
	return set, skipped, nil
}

// publicKey checks j and turns it into a verification key.
func (j *jwk) publicKey() (*publicKey, error) {
	if j.D != "" {
		// A set published with private parts lets anyone who reads it mint tokens.
		return nil, errors.New("it holds a private key (d), which must never be published; not used")
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("its use is %q, not sig", truncate(j.Use, 16))
	}
	if j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
		return nil, errors.New("its key_ops do not include verify")
	}
	var (
		alg string
		key any
		err error
	)
	switch j.Kty {
	case "RSA":
		alg = algRS256
		key, err = j.rsaKey()
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("EC curve %q is not supported (only P-256, for ES256)", truncate(j.Crv, 16))
		}
		alg = algES256
		key, err = j.ecKey()
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, fmt.Errorf("OKP curve %q is not supported (only Ed25519, for EdDSA)", truncate(j.Crv, 16))
		}
		alg = algEdDSA
		key, err = j.edKey()
	default:
		return nil, fmt.Errorf("key type %q is not supported (RSA, EC or OKP)", truncate(j.Kty, 16))
	}
	if err != nil {
		return nil, err
	}
	if j.Alg != "" && j.Alg != alg {
		return nil, fmt.Errorf("its alg %q is not supported for a %s key (only %s)", truncate(j.Alg, 16), j.Kty, alg)
	}
	return &publicKey{kid: j.Kid, alg: alg, key: key}, nil
}

func (j *jwk) rsaKey() (*rsa.PublicKey, error) {
	n, err := decodeField("n", j.N)
	if err != nil {
		return nil, err
	}
	e, err := decodeField("e", j.E)
	if err != nil {
		return nil, err
	}
	mod := new(big.Int).SetBytes(n)
	switch bits := mod.BitLen(); {
	case bits < MinRSABits:
		return nil, fmt.Errorf("its RSA modulus has %d bits, fewer than %d", bits, MinRSABits)
	case bits > MaxRSABits:
		return nil, fmt.Errorf("its RSA modulus has %d bits, more than %d", bits, MaxRSABits)
	}
	exp := new(big.Int).SetBytes(e)
	// crypto/rsa verifies with exponents up to 2^31-1; an even or tiny one is no RSA key.
	if exp.BitLen() > 31 || exp.Int64() < 3 || exp.Bit(0) == 0 {
		return nil, errors.New("its RSA exponent (e) is not an odd number from 3 to 2^31-1")
	}
	return &rsa.PublicKey{N: mod, E: int(exp.Int64())}, nil
}

func (j *jwk) ecKey() (*ecdsa.PublicKey, error) {
	x, err := decodeField("x", j.X)
	if err != nil {
		return nil, err
	}
	y, err := decodeField("y", j.Y)
	if err != nil {
		return nil, err
	}
	// RFC 7518 §6.2.1.2: each coordinate is the full size of the curve's field, 32 bytes.
	if len(x) != 32 || len(y) != 32 {
		return nil, errors.New("its P-256 coordinates (x, y) are not 32 bytes each")
	}
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, errors.New("its point (x, y) is not on the P-256 curve")
	}
	return k, nil
}

func (j *jwk) edKey() (ed25519.PublicKey, error) {
	x, err := decodeField("x", j.X)
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("its Ed25519 key (x) is %d bytes, not %d", len(x), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}

// decodeField decodes a base64url key field (RFC 7518 omits the padding; some publishers
// add it).
func decodeField(name, v string) ([]byte, error) {
	if v == "" {
		return nil, fmt.Errorf("it has no %s", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return nil, fmt.Errorf("its %s is not base64url", name)
	}
	return b, nil
}
