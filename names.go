package hubbub

import (
	"strings"

	"github.com/mtibben/confusables"
	"golang.org/x/text/secure/precis"
)

// NameKey returns the key under which a user name is unique server-wide: two names with the
// same key belong to one user. It is what the issue calls "compared after PRECIS and against
// confusable look-alikes":
//
//   - each space-separated part of the name goes through the PRECIS UsernameCaseMapped profile
//     (RFC 8265: full-width to normal width, case folded, NFC), and a part that profile refuses
//     (emoji and symbols, which hubbub names have always allowed) through the Nickname
//     profile's comparison key (RFC 8266: case folded, NFKC), so "ＡＮＮ" and "Ann" are "ann";
//   - the result is reduced to its Unicode UTS #39 skeleton, before and after case folding, so
//     that look-alikes collide: "аnn" with a Cyrillic а, "rn" and "m", "Ian" and "lan".
//
// A key is for comparison only; the name a user chose is what everyone sees. NameKey returns
// an ECodeBadName error for a name ValidateName refuses.
func NameKey(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	// Skeleton before folding catches look-alikes that differ in case (I and l); skeleton after
	// catches those that only folding reveals (the fold of a full-width letter).
	return confusables.Skeleton(foldName(confusables.Skeleton(name))), nil
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
