package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Users live in the users table (migrations/0005_users.sql), found by id, by the key of their
// name (users_name_key, UNIQUE), by a guest's key (guest_keys) or by a token's issuer and
// subject (external_ids). Reads go to the read-only pool; writes run on the writer's
// connection between two batches of appends, each in one IMMEDIATE transaction, so that a
// lookup and the write it decides are one step for every process sharing the file. The hot
// path of a connection (a guest or a token user that exists, unchanged) is a read only.

var _ hubbub.UserStore = (*Store)(nil)

// userColumns are what every read of a user selects, in the order scanUser reads them.
const userColumns = `u.id, u.name, u.kind, u.role, u.disabled, u.created_ms, u.last_seen_ms, u.sign_outs`

// The reads of users whose plans matter (TestQueryPlans).
const (
	userByIDSQL       = `SELECT ` + userColumns + ` FROM users u WHERE u.id = ?`
	userByKeySQL      = `SELECT ` + userColumns + ` FROM users u WHERE u.name_key = ?`
	userByGuestSQL    = `SELECT ` + userColumns + ` FROM guest_keys g JOIN users u ON u.id = g.user_id WHERE g.key_hash = ?`
	userByExternalSQL = `SELECT ` + userColumns + ` FROM external_ids x JOIN users u ON u.id = x.user_id
		WHERE x.issuer = ? AND x.subject = ?`
	// The ids come as one JSON array, so that one prepared statement takes any number.
	usersByIDSQL = `SELECT ` + userColumns + ` FROM users u WHERE u.id IN (SELECT value FROM json_each(?))`
	usersSQL     = `SELECT ` + userColumns + ` FROM users u WHERE u.id > ? ORDER BY u.id LIMIT ?`
	sessionSQL   = `SELECT s.created_ms, s.expires_ms, ` + userColumns + ` FROM login_sessions s
		JOIN users u ON u.id = s.user_id WHERE s.id = ? AND s.expires_ms > ? AND u.disabled = 0`
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanUser reads a row of userColumns, after any columns before them (pre).
func scanUser(row scanner, u *hubbub.User, pre ...any) error {
	var kind string
	var created, seen int64
	if err := row.Scan(append(pre, &u.ID, &u.Name, &kind, &u.Role, &u.Disabled, &created, &seen, &u.SignOuts)...); err != nil {
		return err
	}
	u.Kind, u.Created = hubbub.UserKind(kind), sqlstore.MsTime(created)
	u.LastSeen = time.Time{}
	if seen != 0 {
		u.LastSeen = sqlstore.MsTime(seen)
	}
	return nil
}

// oneUser runs a query of one user: found false, nil error for no row.
func oneUser(ctx context.Context, st *sql.Stmt, args ...any) (hubbub.User, bool, error) {
	var u hubbub.User
	err := scanUser(st.QueryRowContext(ctx, args...), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.User{}, false, nil
	}
	if err != nil {
		return hubbub.User{}, false, unreadable(err)
	}
	return u, true, nil
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY constraint refusing a row of
// table.column (as SQLite's message names it: "UNIQUE constraint failed: users.name_key").
func isUnique(err error, column string) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) || coded.Code() != sqliteConstraintUnique && coded.Code() != sqliteConstraintPrimaryKey {
		return false
	}
	return strings.Contains(err.Error(), column)
}

// sqliteConstraintPrimaryKey is SQLite's extended result code SQLITE_CONSTRAINT_PRIMARYKEY.
const sqliteConstraintPrimaryKey = 1555

// nameTaken turns the name index's refusal into ECodeNameTaken, and passes other errors.
func nameTaken(err error, name string) error {
	if isUnique(err, "users.name_key") {
		return sqlstore.NameTaken(name)
	}
	return err
}

// write runs fn in one IMMEDIATE transaction on the writer's connection, between two batches
// of appends, and wraps its error for op. fn's *hubbub.Error refusals roll back what it did.
func (s *Store) write(ctx context.Context, op sqlstore.Op, fn func(ctx context.Context, tx *writeTx) error) error {
	if err := s.guard.Begin(ctx, op); err != nil {
		return err
	}
	_, err := s.exec(ctx, func(ctx context.Context, _ *sql.Conn) (int64, error) {
		return 0, s.w.inTx(ctx, fn)
	})
	return s.guard.Wrap(op, err)
}

// writeTx is the writer inside a transaction that write opened, with the time it began.
type writeTx struct {
	*writer
	now time.Time
}

