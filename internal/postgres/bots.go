package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Bots and incoming webhooks (hubbub.BotStore) live in the bots and incoming_hooks tables
// (migrations/0011_bots.sql); a bot's user is a row of users. They change rarely: each write
// is one short transaction on the pool, which locks the table it counts (the limits), so that
// two nodes creating at once cannot both pass a limit.

var _ hubbub.BotStore = (*Store)(nil)

// The statements of bots and hooks.
const (
	botColumns = `b.token_hash IS NOT NULL, b.rooms::text, u.id, u.name, u.kind, u.role, u.disabled, u.created, u.last_seen, u.sign_outs`
	botFrom    = ` FROM bots b JOIN users u ON u.id = b.user_id`
	hookSelect = `SELECT h.id, h.room, h.bot_id, u.name, h.secret_hash, h.created
		FROM incoming_hooks h JOIN users u ON u.id = h.bot_id`
)

// queryBots reads the bots a WHERE clause selects, in ascending user id order.
func queryBots(ctx context.Context, q querier, where string, args ...any) ([]hubbub.Bot, error) {
	return queryBotsLocked(ctx, q, where, "", args...)
}

// queryBotsLocked is queryBots with a locking clause (FOR UPDATE OF b) after the order.
func queryBotsLocked(ctx context.Context, q querier, where, lock string, args ...any) ([]hubbub.Bot, error) {
	rows, err := q.Query(ctx, `SELECT `+botColumns+botFrom+` WHERE `+where+` ORDER BY u.id LIMIT `+strconv.Itoa(hubbub.MaxBots)+` `+lock, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return sqlstore.Listed(sqlstore.ReadRows(rows, func(rows pgx.Rows) (hubbub.Bot, error) {
		var b hubbub.Bot
		var rooms string
		if err := scanUser(rows, &b.User, &b.Token, &rooms); err != nil {
			return b, err
		}
		var err error
		b.Rooms, err = sqlstore.DecodeRooms(rooms)
		return b, err
	}))
}

// oneBot is queryBotsLocked of at most one bot.
func oneBot(ctx context.Context, q querier, where, lock string, args ...any) (hubbub.Bot, bool, error) {
	bots, err := queryBotsLocked(ctx, q, where, lock, args...)
	if err != nil || len(bots) == 0 {
		return hubbub.Bot{}, false, err
	}
	return bots[0], true, nil
}

// tokenArg is a token hash as the column takes it: NULL for none.
func tokenArg(hash string) *string {
	if hash == "" {
		return nil
	}
	return &hash
}

// botTx runs fn in one transaction on the pool, committed if fn returns nil.
func (s *Store) botTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// CreateBot stores a new bot user; see hubbub.BotStore.
func (s *Store) CreateBot(ctx context.Context, name string, rooms []string, tokenHash string) (hubbub.Bot, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateBot); err != nil {
		return hubbub.Bot{}, err
	}
	if _, err := sqlstore.CheckNewBot(name, rooms); err != nil {
		return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpCreateBot, err)
	}
	if err := checkText("token hash", tokenHash); err != nil {
		return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpCreateBot, err)
	}
	var out hubbub.Bot
	err := s.botTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE bots IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM bots`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxBots {
			return sqlstore.TooManyBots()
		}
		u, err := s.insertNewUser(ctx, tx, hubbub.User{Name: name, Kind: hubbub.UserBot, Role: hubbub.RoleMember}, "", nil)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO bots (user_id, token_hash, rooms) VALUES ($1, $2, $3::jsonb)`,
			u.ID, tokenArg(tokenHash), sqlstore.EncodeRooms(rooms))
		if uniqueViolation(err, "bots_token") {
			return hubbub.Errorf(hubbub.ECodeExists, "another bot holds this token")
		}
		if err != nil {
			return err
		}
		out = hubbub.Bot{User: u, Rooms: append([]string{}, rooms...), Token: tokenHash != ""}
		return nil
	})
	return out, s.guard.Wrap(sqlstore.OpCreateBot, err)
}

// BotByToken returns the live bot holding tokenHash; see hubbub.BotStore.
func (s *Store) BotByToken(ctx context.Context, tokenHash string) (hubbub.Bot, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpBotByToken, func() (hubbub.Bot, bool, error) {
		if tokenHash == "" || !textFits(tokenHash) {
			return hubbub.Bot{}, false, nil
		}
		return oneBot(ctx, s.pool, `b.token_hash = $1 AND NOT u.disabled`, "", tokenHash)
	})
}

// Bot returns the live bot with user id id.
func (s *Store) Bot(ctx context.Context, id string) (hubbub.Bot, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpBot, func() (hubbub.Bot, bool, error) {
		if !textFits(id) {
			return hubbub.Bot{}, false, nil
		}
		return oneBot(ctx, s.pool, `b.user_id = $1`, "", id)
	})
}

// Bots returns every live bot, in ascending user id order.
func (s *Store) Bots(ctx context.Context) ([]hubbub.Bot, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpBots, func() ([]hubbub.Bot, error) {
		return queryBots(ctx, s.pool, `true`)
	})
}

