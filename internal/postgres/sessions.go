package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Signed-in sessions and invite links (hubbub.UserStore). Both are stored by the SecretHash of
// their secret, so that a copy of the database cannot be replayed as a cookie or a link.

// The statements of sessions and invites.
const (
	insertSession = `INSERT INTO login_sessions (id, user_id, created, expires) VALUES ($1, $2, $3, $4)`
	// pruneSessions drops a user's expired sessions whenever they sign in again, so that the
	// table holds no more than each user's live sessions and those of users gone quiet.
	pruneSessions = `DELETE FROM login_sessions WHERE user_id = $1 AND expires <= $2`
	selectSession = `SELECT s.id, s.user_id, s.created, s.expires, ` + userColumnsOf + `
		FROM login_sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id = $1 AND s.expires > $2 AND NOT u.disabled`
	deleteSession  = `DELETE FROM login_sessions WHERE id = $1`
	signOutSession = `UPDATE users SET sign_outs = sign_outs + 1 WHERE id = (SELECT user_id FROM login_sessions WHERE id = $1)`
	insertInvite   = `INSERT INTO invites (id, by_user, role, expires, created) VALUES ($1, $2, $3, $4, $5)`
	// useInvite marks the invite used if it is still usable: of two redeems at once, the
	// second waits for the first's row lock and then finds used set (or the first rolled
	// back, and it wins).
	useInvite     = `UPDATE invites SET used = $2 WHERE id = $1 AND used IS NULL AND expires > $2 RETURNING role`
	setInviteUser = `UPDATE invites SET used_by = $2 WHERE id = $1`
)

// userColumnsOf is userColumns of the users table aliased u.
const userColumnsOf = `u.id, u.name, u.kind, u.role, u.disabled, u.created, u.last_seen, u.sign_outs`

// CreateSession stores a signed-in session, and drops the user's expired ones. See
// hubbub.UserStore.
func (s *Store) CreateSession(ctx context.Context, ls hubbub.LoginSession) error {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateSession); err != nil {
		return err
	}
	if err := checkText("session", ls.ID, "user", ls.User); err != nil {
		return s.guard.Wrap(sqlstore.OpCreateSession, err)
	}
	if ls.ID == "" {
		return s.guard.Wrap(sqlstore.OpCreateSession, hubbub.Errorf(hubbub.ECodeMissing, "a session needs an id"))
	}
	now := s.clock()
	if ls.Created.IsZero() {
		ls.Created = now
	}
	b := &pgx.Batch{}
	b.Queue(pruneSessions, ls.User, now)
	b.Queue(insertSession, ls.ID, ls.User, sqlstore.MsTime(ls.Created.UnixMilli()), sqlstore.MsTime(ls.Expires.UnixMilli()))
	err := s.pool.SendBatch(ctx, b).Close() // one implicit transaction
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" { // foreign_key_violation: no such user
		err = noUser(ls.User)
	} else if uniqueViolation(err, "login_sessions_pkey") {
		err = hubbub.Errorf(hubbub.ECodeExists, "the session exists already")
	}
	return s.guard.Wrap(sqlstore.OpCreateSession, err)
}

// Session returns the live session with id and its user; found is false for an unknown,
// expired or disabled user's session. See hubbub.UserStore.
func (s *Store) Session(ctx context.Context, id string) (hubbub.LoginSession, hubbub.User, bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpSession); err != nil {
		return hubbub.LoginSession{}, hubbub.User{}, false, err
	}
	if !textFits(id) {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	var ls hubbub.LoginSession
	var u hubbub.User
	err := scanUser(s.pool.QueryRow(ctx, selectSession, id, s.clock()), &u, &ls.ID, &ls.User, &ls.Created, &ls.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.LoginSession{}, hubbub.User{}, false, nil
	}
	if err != nil {
		return hubbub.LoginSession{}, hubbub.User{}, false, s.guard.Wrap(sqlstore.OpSession, err)
	}
	ls.Created, ls.Expires = ls.Created.UTC(), ls.Expires.UTC()
	return ls, u, true, nil
}