// inTx runs fn between BEGIN IMMEDIATE and COMMIT, or rolls back if it fails.
func (w *writer) inTx(ctx context.Context, fn func(ctx context.Context, tx *writeTx) error) (err error) {
	if _, err := w.stmts.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, &writeTx{writer: w, now: sqlstore.Now(w.now())}); err != nil {
		_, _ = w.stmts.rollback.ExecContext(context.Background())
		return err
	}
	if _, err := w.stmts.commit.ExecContext(ctx); err != nil {
		_, _ = w.stmts.rollback.ExecContext(context.Background())
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// insertUser stores u (Name, Kind, Role) under name key key with passwordHash, and returns it
// with its new ID and Created.
func (tx *writeTx) insertUser(ctx context.Context, u hubbub.User, key, passwordHash string) (hubbub.User, error) {
	out := hubbub.User{ID: sqlstore.NewUserID(), Name: u.Name, Kind: u.Kind, Role: u.Role, Created: tx.now}
	if _, err := tx.stmts.insertUser.ExecContext(ctx, out.ID, out.Name, key, string(out.Kind), out.Role,
		passwordHash, tx.now.UnixMilli()); err != nil {
		return hubbub.User{}, nameTaken(err, u.Name)
	}
	return out, nil
}

// userByID reads user id inside the transaction.
func (tx *writeTx) userByID(ctx context.Context, id string) (hubbub.User, bool, error) {
	return oneUser(ctx, tx.stmts.userByID, id)
}

// rename gives user u the name name (key key), unless another user's name has that key.
func (tx *writeTx) rename(ctx context.Context, u *hubbub.User, name, key string) error {
	if _, err := tx.stmts.renameUser.ExecContext(ctx, name, key, u.ID); err != nil {
		return nameTaken(err, name)
	}
	u.Name = name
	return nil
}

// CreateUser stores a new user (an account unless Kind says otherwise); see
// hubbub.UserStore.
func (s *Store) CreateUser(ctx context.Context, u hubbub.User, passwordHash string) (hubbub.User, error) {
	if u.Kind == "" {
		u.Kind = hubbub.UserAccount
	}
	key, err := sqlstore.CheckNewUser(u)
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpCreateUser, err)
	}
	var out hubbub.User
	err = s.write(ctx, sqlstore.OpCreateUser, func(ctx context.Context, tx *writeTx) error {
		out, err = tx.insertUser(ctx, u, key, passwordHash)
		return err
	})
	return out, err
}

// ClaimGuest returns the guest holding keyHash under name (or its stored spelling of name),
// creating or renaming it; see hubbub.UserStore. A returning guest under the same name costs one read.
func (s *Store) ClaimGuest(ctx context.Context, name, keyHash string) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpClaimGuest); err != nil {
		return hubbub.User{}, err
	}
	key, err := hubbub.NameKey(name)
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpClaimGuest, err)
	}
	if keyHash == "" {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpClaimGuest, hubbub.Errorf(hubbub.ECodeMissing, "a guest needs a key"))
	}
	u, found, err := oneUser(ctx, s.reads.userByGuest, keyHash)
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpClaimGuest, err)
	}
	if found && u.Kind == hubbub.UserGuest && sqlstore.SameGuestName(u.Name, name, key) {
		if u.Disabled {
			return hubbub.User{}, s.guard.Wrap(sqlstore.OpClaimGuest, sqlstore.Disabled(u.Name))
		}
		return u, nil
	}
	err = s.write(ctx, sqlstore.OpClaimGuest, func(ctx context.Context, tx *writeTx) error {
		var found bool
		var err error
		u, found, err = oneUser(ctx, tx.stmts.userByGuest, keyHash)
		if err != nil {
			return err
		}
		if found && u.Kind != hubbub.UserGuest {
			// An account's old key: it signs nobody in, and a new guest may take it.
			if _, err := tx.stmts.deleteGuestKey.ExecContext(ctx, keyHash); err != nil {
				return err
			}
			found = false
		}
		if !found {
			u, err = tx.insertUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserGuest}, key, "")
			if err != nil {
				return err
			}
			_, err = tx.stmts.insertGuestKey.ExecContext(ctx, keyHash, u.ID)
			return err
		}
		if u.Disabled {
			return sqlstore.Disabled(u.Name)
		}
		if !sqlstore.SameGuestName(u.Name, name, key) {
			return tx.rename(ctx, &u, name, key)
		}
		return nil
	})
	if err != nil {
		if hubbub.ErrorCode(err) == hubbub.ECodeNameTaken && u.ID != "" && u.Kind == hubbub.UserGuest {
			return u, err // the key's guest as stored, for the caller to let in (hubbub.UserStore)
		}
		return hubbub.User{}, err
	}
	return u, nil
}

