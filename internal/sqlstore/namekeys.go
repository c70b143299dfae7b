package sqlstore

import (
	"log/slog"
	"strings"
	"time"

	"hubbub"
)

// NameKeysVersion is the schema step of both stores (0015_name_keys.sql) after which
// users.name_key holds the NameKey of today. hubbub.NameKey changed then: before, the skeleton
// came before case folding, so "ALICE" had the key "allce" and "alice" "alice", and two users
// could hold them. SQL cannot compute the key, so each store runs RekeyNames in Go, in the
// same transaction as the step, once.
const NameKeysVersion = 15

// heldPrefix starts the key of a user whose name collided with an older user's when the keys
// were recomputed. No NameKey starts with it: a name has no control characters, and neither
// folding nor skeletons make one.
const heldPrefix = "\x01"

// HeldKey is the name_key of a user named name whose key, key, an older user took when the
// keys were recomputed: unique (names that collided never had the same old key, so never the
// same name), never a NameKey, and found again from the name alone (UserByName's fallback).
// When the key's holder gives it up (a rename), a trigger of step 15 hands it to the oldest
// user holding it as a HeldKey, so that no new user can take a look-alike of that one's name.
func HeldKey(key, name string) string { return heldPrefix + key + heldPrefix + name }

// IsHeldKey reports whether a stored key is a HeldKey.
func IsHeldKey(key string) bool { return strings.HasPrefix(key, heldPrefix) }

// StoredName is a user's id, name and stored name_key, as RekeyNames reads them.
type StoredName struct {
	ID, Name, Key string
}

// RekeyNames returns the users of users (in the order they were created, oldest first) whose
// stored key must change, each with its new key: its NameKey, or a HeldKey when an older user
// took that NameKey. Nobody loses an account: the later of two users whose names now collide
// keeps signing in under its exact name (UserByName finds it by HeldKey), and log is told, at
// WARN, both users' ids and names, so that the operator renames one. A stored name that is no
// valid name any more keeps its key, and no other user is given it.
func RekeyNames(users []StoredName, log *slog.Logger) []StoredName {
	holder := make(map[string]StoredName, len(users))
	keys, kept := make([]string, len(users)), make([]bool, len(users))
	// A kept key stays in the UNIQUE index whoever is older: a valid name whose new key it is
	// must not be given it too (the step would fail, and the server with it, at every start).
	for i, u := range users {
		key, err := hubbub.NameKey(u.Name)
		if err != nil {
			log.Warn("name keys: a stored name is not a valid name; its key is kept", "user", u.ID, "name", u.Name, "err", err)
			holder[u.Key], kept[i] = u, true
			continue
		}
		keys[i] = key
	}
	var changed []StoredName
	for i, u := range users {
		if kept[i] {
			continue
		}
		key := keys[i]
		if first, taken := holder[key]; taken {
			log.Warn("name keys: two users' names are now one name (case and look-alikes); the older keeps it, the newer still signs in by its exact name — rename one",
				"user", first.ID, "name", first.Name, "other_user", u.ID, "other_name", u.Name)
			key = HeldKey(key, u.Name)
		} else {
			holder[key] = u
		}
		if key != u.Key {
			changed = append(changed, StoredName{ID: u.ID, Name: u.Name, Key: key})
		}
	}
	return changed
}

// UnclaimedKey is a temporary name_key for user id while keys are being changed: a user's
// new key may be another's old one, and the UNIQUE index is checked row by row, so every
// changing row first moves out of the way. Never a NameKey nor a HeldKey.
func UnclaimedKey(id string) string { return "\x02" + id }

// AnonSanction is a stored ban or mute of an anonymous user (hubbub.AnonymousPrefix), whose
// id is made of its name's key: when the key changed, so did the id of every anonymous user
// whose name's key changed, and a sanction under the old id would no longer hold.
type AnonSanction struct {
	Room, User, Kind, Name, By, Reason string
	Until                              time.Time
}

// RekeyAnonSanctions returns, for the anonymous users' sanctions rows, which rows to remove
// and which to add so that each is under its user's id of today (AnonymousUserID of the
// NameKey of the name it holds). Two anonymous users whose names now share a key are one
// user, with one ban and one mute at most per room: the sanction that ends later is kept.
func RekeyAnonSanctions(rows []AnonSanction) (remove, add []AnonSanction) {
	type group struct {
		rows    []AnonSanction
		changed bool
	}
	type gkey struct{ room, user, kind string }
	groups := make(map[gkey]*group)
	var order []gkey
	for _, r := range rows {
		id := r.User
		if key, err := hubbub.NameKey(r.Name); err == nil {
			id = hubbub.AnonymousUserID(key)
		}
		k := gkey{r.Room, id, r.Kind}
		g := groups[k]
		if g == nil {
			g = &group{}
			groups[k] = g
			order = append(order, k)
		}
		g.rows = append(g.rows, r)
		g.changed = g.changed || id != r.User
	}
	for _, k := range order {
		g := groups[k]
		if !g.changed {
			continue
		}
		keep := g.rows[0]
		for _, r := range g.rows[1:] {
			if r.Until.After(keep.Until) {
				keep = r
			}
		}
		remove = append(remove, g.rows...)
		keep.User = k.user
		add = append(add, keep)
	}
	return remove, add
}