// DeleteSession signs one session out. See hubbub.UserStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteSession); err != nil {
		return err
	}
	if !textFits(id) {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(signOutSession, id)
	b.Queue(deleteSession, id)
	err := s.pool.SendBatch(ctx, b).Close() // one implicit transaction
	return s.guard.Wrap(sqlstore.OpDeleteSession, err)
}

// DeleteSessions signs a user out everywhere and returns how many sessions it ended. See
// hubbub.UserStore.
func (s *Store) DeleteSessions(ctx context.Context, user string) (int, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteSessions); err != nil {
		return 0, err
	}
	if !textFits(user) {
		return 0, nil
	}
	b := &pgx.Batch{}
	b.Queue(signOutUser, user)
	deleted := b.Queue(deleteUserSession, user)
	n := 0
	deleted.Exec(func(tag pgconn.CommandTag) error { n = int(tag.RowsAffected()); return nil })
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil { // one implicit transaction
		return 0, s.guard.Wrap(sqlstore.OpDeleteSessions, err)
	}
	return n, nil
}

// CreateInvite stores an invite link's hash. See hubbub.UserStore.
func (s *Store) CreateInvite(ctx context.Context, inv hubbub.Invite) error {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateInvite); err != nil {
		return err
	}
	err := checkText("invite", inv.ID, "by", inv.By)
	if err == nil {
		err = sqlstore.CheckRole(inv.Role)
	}
	if err == nil && inv.ID == "" {
		err = hubbub.Errorf(hubbub.ECodeMissing, "an invite needs an id")
	}
	if err == nil {
		_, err = s.pool.Exec(ctx, insertInvite, inv.ID, inv.By, inv.Role, sqlstore.MsTime(inv.Expires.UnixMilli()), s.clock())
		if uniqueViolation(err, "invites_pkey") {
			err = hubbub.Errorf(hubbub.ECodeExists, "the invite exists already")
		}
	}
	return s.guard.Wrap(sqlstore.OpCreateInvite, err)
}

// RedeemInvite uses invite id once and creates account u with passwordHash in the same
// transaction: a refused name leaves the invite unused. See hubbub.UserStore.
func (s *Store) RedeemInvite(ctx context.Context, id string, u hubbub.User, passwordHash string) (hubbub.User, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpRedeemInvite); err != nil {
		return hubbub.User{}, err
	}
	out, err := s.redeemInvite(ctx, id, u, passwordHash)
	return out, s.guard.Wrap(sqlstore.OpRedeemInvite, err)
}

func (s *Store) redeemInvite(ctx context.Context, id string, u hubbub.User, passwordHash string) (hubbub.User, error) {
	if !textFits(id) {
		return hubbub.User{}, noInvite()
	}
	if _, err := hubbub.NameKey(u.Name); err != nil { // before the invite's row is locked
		return hubbub.User{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return hubbub.User{}, err
	}
	defer rollback(tx) // after Commit, a no-op
	var role string
	err = tx.QueryRow(ctx, useInvite, id, s.clock()).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.User{}, noInvite()
	}
	if err != nil {
		return hubbub.User{}, err
	}
	out, err := s.insertNewUser(ctx, tx, hubbub.User{Name: u.Name, Kind: hubbub.UserAccount, Role: role}, passwordHash, nil)
	if err != nil {
		return hubbub.User{}, err
	}
	if _, err := tx.Exec(ctx, setInviteUser, id, out.ID); err != nil {
		return hubbub.User{}, err
	}
	return out, tx.Commit(ctx)
}

// noInvite is the refusal of an unknown, used or expired invite: the same for each, so that
// a guess learns nothing.
func noInvite() error {
	return hubbub.Errorf(hubbub.ECodeNotFound, "the invite is unknown, used or expired")
}
