package hubbub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// A user is the unit of identity: every connection acts for one, and ids, sanctions, roles,
// read state, reactions and mentions are keyed by its ID, never by its name. A user's Name is
// theirs server-wide (all rooms, all nodes): no other user holds a name with the same NameKey.

// UserKind is how a user proves who they are.
type UserKind string

// The kinds of user.
const (
	// UserGuest is a name held by a device's key (hello's key): whoever shows the key is the
	// user. A guest becomes an account when it sets a password, keeping its id and name.
	UserGuest UserKind = "guest"
	// UserAccount signs in with a password (argon2id) and holds a session cookie.
	UserAccount UserKind = "account"
	// UserApp comes from a token signed by a host application (HS256 secret or JWKS): the
	// application vouches for it, by issuer and subject.
	UserApp UserKind = "app"
	// UserBot is a program an admin created (issue 18): it signs in with an API token limited
	// to the rooms the admin chose, and clients mark its messages as a bot's.
	UserBot UserKind = "bot"
)

// AnonymousPrefix starts the user id of a connection that said hello without a key and
// without any credential (the text protocol, and old hubbub.v1 clients): "anon:" and the
// name's key. Such a user is not stored; it may use only a name no stored user holds, and
// every keyless connection with that name is the same anonymous user.
const AnonymousPrefix = "anon:"

// AnonymousUserID is the user id of keyless connections using name (see AnonymousPrefix).
func AnonymousUserID(nameKey string) string { return AnonymousPrefix + nameKey }

// User is a person (or a bot) as the server knows them.
type User struct {
	// ID is the stable id, assigned by the Store ("u_" and random hex); never reused.
	ID string `json:"id"`
	// Name is the display name, as the user chose it (NameKey decides who else may not).
	Name string `json:"name"`
	// Kind says how the user signs in.
	Kind UserKind `json:"kind"`
	// Role is the server-wide role: RoleAdmin, RoleModerator or RoleMember ("" reads as member).
	Role string `json:"role"`
	// Disabled users cannot sign in, and their sessions and connections end.
	Disabled bool `json:"disabled,omitempty"`
	// Created is when the user was stored (UTC, millisecond precision).
	Created time.Time `json:"created"`
	// LastSeen is when the user's last connection on a node ended (zero: never recorded), for
	// presence: for a user connected now it is the end of an earlier visit, not now.
	LastSeen time.Time `json:"last_seen,omitzero"`
	// SignOuts counts the times one of the user's sessions was signed out (DeleteSession,
	// DeleteSessions). Nodes compare it with what a connection saw at hello: when it moved,
	// they check that the connection's session still exists (internal/session).
	SignOuts uint64 `json:"-"`
}

// UserChange is a partial update of a user: nil fields stay as they are.
type UserChange struct {
	// Name renames the user, if the new name's key is free (else ECodeNameTaken).
	Name *string
	// Role sets the server-wide role.
	Role *string
	// Disabled disables (or re-enables) the user; disabling also deletes their sessions.
	Disabled *bool
	// PasswordHash sets the password (an encoded argon2id hash); a guest becomes an account.
	PasswordHash *string
}