// UpdateBot changes a bot's rooms or token, atomically.
func (s *Store) UpdateBot(ctx context.Context, id string, c hubbub.BotChange) (hubbub.Bot, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUpdateBot); err != nil {
		return hubbub.Bot{}, err
	}
	if c.Rooms != nil {
		if err := hubbub.ValidateRoomPatterns(*c.Rooms, hubbub.MaxBotRooms); err != nil {
			return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpUpdateBot, err)
		}
	}
	if c.TokenHash != nil {
		if err := checkText("token hash", *c.TokenHash); err != nil {
			return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpUpdateBot, err)
		}
	}
	if !textFits(id) {
		return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpUpdateBot, sqlstore.NoBot(id))
	}
	var out hubbub.Bot
	err := s.botTx(ctx, func(tx pgx.Tx) error {
		b, found, err := oneBot(ctx, tx, `b.user_id = $1`, `FOR UPDATE OF b`, id)
		if err != nil {
			return err
		}
		if !found {
			return sqlstore.NoBot(id)
		}
		if c.Rooms != nil {
			b.Rooms = append([]string{}, *c.Rooms...)
			if _, err := tx.Exec(ctx, `UPDATE bots SET rooms = $2::jsonb WHERE user_id = $1`, id, sqlstore.EncodeRooms(b.Rooms)); err != nil {
				return err
			}
		}
		if c.TokenHash != nil {
			_, err := tx.Exec(ctx, `UPDATE bots SET token_hash = $2 WHERE user_id = $1`, id, tokenArg(*c.TokenHash))
			if uniqueViolation(err, "bots_token") {
				return hubbub.Errorf(hubbub.ECodeExists, "another bot holds this token")
			}
			if err != nil {
				return err
			}
			b.Token = *c.TokenHash != ""
		}
		out = b
		return nil
	})
	return out, s.guard.Wrap(sqlstore.OpUpdateBot, err)
}

// DeleteBot deletes a bot's row and hooks and disables its user, in one transaction.
func (s *Store) DeleteBot(ctx context.Context, id string) error {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteBot); err != nil {
		return err
	}
	if !textFits(id) {
		return s.guard.Wrap(sqlstore.OpDeleteBot, sqlstore.NoBot(id))
	}
	err := s.botTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM bots WHERE user_id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return sqlstore.NoBot(id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM incoming_hooks WHERE bot_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = true WHERE id = $1`, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, deleteUserSession, id)
		return err
	})
	return s.guard.Wrap(sqlstore.OpDeleteBot, err)
}

// scanHook reads a row of hookSelect.
func scanHook(row pgx.Row, h *hubbub.IncomingHook) error {
	if err := row.Scan(&h.ID, &h.Room, &h.Bot, &h.BotName, &h.SecretHash, &h.Created); err != nil {
		return err
	}
	h.Created = h.Created.UTC()
	return nil
}

// CreateIncomingHook stores a new incoming webhook for a live bot.
func (s *Store) CreateIncomingHook(ctx context.Context, h hubbub.IncomingHook) (hubbub.IncomingHook, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateIncomingHook); err != nil {
		return hubbub.IncomingHook{}, err
	}
	if err := sqlstore.CheckNewHook(h); err != nil {
		return hubbub.IncomingHook{}, s.guard.Wrap(sqlstore.OpCreateIncomingHook, err)
	}
	if err := checkText("secret hash", h.SecretHash, "bot", h.Bot); err != nil {
		return hubbub.IncomingHook{}, s.guard.Wrap(sqlstore.OpCreateIncomingHook, err)
	}
	var out hubbub.IncomingHook
	err := s.botTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE incoming_hooks IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return err
		}
		// FOR SHARE: a bot deleted at once waits for the hook, then deletes it too.
		b, found, err := oneBot(ctx, tx, `b.user_id = $1`, `FOR SHARE OF b`, h.Bot)
		if err != nil {
			return err
		}
		if !found {
			return sqlstore.NoBot(h.Bot)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM incoming_hooks`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxIncomingHooks {
			return sqlstore.TooManyHooks()
		}
		out = hubbub.IncomingHook{ID: sqlstore.NewHookID(), Room: h.Room, Bot: b.User.ID, BotName: b.User.Name,
			SecretHash: h.SecretHash, Created: s.clock()}
		_, err = tx.Exec(ctx, `INSERT INTO incoming_hooks (id, room, bot_id, secret_hash, created) VALUES ($1, $2, $3, $4, $5)`,
			out.ID, out.Room, out.Bot, out.SecretHash, out.Created)
		return err
	})
	return out, s.guard.Wrap(sqlstore.OpCreateIncomingHook, err)
}

// IncomingHook returns the hook with id.
func (s *Store) IncomingHook(ctx context.Context, id string) (hubbub.IncomingHook, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpIncomingHook, func() (hubbub.IncomingHook, bool, error) {
		if !textFits(id) {
			return hubbub.IncomingHook{}, false, nil
		}
		var h hubbub.IncomingHook
		err := scanHook(s.pool.QueryRow(ctx, hookSelect+` WHERE h.id = $1`, id), &h)
		if errors.Is(err, pgx.ErrNoRows) {
			return hubbub.IncomingHook{}, false, nil
		}
		return h, err == nil, err
	})
}

// IncomingHooks returns every hook, in ascending id order.
func (s *Store) IncomingHooks(ctx context.Context) ([]hubbub.IncomingHook, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpIncomingHooks, func() ([]hubbub.IncomingHook, error) {
		rows, err := s.pool.Query(ctx, hookSelect+` ORDER BY h.id LIMIT `+strconv.Itoa(hubbub.MaxIncomingHooks))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		return sqlstore.Listed(sqlstore.ReadRows(rows, func(rows pgx.Rows) (hubbub.IncomingHook, error) {
			var h hubbub.IncomingHook
			return h, scanHook(rows, &h)
		}))
	})
}

// DeleteIncomingHook deletes a hook.
func (s *Store) DeleteIncomingHook(ctx context.Context, id string) error {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteIncomingHook); err != nil {
		return err
	}
	if !textFits(id) {
		return s.guard.Wrap(sqlstore.OpDeleteIncomingHook, sqlstore.NoHook(id))
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM incoming_hooks WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = sqlstore.NoHook(id)
	}
	return s.guard.Wrap(sqlstore.OpDeleteIncomingHook, err)
}