// GuestByKey returns the guest holding keyHash, as stored. See hubbub.UserStore.
func (s *Store) GuestByKey(ctx context.Context, keyHash string) (hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpGuestByKey); err != nil {
		return hubbub.User{}, false, err
	}
	if keyHash == "" {
		return hubbub.User{}, false, nil
	}
	u, found, err := oneUser(ctx, s.reads.userByGuest, keyHash)
	if err != nil || !found || u.Kind != hubbub.UserGuest { // an account's old key finds nobody
		return hubbub.User{}, false, s.guard.Wrap(sqlstore.OpGuestByKey, err)
	}
	return u, true, nil
}

// ExternalUser returns the user of a token's issuer and subject, creating it on first sight;
// see hubbub.UserStore. A known user whose token says nothing new costs one read.
func (s *Store) ExternalUser(ctx context.Context, issuer, subject, name, role string) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpExternalUser); err != nil {
		return hubbub.User{}, err
	}
	key, err := hubbub.NameKey(name)
	if err == nil {
		err = sqlstore.CheckRole(role)
	}
	if err == nil && subject == "" {
		err = hubbub.Errorf(hubbub.ECodeMissing, "a token user needs a subject")
	}
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpExternalUser, err)
	}
	u, found, err := oneUser(ctx, s.reads.userByExternal, issuer, subject)
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpExternalUser, err)
	}
	// A disabled user is returned as stored, unchanged: the caller refuses the token.
	if found && (u.Disabled || u.Name == name && u.Role == role) {
		return u, nil
	}
	err = s.write(ctx, sqlstore.OpExternalUser, func(ctx context.Context, tx *writeTx) error {
		var found bool
		var err error
		u, found, err = oneUser(ctx, tx.stmts.userByExternal, issuer, subject)
		if err != nil {
			return err
		}
		if !found {
			u, err = tx.insertUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserApp, Role: role}, key, "")
			if err != nil {
				return err
			}
			_, err = tx.stmts.insertExternal.ExecContext(ctx, issuer, subject, u.ID)
			return err
		}
		if u.Disabled {
			return nil
		}
		if u.Name != name {
			// A name another user holds leaves the stored one: the token still signs in.
			if _, err := tx.stmts.savepoint.ExecContext(ctx); err != nil {
				return err
			}
			err := tx.rename(ctx, &u, name, key)
			var refused *hubbub.Error
			if errors.As(err, &refused) {
				_, err = tx.stmts.undo.ExecContext(ctx)
			}
			if _, rerr := tx.stmts.release.ExecContext(ctx); err == nil {
				err = rerr
			}
			if err != nil {
				return err
			}
		}
		if u.Role != role {
			if _, err := tx.stmts.setUserRole.ExecContext(ctx, role, u.ID); err != nil {
				return err
			}
			u.Role = role
		}
		return nil
	})
	if err != nil {
		return hubbub.User{}, err
	}
	return u, nil
}

// UserByID returns the user with id.
func (s *Store) UserByID(ctx context.Context, id string) (hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUserByID); err != nil {
		return hubbub.User{}, false, err
	}
	u, found, err := oneUser(ctx, s.reads.userByID, id)
	return u, found, s.guard.Wrap(sqlstore.OpUserByID, err)
}

// UserByName returns the user whose name has name's key: a look-alike finds the holder. A
// name no user could hold (ValidateName refuses it) finds nobody. A user who kept a held key
// when the keys were recomputed (sqlstore.HeldKey) is found by its exact name.
func (s *Store) UserByName(ctx context.Context, name string) (hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUserByName); err != nil {
		return hubbub.User{}, false, err
	}
	key, err := hubbub.NameKey(name)
	if err != nil {
		return hubbub.User{}, false, nil
	}
	u, found, err := oneUser(ctx, s.reads.userByKey, key)
	if err == nil && (!found || u.Name != name) {
		if held, ok, herr := oneUser(ctx, s.reads.userByKey, sqlstore.HeldKey(key, name)); herr != nil {
			err = herr
		} else if ok {
			u, found = held, true
		}
	}
	return u, found, s.guard.Wrap(sqlstore.OpUserByName, err)
}

