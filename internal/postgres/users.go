package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Users, their credentials and sessions (hubbub.UserStore). A name is one user's by the unique
// index on users.name_key, which holds hubbub.NameKey computed in Go: two nodes that claim one
// name at once both insert, and the index refuses the second (ECodeNameTaken), with no read
// first that could race. These writes are rare, so they go straight to the pool, each in a
// statement or a short transaction of its own, not through the append writers.

// userColumns are the columns scanUser reads, in its order.
const userColumns = `id, name, kind, role, disabled, created, last_seen, sign_outs`

// scanUser reads a row of userColumns (after the extra destinations first) into u.
func scanUser(row pgx.Row, u *hubbub.User, first ...any) error {
	var kind string
	var lastSeen *time.Time
	var signOuts int64
	if err := row.Scan(append(first, &u.ID, &u.Name, &kind, &u.Role, &u.Disabled, &u.Created, &lastSeen, &signOuts)...); err != nil {
		return err
	}
	u.SignOuts = uint64(signOuts)
	u.Kind, u.Created = hubbub.UserKind(kind), u.Created.UTC()
	u.LastSeen = time.Time{}
	if lastSeen != nil {
		u.LastSeen = lastSeen.UTC()
	}
	return nil
}

// clock returns the store's time for users and sessions: Options.Now, or the node's clock, in
// milliseconds, UTC.
func (s *Store) clock() time.Time {
	t := time.Now()
	if s.now != nil {
		t = s.now()
	}
	return sqlstore.MsTime(t.UnixMilli())
}

// uniqueViolation reports whether err is a violation of the unique index or key named
// constraint.
func uniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}

// userArgs checks what a new user's fields must be and returns the name's key.
func userArgs(name, role string, kind hubbub.UserKind) (string, error) {
	return sqlstore.CheckNewUser(hubbub.User{Name: name, Kind: kind, Role: role})
}

// checkText refuses what PostgreSQL's text cannot hold, naming the field.
func checkText(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if !textFits(fields[i+1]) {
			return hubbub.Errorf(hubbub.ECodeBadField, "the %s is not valid UTF-8 without NUL bytes", fields[i])
		}
	}
	return nil
}

// The statements of users.
const (
	insertUser = `INSERT INTO users (id, name, name_key, kind, role, password_hash, guest_key, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	selectUserByID   = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	selectUserByKey  = `SELECT ` + userColumns + ` FROM users WHERE name_key = $1`
	selectGuestByKey = `SELECT ` + userColumns + ` FROM users WHERE guest_key = $1`
	selectUsersPage  = `SELECT ` + userColumns + ` FROM users WHERE id > $1 ORDER BY id LIMIT $2`
	selectUsersByIDs = `SELECT u.* FROM unnest($1::text[]) AS k(k_id) CROSS JOIN LATERAL (SELECT ` + userColumns + ` FROM users WHERE id = k_id LIMIT 1) AS u`
	renameUser       = `UPDATE users SET name = $2, name_key = $3 WHERE id = $1`
	selectExternal   = `SELECT user_id FROM external_users WHERE issuer = $1 AND subject = $2`
	insertExternal   = `INSERT INTO external_users (issuer, subject, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	updateSeen       = `UPDATE users SET last_seen = $2 WHERE id = $1 AND (last_seen IS NULL OR last_seen < $2)`
	selectPassword   = `SELECT password_hash FROM users WHERE id = $1`
	selectUserForUpd = `SELECT password_hash, name_key, guest_key, ` + userColumns + ` FROM users WHERE id = $1 FOR UPDATE`
	updateUserRow    = `UPDATE users SET name = $2, name_key = $3, role = $4, disabled = $5, password_hash = $6,
		kind = $7, guest_key = $8 WHERE id = $1`
	deleteUserSession = `DELETE FROM login_sessions WHERE user_id = $1`
	// A sign-out counts on the user (hubbub.User.SignOuts): nodes end the connections it opened.
	signOutUser = `UPDATE users SET sign_outs = sign_outs + 1 WHERE id = $1`
)

// insertNewUser stores u (Name, Kind, Role) as a new user with a fresh id, through q (the pool
// or a transaction), and returns it. A name whose key another user holds is ECodeNameTaken.
func (s *Store) insertNewUser(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, u hubbub.User, passwordHash string, guestKey *string) (hubbub.User, error) {
	key, err := userArgs(u.Name, u.Role, u.Kind)
	if err != nil {
		return hubbub.User{}, err
	}
	if err := checkText("password hash", passwordHash); err != nil {
		return hubbub.User{}, err
	}
	out := hubbub.User{ID: sqlstore.NewUserID(), Name: u.Name, Kind: u.Kind, Role: u.Role, Created: s.clock()}
	_, err = q.Exec(ctx, insertUser, out.ID, out.Name, key, string(out.Kind), out.Role, passwordHash, guestKey, out.Created)
	if uniqueViolation(err, "users_name_key") {
		return hubbub.User{}, sqlstore.NameTaken(u.Name)
	}
	if err != nil {
		return hubbub.User{}, err
	}
	return out, nil
}

// CreateUser stores a new user. See hubbub.UserStore.
func (s *Store) CreateUser(ctx context.Context, u hubbub.User, passwordHash string) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateUser); err != nil {
		return hubbub.User{}, err
	}
	if u.Kind == "" {
		u.Kind = hubbub.UserAccount
	}
	out, err := s.insertNewUser(ctx, s.pool, u, passwordHash, nil)
	return out, s.guard.Wrap(sqlstore.OpCreateUser, err)
}

