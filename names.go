package hubbub

import (
	"strings"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// NameKey returns the key under which a user name is unique server-wide: two names with the
// same key belong to one user. It is what the issue calls "compared after PRECIS and against
// confusable look-alikes", and it holds both relations at once:
//
//   - case and width never matter: each space-separated part of the name goes through the
//     PRECIS UsernameCaseMapped profile (RFC 8265: full-width to normal width, case folded,
//     NFC), and a part that profile refuses (emoji and symbols, which hubbub names have
//     always allowed) through the Nickname profile's comparison key (RFC 8266: case folded,
//     NFKC), so "ＡＮＮ", "Ann" and "ANN" are one name;
//   - look-alikes collide (Unicode UTS #39 skeletons): "аnn" with a Cyrillic а, "rn" and "m",
//     "Ian" and "lan", "ΒΟΒ" in Greek capitals and "bob", "Москва" and "МОСКВА" and "MOCKBA".
//
// The two relations chain: I is i by case and l by look, so after folding a small i and a
// small l are one letter too, and "alice" and "allce" are one name. That is deliberate: a
// second "Ali" must pick another name than "All", which is the price of refusing "ALICE" as an
// impersonation of "alice". How the key is made, and where the two relations pull apart:
//
//  1. every character whose look-alike (its skeleton) is plain ASCII becomes that ASCII text
//     first, whatever its case: a Greek ο or a lunate ϲ is o or c before anything else;
//  2. the name is folded (PRECIS, above);
//  3. then, until nothing changes: upper-case (fully: ß is SS), skeleton, fold, skeleton.
//     Upper-casing before the skeleton is what makes case not matter: the skeleton of a
//     small Cyrillic к is a Latin ĸ (kra), unrelated to k, but its capital К looks like K.
//
// A few letters are both a look-alike of one Latin letter and the small form of a capital that
// looks like another: Greek σ (o; Σ), ν (v; Ν), ύ (ú; Ύ). Step 1 lets the look-alike win for
// them, so "σ" and "Σ" are two names. The other direction is given up for look-alikes of
// non-ASCII letters only: Cyrillic к becomes k (by its capital), while the Latin ĸ it
// resembles stays ĸ. TestNameKeyEveryCharacter counts both kinds over those scripts' letters.
//
// A key is for comparison only; the name a user chose is what everyone sees. NameKey returns
// an ECodeBadName error for a name ValidateName refuses. The key of a key is the key itself.
func NameKey(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	if k, ok := asciiNameKey(name); ok {
		return k, nil
	}
	return slowNameKey(name), nil
}

// SameName reports whether a and b are one name: equal, or both valid with the same NameKey
// ("Ann", "ann" and "Αnn" with a Greek Α are one name, which one user holds server-wide).
func SameName(a, b string) bool {
	if a == b {
		return true
	}
	ka, err := NameKey(a)
	if err != nil {
		return false
	}
	kb, err := NameKey(b)
	return err == nil && ka == kb
}

// slowNameKey is NameKey's full path for a valid name: x/text's PRECIS, case and
// normalisation transforms and the skeletons, as the comment on NameKey describes.
func slowNameKey(name string) string {
	k := foldName(asciiLookAlikes(name))
	// Two rounds suffice for every single character (TestNameKeyEveryCharacter); the bound
	// keeps a pathological name from looping.
	for range maxKeyRounds {
		next := confusables.Skeleton(foldName(confusables.Skeleton(cases.Upper(language.Und).String(k))))
		if next == k {
			break
		}
		k = next
	}
	return k
}

// asciiKeyOf is what NameKey makes of each printable ASCII character inside a plain-ASCII name:
// its small letter (case folded), then the skeleton of its capital, folded, and the skeleton
// again — so I, i, l, L, 1 and | are l; 0, O and o are o; m and M are rn; a backquote is an
// apostrophe, and a double quote two of them.
// Space is handled by asciiNameKey (runs of spaces are one); an empty entry ('%', whose
// skeleton is not ASCII, and every byte outside 0x21–0x7e) sends the name to slowNameKey.
var asciiKeyOf = func() (t [128]string) {
	for c := byte('!'); c <= '~'; c++ {
		t[c] = string(c)
	}
	for c := byte('A'); c <= 'Z'; c++ {
		t[c] = string(c + 'a' - 'A')
	}
	for _, c := range "IiLl1|" {
		t[c] = "l"
	}
	t['0'], t['O'], t['o'] = "o", "o", "o"
	t['M'], t['m'] = "rn", "rn"
	t['`'] = "'"
	t['"'] = "''"
	t['%'] = ""
	return t
}()

// asciiNameKey is NameKey for a valid name of printable ASCII without '%', with no x/text
// transform: nearly every name a client sends (a guest's, a bot's) is plain ASCII, and the
// full path cost ~8 % of the server's CPU per connect + join (2026-12-04). ok is false for any
// other name. TestASCIINameKeyIsNameKeys and FuzzASCIINameKey hold it equal to slowNameKey.
func asciiNameKey(name string) (key string, ok bool) {
	var buf [2 * MaxNameLen]byte // every character's key is at most two bytes
	b := buf[:0]
	space := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == ' ' {
			space = true
			continue
		}
		if c >= utf8.RuneSelf || asciiKeyOf[c] == "" {
			return "", false
		}
		if space && len(b) > 0 {
			b = append(b, ' ') // strings.Fields in foldName: a run of spaces is one
		}
		space = false
		b = append(b, asciiKeyOf[c]...)
	}
	if len(b) == len(name) && string(b) == name {
		return name, true // already a key: no copy
	}
	return string(b), true
}

// maxKeyRounds bounds NameKey's rounds of upper-case and skeleton.
const maxKeyRounds = 4

// asciiLookAlikes replaces each character of name (decomposed) whose UTS #39 skeleton is
// plain ASCII by that skeleton, and composes the result again.
func asciiLookAlikes(name string) string {
	d := norm.NFD.String(name)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if s := confusables.Skeleton(string(r)); isASCII(s) {
			b.WriteString(s)
		} else {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldName applies the PRECIS comparison to each space-separated part of name.
func foldName(name string) string {
	parts := strings.Fields(name)
	for i, p := range parts {
		if k, err := precis.UsernameCaseMapped.String(p); err == nil {
			parts[i] = k
		} else if k, err := precis.Nickname.CompareKey(p); err == nil {
			parts[i] = k
		} else {
			parts[i] = strings.ToLower(p) // neither profile takes it: case still must not matter
		}
	}
	return strings.Join(parts, " ")
}