// UsersByID returns the users among ids that exist, each once, in no particular order. It
// asks in pages of sqlstore.MaxUsersByID ids.
func (s *Store) UsersByID(ctx context.Context, ids []string) ([]hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUsersByID); err != nil {
		return nil, err
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var out []hubbub.User
	for len(ids) > 0 {
		page := ids[:min(len(ids), sqlstore.MaxUsersByID)]
		ids = ids[len(page):]
		arg, err := json.Marshal(page)
		if err != nil {
			return nil, s.guard.Wrap(sqlstore.OpUsersByID, err)
		}
		got, err := readUsers(ctx, s.reads.usersByID, string(arg))
		if err != nil {
			return nil, s.guard.Wrap(sqlstore.OpUsersByID, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// Users returns up to limit users with ID > after, in ascending ID order.
func (s *Store) Users(ctx context.Context, after string, limit int) ([]hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUsers); err != nil {
		return nil, err
	}
	limit, ok := sqlstore.UsersPage(limit)
	if !ok {
		return nil, nil
	}
	out, err := readUsers(ctx, s.reads.users, after, limit)
	return out, s.guard.Wrap(sqlstore.OpUsers, err)
}

func readUsers(ctx context.Context, st *sql.Stmt, args ...any) ([]hubbub.User, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []hubbub.User
	for rows.Next() {
		var u hubbub.User
		if err := scanUser(rows, &u); err != nil {
			return nil, unreadable(err)
		}
		out = append(out, u)
	}
	return out, unreadable(rows.Err())
}

// UpdateUser applies c to user id in one transaction and returns the user as stored.
func (s *Store) UpdateUser(ctx context.Context, id string, c hubbub.UserChange) (hubbub.User, error) {
	var key string
	var err error
	if c.Name != nil {
		key, err = hubbub.NameKey(*c.Name)
	}
	if err == nil && c.Role != nil {
		err = sqlstore.CheckRole(*c.Role)
	}
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpUpdateUser, err)
	}
	var u hubbub.User
	err = s.write(ctx, sqlstore.OpUpdateUser, func(ctx context.Context, tx *writeTx) error {
		var found bool
		var err error
		if u, found, err = tx.userByID(ctx, id); err != nil {
			return err
		} else if !found {
			return sqlstore.NoUser(id)
		}
		if c.Name != nil && *c.Name != u.Name {
			if err := tx.rename(ctx, &u, *c.Name, key); err != nil {
				return err
			}
		}
		if c.Role != nil {
			if _, err := tx.stmts.setUserRole.ExecContext(ctx, *c.Role, id); err != nil {
				return err
			}
			u.Role = *c.Role
		}
		if c.Disabled != nil {
			if _, err := tx.stmts.setDisabled.ExecContext(ctx, *c.Disabled, id); err != nil {
				return err
			}
			if u.Disabled = *c.Disabled; u.Disabled {
				if _, err := tx.stmts.deleteSessions.ExecContext(ctx, id); err != nil {
					return err
				}
				// Its sessions end: a sign-out, so that a node that sees the account enabled
				// again (disable, then enable, between two of its reads) still ends their
				// connections.
				if _, err := tx.stmts.signOutUser.ExecContext(ctx, id); err != nil {
					return err
				}
				u.SignOuts++
			}
		}
		if c.PasswordHash != nil {
			// A guest with a password is an account: its key no longer signs it in.
			if u.Kind == hubbub.UserGuest {
				u.Kind = hubbub.UserAccount
				if _, err := tx.stmts.deleteGuestKeys.ExecContext(ctx, id); err != nil {
					return err
				}
			}
			if _, err := tx.stmts.setPassword.ExecContext(ctx, *c.PasswordHash, string(u.Kind), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return hubbub.User{}, err
	}
	return u, nil
}

// PasswordHash returns user id's password hash, "" if none is set (ECodeNotFound for no such
// user).
func (s *Store) PasswordHash(ctx context.Context, id string) (string, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpPasswordHash); err != nil {
		return "", err
	}
	var h string
	err := s.reads.passwordHash.QueryRowContext(ctx, id).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		err = sqlstore.NoUser(id)
	}
	if err != nil {
		return "", s.guard.Wrap(sqlstore.OpPasswordHash, unreadable(err))
	}
	return h, nil
}

// SeenAt records that user id had a connection at t; an older t than the stored one, or an
// id no stored user has (an anonymous user), changes nothing. It shares the next batch's
// transaction with the appends (every connection's end writes one).
func (s *Store) SeenAt(ctx context.Context, id string, t time.Time) error {
	if err := s.guard.Begin(ctx, sqlstore.OpSeenAt); err != nil {
		return err
	}
	_, err := s.batch(ctx, func(ctx context.Context, w *writer) (int64, error) {
		_, err := w.stmts.seenAt.ExecContext(ctx, t.UnixMilli(), id)
		return 0, err
	})
	return s.guard.Wrap(sqlstore.OpSeenAt, err)
}

// CreateSession stores a signed-in session of an existing user.
func (s *Store) CreateSession(ctx context.Context, ls hubbub.LoginSession) error {
	if ls.ID == "" || ls.User == "" {
		return s.guard.Wrap(sqlstore.OpCreateSession, hubbub.Errorf(hubbub.ECodeMissing, "a session needs an id and a user"))
	}
	return s.write(ctx, sqlstore.OpCreateSession, func(ctx context.Context, tx *writeTx) error {
		if _, found, err := tx.userByID(ctx, ls.User); err != nil {
			return err
		} else if !found {
			return sqlstore.NoUser(ls.User)
		}
		created := ls.Created
		if created.IsZero() {
			created = tx.now
		}
		_, err := tx.stmts.insertSession.ExecContext(ctx, ls.ID, ls.User, created.UnixMilli(), ls.Expires.UnixMilli())
		if isUnique(err, "login_sessions.id") {
			return hubbub.Errorf(hubbub.ECodeExists, "the session exists already")
		}
		return err
	})
}

// Session returns the live session id and its user; found is false for an unknown, expired
// or disabled user's session.
func (s *Store) Session(ctx context.Context, id string) (hubbub.LoginSession, hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpSession); err != nil {
		return hubbub.LoginSession{}, hubbub.User{}, false, err
	}
	var created, expires int64
	var u hubbub.User
	err := scanUser(s.reads.session.QueryRowContext(ctx, id, s.w.now().UnixMilli()), &u, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	if err != nil {
		return hubbub.LoginSession{}, hubbub.User{}, false, s.guard.Wrap(sqlstore.OpSession, unreadable(err))
	}
	ls := hubbub.LoginSession{ID: id, User: u.ID, Created: sqlstore.MsTime(created), Expires: sqlstore.MsTime(expires)}
	return ls, u, true, nil
}

// DeleteSession signs one session out.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.write(ctx, sqlstore.OpDeleteSession, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.stmts.signOutSession.ExecContext(ctx, id); err != nil {
			return err
		}
		_, err := tx.stmts.deleteSession.ExecContext(ctx, id)
		return err
	})
}