// LoginSession is a signed-in browser or device: the server keeps only the hash of the cookie's
// secret, so a copy of the store cannot be replayed as a cookie.
type LoginSession struct {
	// ID is SecretHash of the cookie's secret.
	ID string `json:"-"`
	// User is the user it signs in.
	User string `json:"user"`
	// Created and Expires bound it; an expired session is not returned.
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Invite is an admin's link that lets one person create an account.
type Invite struct {
	// ID is SecretHash of the link's secret.
	ID string `json:"-"`
	// By is the user id of the admin who made it.
	By string `json:"by"`
	// Role is the server-wide role the new account gets.
	Role string `json:"role"`
	// Expires is when the link stops working; it also stops once used.
	Expires time.Time `json:"expires"`
}

// SecretHash is how the server stores a secret it hands out or is shown (a guest key, a session
// cookie, an invite code): hex SHA-256. The secrets are random and long, so no slow hash is
// needed; passwords, which people choose, use argon2id instead.
func SecretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// UserStore keeps users, their credentials and their sessions. Every Store is one.
//
// Contract, which internal/storetest checks on every implementation:
//   - Names are unique by NameKey across all users, disabled ones included: CreateUser,
//     ClaimGuest, ExternalUser, RedeemInvite and a rename refuse a name whose key another user
//     holds with ECodeNameTaken, also when two nodes try at once (a unique index, not a read
//     then a write). A name ValidateName refuses is ECodeBadName. A user may take a look-alike
//     of their own name (a change of spelling).
//   - IDs are assigned by the store, "u_" and 16 random bytes in hex, and never reused.
//     Created and LastSeen are UTC, to the millisecond. CreateUser stores Kind UserAccount when
//     Kind is empty; a Role other than "", RoleAdmin, RoleModerator, RoleMember is
//     ECodeBadField wherever a role is given.
//   - ClaimGuest(name, keyHash): if a guest holds keyHash, that user is returned, renamed to name
//     first if name is another name (same key, same user: its id, sanctions and history follow
//     it), or ECodeNameTaken if name's key is another user's — returned with that guest as
//     stored, unchanged, so that the caller may let its owner in under the stored name (an
//     operator renamed it, and its old name is someone else's now); a look-alike of its stored name
//     (another case) returns it under the stored spelling, unchanged (sqlstore.SameGuestName). If no user holds keyHash, a new guest is
//     created with it, or ECodeNameTaken if the name is held. A disabled user gets
//     ECodeForbidden. Only guests are found by key: an account's old key no longer signs it in.
//     An empty keyHash is ECodeMissing.
//   - GuestByKey(keyHash) is ClaimGuest's lookup alone, a read: the guest holding keyHash as
//     stored (a disabled one with Disabled set), found false for an unknown or empty key and
//     for an account's old key. A plain HTTP request checks a guest's key with it: claiming
//     would rename the guest back if an operator renamed it between two reads.
//   - ExternalUser(issuer, subject, name, role): the user of that issuer and subject, created
//     (Kind UserApp) on first sight (ECodeNameTaken then if name is held: a new user needs a
//     name of its own); renamed to name when it differs and the name is free (if it is held by
//     someone else, the user keeps its stored name and no error is returned, so a token whose
//     name clashes still signs in); its role set to role. A disabled user is returned as it is
//     (Disabled set; the caller refuses the token); an empty subject is ECodeMissing.
//   - UserByName finds the user whose name has name's NameKey (so a look-alike finds the
//     holder). found is false, with a nil error, for no such user and for a name ValidateName
//     refuses (no user can hold it).
//   - UsersByID ignores unknown ids and returns each user once. Users pages all users in
//     ascending ID order, those with ID > after, at most limit (none for limit ≤ 0).
//   - UpdateUser applies a UserChange atomically: a refused change (ECodeNameTaken,
//     ECodeBadName, ECodeBadField) changes nothing, not even its other fields. ECodeNotFound
//     for an unknown id. Setting a password on a guest makes it an account; disabling deletes
//     the user's sessions, so that enabling again does not bring them back.
//   - PasswordHash of an unknown id is ECodeNotFound. SeenAt of an unknown id records nothing
//     and is not an error.
//   - CreateSession for an unknown user is ECodeNotFound. Session returns a session that
//     exists and has not expired, with its user, found false otherwise (also when the user is
//     disabled). DeleteSessions deletes every session of a user (sign out everywhere) and
//     returns how many (expired ones may be counted). Both DeleteSession (of a session that
//     exists) and DeleteSessions add one to the user's SignOuts in the same transaction, as
//     does UpdateUser disabling a user (which deletes their sessions).
//   - RedeemInvite uses an unexpired, unused invite once (a second use is ECodeNotFound, also
//     when two redeem at once) and creates the account in the same transaction: a refused
//     name leaves the invite unused. An unknown or expired invite is ECodeNotFound.
type UserStore interface {
	// CreateUser stores a new user (Name, Kind, Role read) with an optional password hash and
	// returns it with ID and Created set.
	CreateUser(ctx context.Context, u User, passwordHash string) (User, error)
	// ClaimGuest returns the guest user holding keyHash under name, creating it if needed.
	ClaimGuest(ctx context.Context, name, keyHash string) (User, error)
	// GuestByKey returns the guest holding keyHash, as stored, without changing it.
	GuestByKey(ctx context.Context, keyHash string) (u User, found bool, err error)
	// ExternalUser returns the user a host application's token names, creating it if needed.
	ExternalUser(ctx context.Context, issuer, subject, name, role string) (User, error)
	// UserByID returns the user with id.
	UserByID(ctx context.Context, id string) (u User, found bool, err error)
	// UserByName returns the user holding name (compared by NameKey).
	UserByName(ctx context.Context, name string) (u User, found bool, err error)
	// UsersByID returns the users among ids that exist, in no particular order.
	UsersByID(ctx context.Context, ids []string) ([]User, error)
	// Users returns up to limit users with ID > after, in ascending ID order.
	Users(ctx context.Context, after string, limit int) ([]User, error)
	// UpdateUser changes a user and returns it as stored.
	UpdateUser(ctx context.Context, id string, c UserChange) (User, error)
	// PasswordHash returns the user's password hash ("" if none is set).
	PasswordHash(ctx context.Context, id string) (string, error)
	// SeenAt records that the user had a connection at t (monotonic: an older t is ignored).
	SeenAt(ctx context.Context, id string, t time.Time) error

	// CreateSession stores a signed-in session.
	CreateSession(ctx context.Context, s LoginSession) error
	// Session returns the live session with id and its user.
	Session(ctx context.Context, id string) (s LoginSession, u User, found bool, err error)
	// DeleteSession signs one session out; deleting an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteSessions signs a user out everywhere and returns how many sessions it ended.
	DeleteSessions(ctx context.Context, user string) (int, error)

	// CreateInvite stores an invite link's hash.
	CreateInvite(ctx context.Context, inv Invite) error
	// RedeemInvite uses invite id once to create account u (Name read; Kind, Role from the
	// invite) with passwordHash.
	RedeemInvite(ctx context.Context, id string, u User, passwordHash string) (User, error)
}

// MaxDMMembers is the most users a direct message may have when no flag says otherwise,
// the sender included.
const MaxDMMembers = 8

// DMRoomName is the room of the direct message between exactly users (user ids, the sender
// included, in any order, duplicates ignored): "dm." and a hash of the sorted set, so the same
// people find the same room again on every node without a lookup.
func DMRoomName(users []string) string {
	ids := slices.Clone(users)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	h := sha256.Sum256([]byte(strings.Join(ids, "\x00")))
	return "dm." + hex.EncodeToString(h[:12])
}

// IsDMRoom reports whether room is named like a direct message's room, "dm." in any case; only
// DMRoomName makes such names (in small letters), and a join may not create one. Any case,
// since room names are one room whatever their case (RoomKey): a public "DM." and a DM's hash,
// joined before that DM was started, held its name, so that its people could never start it,
// and a join of another spelling of a DM's name was told the DM existed (room_case).
func IsDMRoom(room string) bool {
	return len(room) >= 3 && strings.EqualFold(room[:3], "dm.")
}

// CheckDMStarted returns a not_found error when room is named like a DM's but no dm started it
// (it has no DM metadata), and nil for any other room. Whatever writes to a room without a
// member's join — the server API's publish, an incoming hook — asks it first: an entry in
// such a room would make a room that lists as public in the directory and that nobody can
// join, since a join of a "dm." room without a DM's metadata is refused.
func CheckDMStarted(ctx context.Context, rs RoomStore, room string) error {
	if !IsDMRoom(room) {
		return nil
	}
	meta, found, err := rs.RoomMeta(ctx, room)
	if err != nil {
		return err
	}
	return DMNotStarted(room, meta, found)
}

// DMNotStarted is CheckDMStarted for a room whose metadata the caller has read already (found
// reports whether there was any): not_found for a "dm." room no dm started, nil otherwise.
func DMNotStarted(room string, meta RoomMeta, found bool) error {
	if IsDMRoom(room) && (!found || !meta.DM) {
		return NoDMError(room)
	}
	return nil
}

// NoDMError is the refusal of a direct message that does not exist — and of one that exists,
// to anyone who is not among its people: a DM's name is a hash of its people's user ids, which
// anyone may read (members, member_changed), so any other answer told who talks with whom.
func NoDMError(room string) error {
	return Errorf(ECodeNotFound, "no direct message %q: start one with its people (POST /api/dms; dm in hubbub.v1)", room)
}