// ClaimGuest returns the guest holding keyHash, renamed to name if it is another name (not a
// look-alike of its own), or a new guest.
// See hubbub.UserStore.
func (s *Store) ClaimGuest(ctx context.Context, name, keyHash string) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpClaimGuest); err != nil {
		return hubbub.User{}, err
	}
	u, err := s.claimGuest(ctx, name, keyHash)
	return u, s.guard.Wrap(sqlstore.OpClaimGuest, err)
}

func (s *Store) claimGuest(ctx context.Context, name, keyHash string) (hubbub.User, error) {
	key, err := hubbub.NameKey(name)
	if err != nil {
		return hubbub.User{}, err
	}
	if keyHash == "" {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeMissing, "a guest needs a key")
	}
	if err := checkText("key", keyHash); err != nil {
		return hubbub.User{}, err
	}
	// Two tries: a claim of the same new key at once (on this node or another) inserts first,
	// and this one, refused the name or the key by their unique indexes, then finds it.
	for try := range 2 {
		var u hubbub.User
		err := scanUser(s.pool.QueryRow(ctx, selectGuestByKey, keyHash), &u)
		switch {
		case err == nil:
			if u.Disabled {
				return hubbub.User{}, sqlstore.Disabled(u.Name)
			}
			if sqlstore.SameGuestName(u.Name, name, key) {
				return u, nil
			}
			_, err := s.pool.Exec(ctx, renameUser, u.ID, name, key)
			if uniqueViolation(err, "users_name_key") {
				return u, sqlstore.NameTaken(name) // the key's guest as stored (hubbub.UserStore)
			}
			if err != nil {
				return hubbub.User{}, err
			}
			u.Name = name
			return u, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return hubbub.User{}, err
		}
		u, err = s.insertNewUser(ctx, s.pool, hubbub.User{Name: name, Kind: hubbub.UserGuest}, "", &keyHash)
		if try == 0 && (uniqueViolation(err, "users_guest_key") || hubbub.ErrorCode(err) == hubbub.ECodeNameTaken) {
			continue
		}
		return u, err
	}
	return hubbub.User{}, fmt.Errorf("the key was claimed and released at once; try again")
}