// DeleteSessions signs user out everywhere and returns how many live sessions it ended (the
// expired ones go too, uncounted).
func (s *Store) DeleteSessions(ctx context.Context, user string) (int, error) {
	n := 0
	err := s.write(ctx, sqlstore.OpDeleteSessions, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.stmts.signOutUser.ExecContext(ctx, user); err != nil {
			return err
		}
		rows, err := tx.stmts.deleteSessions.QueryContext(ctx, user)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var expires int64
			if err := rows.Scan(&expires); err != nil {
				return err
			}
			if expires > tx.now.UnixMilli() {
				n++
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return rows.Close()
	})
	return n, err
}

// CreateInvite stores an invite link's hash.
func (s *Store) CreateInvite(ctx context.Context, inv hubbub.Invite) error {
	if inv.ID == "" {
		return s.guard.Wrap(sqlstore.OpCreateInvite, hubbub.Errorf(hubbub.ECodeMissing, "an invite needs an id"))
	}
	if err := sqlstore.CheckRole(inv.Role); err != nil {
		return s.guard.Wrap(sqlstore.OpCreateInvite, err)
	}
	return s.write(ctx, sqlstore.OpCreateInvite, func(ctx context.Context, tx *writeTx) error {
		_, err := tx.stmts.insertInvite.ExecContext(ctx, inv.ID, inv.By, inv.Role, inv.Expires.UnixMilli())
		if isUnique(err, "invites.id") {
			return hubbub.Errorf(hubbub.ECodeExists, "the invite exists already")
		}
		return err
	})
}

// RedeemInvite uses invite id once: it deletes the invite and creates the account in one
// transaction, so that of two redeeming at once one gets ECodeNotFound, and an account whose
// name is taken leaves the invite usable.
func (s *Store) RedeemInvite(ctx context.Context, id string, u hubbub.User, passwordHash string) (hubbub.User, error) {
	u.Kind, u.Role = hubbub.UserAccount, ""
	key, err := sqlstore.CheckNewUser(u)
	if err != nil {
		return hubbub.User{}, s.guard.Wrap(sqlstore.OpRedeemInvite, err)
	}
	var out hubbub.User
	err = s.write(ctx, sqlstore.OpRedeemInvite, func(ctx context.Context, tx *writeTx) error {
		var role string
		err := tx.stmts.useInvite.QueryRowContext(ctx, id, tx.now.UnixMilli()).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return hubbub.Errorf(hubbub.ECodeNotFound, "the invite is unknown, used or expired")
		}
		if err != nil {
			return err
		}
		u.Role = role
		out, err = tx.insertUser(ctx, u, key, passwordHash)
		return err
	})
	return out, err
}