// GuestByKey returns the guest holding keyHash, as stored. See hubbub.UserStore.
func (s *Store) GuestByKey(ctx context.Context, keyHash string) (hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpGuestByKey); err != nil {
		return hubbub.User{}, false, err
	}
	if keyHash == "" {
		return hubbub.User{}, false, nil
	}
	u, found, err := s.oneUser(ctx, selectGuestByKey, keyHash)
	if err != nil || !found || u.Kind != hubbub.UserGuest { // an account's old key finds nobody
		return hubbub.User{}, false, s.guard.Wrap(sqlstore.OpGuestByKey, err)
	}
	return u, true, nil
}

// ExternalUser returns the user of a host application's issuer and subject, creating it on
// first sight, with its name (when free) and role brought up to date. See hubbub.UserStore.
func (s *Store) ExternalUser(ctx context.Context, issuer, subject, name, role string) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpExternalUser); err != nil {
		return hubbub.User{}, err
	}
	u, err := s.externalUser(ctx, issuer, subject, name, role)
	return u, s.guard.Wrap(sqlstore.OpExternalUser, err)
}

func (s *Store) externalUser(ctx context.Context, issuer, subject, name, role string) (hubbub.User, error) {
	key, err := userArgs(name, role, hubbub.UserApp)
	if err != nil {
		return hubbub.User{}, err
	}
	if subject == "" {
		return hubbub.User{}, hubbub.Errorf(hubbub.ECodeMissing, "a token's user needs a subject")
	}
	if err := checkText("issuer", issuer, "subject", subject); err != nil {
		return hubbub.User{}, err
	}
	for range 2 {
		var id string
		err := s.pool.QueryRow(ctx, selectExternal, issuer, subject).Scan(&id)
		if err == nil {
			return s.refreshExternal(ctx, id, name, key, role)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return hubbub.User{}, err
		}
		u, created, err := s.createExternal(ctx, issuer, subject, name, role)
		if hubbub.ErrorCode(err) == hubbub.ECodeNameTaken {
			// Two sign-ins of one new subject at once (two tabs, two nodes) both insert its
			// user under the token's name: the second waits on the name's unique key and is
			// refused the name its own subject now holds. Its subject's user is then the
			// answer; a name taken by anyone else stays refused.
			switch e := s.pool.QueryRow(ctx, selectExternal, issuer, subject).Scan(&id); {
			case e == nil:
				return s.refreshExternal(ctx, id, name, key, role)
			case !errors.Is(e, pgx.ErrNoRows):
				return hubbub.User{}, e // not a name held by someone else: say what failed
			}
			return u, err
		}
		if err != nil || created {
			return u, err
		}
		// Another node created it at once: read theirs.
	}
	return hubbub.User{}, fmt.Errorf("the token's user was created and removed at once; try again")
}

// refreshExternal brings an app user's name (when its key is free) and role up to date.
func (s *Store) refreshExternal(ctx context.Context, id, name, key, role string) (hubbub.User, error) {
	var u hubbub.User
	if err := scanUser(s.pool.QueryRow(ctx, selectUserByID, id), &u); err != nil {
		return hubbub.User{}, err
	}
	if u.Name != name {
		_, err := s.pool.Exec(ctx, renameUser, id, name, key)
		switch {
		case err == nil:
			u.Name = name
		case !uniqueViolation(err, "users_name_key"): // taken: keep the stored name
			return hubbub.User{}, err
		}
	}
	if u.Role != role {
		if _, err := s.pool.Exec(ctx, `UPDATE users SET role = $2 WHERE id = $1`, id, role); err != nil {
			return hubbub.User{}, err
		}
		u.Role = role
	}
	return u, nil
}

// createExternal creates an app user and its (issuer, subject) in one transaction; created is
// false if another node created that (issuer, subject) first, and nothing is stored.
func (s *Store) createExternal(ctx context.Context, issuer, subject, name, role string) (u hubbub.User, created bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return hubbub.User{}, false, err
	}
	defer rollback(tx) // after Commit, a no-op
	u, err = s.insertNewUser(ctx, tx, hubbub.User{Name: name, Kind: hubbub.UserApp, Role: role}, "", nil)
	if err != nil {
		return hubbub.User{}, false, err
	}
	tag, err := tx.Exec(ctx, insertExternal, issuer, subject, u.ID)
	if err != nil || tag.RowsAffected() == 0 {
		return hubbub.User{}, false, err
	}
	return u, true, tx.Commit(ctx)
}

// UserByID returns the user with id. See hubbub.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUserByID); err != nil {
		return hubbub.User{}, false, err
	}
	if !textFits(id) {
		return hubbub.User{}, false, nil
	}
	u, found, err := s.oneUser(ctx, selectUserByID, id)
	return u, found, s.guard.Wrap(sqlstore.OpUserByID, err)
}

// UserByName returns the user whose name has name's key. See hubbub.UserStore. A user who
// kept a held key when the keys were recomputed (sqlstore.HeldKey) is found by its exact name.
func (s *Store) UserByName(ctx context.Context, name string) (hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUserByName); err != nil {
		return hubbub.User{}, false, err
	}
	key, err := hubbub.NameKey(name)
	if err != nil { // no user holds a name that is not one
		return hubbub.User{}, false, nil
	}
	u, found, err := s.oneUser(ctx, selectUserByKey, key)
	if err == nil && (!found || u.Name != name) {
		if held, ok, herr := s.oneUser(ctx, selectUserByKey, sqlstore.HeldKey(key, name)); herr != nil {
			err = herr
		} else if ok {
			u, found = held, true
		}
	}
	return u, found, s.guard.Wrap(sqlstore.OpUserByName, err)
}

func (s *Store) oneUser(ctx context.Context, query string, arg any) (hubbub.User, bool, error) {
	var u hubbub.User
	err := scanUser(s.pool.QueryRow(ctx, query, arg), &u)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.User{}, false, nil
	}
	if err != nil {
		return hubbub.User{}, false, err
	}
	return u, true, nil
}

// UsersByID returns the users among ids that exist (one probe of the primary key per id).
// See hubbub.UserStore.
func (s *Store) UsersByID(ctx context.Context, ids []string) ([]hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUsersByID); err != nil {
		return nil, err
	}
	args := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if textFits(id) && !seen[id] {
			seen[id] = true
			args = append(args, id)
		}
	}
	var out []hubbub.User
	for len(args) > 0 { // in pages, so that one statement's array stays bounded
		page := args[:min(len(args), sqlstore.MaxUsersByID)]
		args = args[len(page):]
		users, err := s.users(ctx, selectUsersByIDs, page)
		if err != nil {
			return nil, s.guard.Wrap(sqlstore.OpUsersByID, err)
		}
		out = append(out, users...)
	}
	return out, nil
}

// Users returns up to limit users with ID > after, in ascending ID order. See
// hubbub.UserStore.
func (s *Store) Users(ctx context.Context, after string, limit int) ([]hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUsers); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if !textFits(after) {
		return nil, s.guard.Wrap(sqlstore.OpUsers, hubbub.Errorf(hubbub.ECodeBadField, "after %q is not valid text", after))
	}
	users, err := s.users(ctx, selectUsersPage, after, limit)
	return users, s.guard.Wrap(sqlstore.OpUsers, err)
}

func (s *Store) users(ctx context.Context, query string, args ...any) ([]hubbub.User, error) {
	rows, _ := s.pool.Query(ctx, query, args...) // the error comes with rows.Err
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.User, error) {
		var u hubbub.User
		err := scanUser(row, &u)
		return u, err
	})
}

// UpdateUser applies c to user id in one transaction. See hubbub.UserStore.
func (s *Store) UpdateUser(ctx context.Context, id string, c hubbub.UserChange) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUpdateUser); err != nil {
		return hubbub.User{}, err
	}
	u, err := s.updateUser(ctx, id, c)
	return u, s.guard.Wrap(sqlstore.OpUpdateUser, err)
}

func (s *Store) updateUser(ctx context.Context, id string, c hubbub.UserChange) (hubbub.User, error) {
	var key string
	if c.Name != nil {
		k, err := hubbub.NameKey(*c.Name)
		if err != nil {
			return hubbub.User{}, err
		}
		key = k
	}
	if c.Role != nil {
		if err := sqlstore.CheckRole(*c.Role); err != nil {
			return hubbub.User{}, err
		}
	}
	if c.PasswordHash != nil {
		if err := checkText("password hash", *c.PasswordHash); err != nil {
			return hubbub.User{}, err
		}
	}
	if !textFits(id) {
		return hubbub.User{}, noUser(id)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return hubbub.User{}, err
	}
	defer rollback(tx) // after Commit, a no-op
	var u hubbub.User
	var hash, storedKey string
	var guestKey *string
	err = scanUser(tx.QueryRow(ctx, selectUserForUpd, id), &u, &hash, &storedKey, &guestKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.User{}, noUser(id)
	}
	if err != nil {
		return hubbub.User{}, err
	}
	if c.Name != nil {
		u.Name = *c.Name
	} else {
		key = storedKey
	}
	if c.Role != nil {
		u.Role = *c.Role
	}
	if c.Disabled != nil {
		u.Disabled = *c.Disabled
	}
	if c.PasswordHash != nil {
		hash = *c.PasswordHash
		if u.Kind == hubbub.UserGuest && hash != "" {
			u.Kind, guestKey = hubbub.UserAccount, nil // only guests are found by key
		}
	}
	_, err = tx.Exec(ctx, updateUserRow, id, u.Name, key, u.Role, u.Disabled, hash, string(u.Kind), guestKey)
	if uniqueViolation(err, "users_name_key") {
		return hubbub.User{}, sqlstore.NameTaken(u.Name)
	}
	if err != nil {
		return hubbub.User{}, err
	}
	if u.Disabled {
		if _, err := tx.Exec(ctx, deleteUserSession, id); err != nil {
			return hubbub.User{}, err
		}
	}
	if c.Disabled != nil && *c.Disabled {
		// Its sessions end: a sign-out, so that a node that sees the account enabled again
		// (disable, then enable, between two of its reads) still ends their connections.
		if _, err := tx.Exec(ctx, signOutUser, id); err != nil {
			return hubbub.User{}, err
		}
		u.SignOuts++
	}
	return u, tx.Commit(ctx)
}

// noUser is the refusal of an unknown user id.
func noUser(id string) error { return sqlstore.NoUser(id) }

// PasswordHash returns the user's password hash, "" if none. See hubbub.UserStore.
func (s *Store) PasswordHash(ctx context.Context, id string) (string, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpPasswordHash); err != nil {
		return "", err
	}
	if !textFits(id) {
		return "", s.guard.Wrap(sqlstore.OpPasswordHash, noUser(id))
	}
	var hash string
	err := s.pool.QueryRow(ctx, selectPassword, id).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		err = noUser(id)
	}
	return hash, s.guard.Wrap(sqlstore.OpPasswordHash, err)
}

// SeenAt records that the user had a connection at t, if later than what is stored. An
// unknown user (an anonymous one) is not an error. See hubbub.UserStore.
func (s *Store) SeenAt(ctx context.Context, id string, t time.Time) error {
	if err := s.guard.Begin(ctx, sqlstore.OpSeenAt); err != nil {
		return err
	}
	if !textFits(id) {
		return nil
	}
	_, err := s.pool.Exec(ctx, updateSeen, id, sqlstore.MsTime(t.UnixMilli()))
	return s.guard.Wrap(sqlstore.OpSeenAt, err)
}
