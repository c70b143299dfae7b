package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Bots and incoming webhooks (hubbub.BotStore) live in the bots and incoming_hooks tables
// (migrations/0011_bots.sql); a bot's user is a row of users. They change rarely, so their
// statements are not prepared: reads go to the read-only pool, writes run on the writer's
// connection in one IMMEDIATE transaction each (write), like the other user changes.

var _ hubbub.BotStore = (*Store)(nil)

// botColumns are what a read of a bot selects, in the order scanBot reads them.
const botColumns = `b.token_hash IS NOT NULL, b.rooms, ` + userColumns

// botFrom joins a bot's row to its user's.
const botFrom = ` FROM bots b JOIN users u ON u.id = b.user_id`

// hookColumns are what a read of an incoming webhook selects, in the order scanHook reads them.
const hookColumns = `h.id, h.room, h.bot_id, u.name, h.secret_hash, h.created_ms
	FROM incoming_hooks h JOIN users u ON u.id = h.bot_id`

// scanBot reads a row of botColumns.
func scanBot(row scanner, b *hubbub.Bot) error {
	var rooms string
	if err := scanUser(row, &b.User, &b.Token, &rooms); err != nil {
		return err
	}
	var err error
	b.Rooms, err = sqlstore.DecodeRooms(rooms)
	return err
}

// queryBots runs a query of bots on q (the read pool or the writer's connection).
func queryBots(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]hubbub.Bot, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+botColumns+botFrom+` WHERE `+where+` ORDER BY u.id LIMIT ?`,
		append(args, hubbub.MaxBots)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	bots, err := sqlstore.Listed(sqlstore.ReadRows(rows, func(rows *sql.Rows) (hubbub.Bot, error) {
		var b hubbub.Bot
		return b, unreadable(scanBot(rows, &b))
	}))
	if err != nil {
		return nil, err
	}
	return bots, rows.Close()
}

// oneBot is queryBots of at most one bot.
func oneBot(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) (hubbub.Bot, bool, error) {
	bots, err := queryBots(ctx, q, where, args...)
	if err != nil || len(bots) == 0 {
		return hubbub.Bot{}, false, err
	}
	return bots[0], true, nil
}

// tokenArg is a token hash as the column takes it: NULL for none.
func tokenArg(hash string) any {
	if hash == "" {
		return nil
	}
	return hash
}

// CreateBot stores a new bot user; see hubbub.BotStore.
func (s *Store) CreateBot(ctx context.Context, name string, rooms []string, tokenHash string) (hubbub.Bot, error) {
	key, err := sqlstore.CheckNewBot(name, rooms)
	if err != nil {
		return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpCreateBot, err)
	}
	var out hubbub.Bot
	err = s.write(ctx, sqlstore.OpCreateBot, func(ctx context.Context, tx *writeTx) error {
		var n int
		if err := tx.conn.QueryRowContext(ctx, `SELECT count(*) FROM bots`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxBots {
			return sqlstore.TooManyBots()
		}
		u, err := tx.insertUser(ctx, hubbub.User{Name: name, Kind: hubbub.UserBot, Role: hubbub.RoleMember}, key, "")
		if err != nil {
			return err
		}
		_, err = tx.conn.ExecContext(ctx, `INSERT INTO bots (user_id, token_hash, rooms) VALUES (?, ?, ?)`,
			u.ID, tokenArg(tokenHash), sqlstore.EncodeRooms(rooms))
		if isUnique(err, "bots.token_hash") {
			return hubbub.Errorf(hubbub.ECodeExists, "another bot holds this token")
		}
		if err != nil {
			return err
		}
		out = hubbub.Bot{User: u, Rooms: append([]string{}, rooms...), Token: tokenHash != ""}
		return nil
	})
	return out, err
}

// BotByToken returns the live bot holding tokenHash; see hubbub.BotStore.
func (s *Store) BotByToken(ctx context.Context, tokenHash string) (hubbub.Bot, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpBotByToken, func() (hubbub.Bot, bool, error) {
		if tokenHash == "" {
			return hubbub.Bot{}, false, nil
		}
		return oneBot(ctx, s.rdb, `b.token_hash = ? AND u.disabled = 0`, tokenHash)
	})
}

// Bot returns the live bot with user id id.
func (s *Store) Bot(ctx context.Context, id string) (hubbub.Bot, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpBot, func() (hubbub.Bot, bool, error) {
		return oneBot(ctx, s.rdb, `b.user_id = ?`, id)
	})
}

// Bots returns every live bot, in ascending user id order.
func (s *Store) Bots(ctx context.Context) ([]hubbub.Bot, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpBots, func() ([]hubbub.Bot, error) {
		return queryBots(ctx, s.rdb, `1`)
	})
}

// UpdateBot changes a bot's rooms or token, atomically.
func (s *Store) UpdateBot(ctx context.Context, id string, c hubbub.BotChange) (hubbub.Bot, error) {
	if c.Rooms != nil {
		if err := hubbub.ValidateRoomPatterns(*c.Rooms, hubbub.MaxBotRooms); err != nil {
			return hubbub.Bot{}, s.guard.Wrap(sqlstore.OpUpdateBot, err)
		}
	}
	var out hubbub.Bot
	err := s.write(ctx, sqlstore.OpUpdateBot, func(ctx context.Context, tx *writeTx) error {
		b, found, err := oneBot(ctx, tx.conn, `b.user_id = ?`, id)
		if err != nil {
			return err
		}
		if !found {
			return sqlstore.NoBot(id)
		}
		if c.Rooms != nil {
			b.Rooms = append([]string{}, *c.Rooms...)
			if _, err := tx.conn.ExecContext(ctx, `UPDATE bots SET rooms = ? WHERE user_id = ?`, sqlstore.EncodeRooms(b.Rooms), id); err != nil {
				return err
			}
		}
		if c.TokenHash != nil {
			_, err := tx.conn.ExecContext(ctx, `UPDATE bots SET token_hash = ? WHERE user_id = ?`, tokenArg(*c.TokenHash), id)
			if isUnique(err, "bots.token_hash") {
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
	return out, err
}

// DeleteBot deletes a bot's row and hooks and disables its user, in one transaction.
func (s *Store) DeleteBot(ctx context.Context, id string) error {
	return s.write(ctx, sqlstore.OpDeleteBot, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.conn.ExecContext(ctx, `DELETE FROM bots WHERE user_id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return sqlstore.NoBot(id)
		}
		if _, err := tx.conn.ExecContext(ctx, `DELETE FROM incoming_hooks WHERE bot_id = ?`, id); err != nil {
			return err
		}
		_, err = tx.stmts.setDisabled.ExecContext(ctx, true, id)
		return err
	})
}

// scanHook reads a row of hookColumns.
func scanHook(row scanner, h *hubbub.IncomingHook) error {
	var ms int64
	if err := row.Scan(&h.ID, &h.Room, &h.Bot, &h.BotName, &h.SecretHash, &ms); err != nil {
		return err
	}
	h.Created = sqlstore.MsTime(ms)
	return nil
}

// CreateIncomingHook stores a new incoming webhook for a live bot.
func (s *Store) CreateIncomingHook(ctx context.Context, h hubbub.IncomingHook) (hubbub.IncomingHook, error) {
	if err := sqlstore.CheckNewHook(h); err != nil {
		return hubbub.IncomingHook{}, s.guard.Wrap(sqlstore.OpCreateIncomingHook, err)
	}
	var out hubbub.IncomingHook
	err := s.write(ctx, sqlstore.OpCreateIncomingHook, func(ctx context.Context, tx *writeTx) error {
		b, found, err := oneBot(ctx, tx.conn, `b.user_id = ?`, h.Bot)
		if err != nil {
			return err
		}
		if !found {
			return sqlstore.NoBot(h.Bot)
		}
		var n int
		if err := tx.conn.QueryRowContext(ctx, `SELECT count(*) FROM incoming_hooks`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxIncomingHooks {
			return sqlstore.TooManyHooks()
		}
		out = hubbub.IncomingHook{ID: sqlstore.NewHookID(), Room: h.Room, Bot: b.User.ID, BotName: b.User.Name,
			SecretHash: h.SecretHash, Created: tx.now}
		_, err = tx.conn.ExecContext(ctx, `INSERT INTO incoming_hooks (id, room, bot_id, secret_hash, created_ms) VALUES (?, ?, ?, ?, ?)`,
			out.ID, out.Room, out.Bot, out.SecretHash, out.Created.UnixMilli())
		return err
	})
	return out, err
}

// IncomingHook returns the hook with id.
func (s *Store) IncomingHook(ctx context.Context, id string) (hubbub.IncomingHook, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpIncomingHook, func() (hubbub.IncomingHook, bool, error) {
		var h hubbub.IncomingHook
		err := scanHook(s.rdb.QueryRowContext(ctx, `SELECT `+hookColumns+` WHERE h.id = ?`, id), &h)
		if errors.Is(err, sql.ErrNoRows) {
			return hubbub.IncomingHook{}, false, nil
		}
		return h, err == nil, unreadable(err)
	})
}

// IncomingHooks returns every hook, in ascending id order.
func (s *Store) IncomingHooks(ctx context.Context) ([]hubbub.IncomingHook, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpIncomingHooks, func() ([]hubbub.IncomingHook, error) {
		rows, err := s.rdb.QueryContext(ctx, `SELECT `+hookColumns+` ORDER BY h.id LIMIT ?`, hubbub.MaxIncomingHooks)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		hooks, err := sqlstore.Listed(sqlstore.ReadRows(rows, func(rows *sql.Rows) (hubbub.IncomingHook, error) {
			var h hubbub.IncomingHook
			return h, unreadable(scanHook(rows, &h))
		}))
		if err != nil {
			return nil, err
		}
		return hooks, rows.Close()
	})
}

// DeleteIncomingHook deletes a hook.
func (s *Store) DeleteIncomingHook(ctx context.Context, id string) error {
	return s.write(ctx, sqlstore.OpDeleteIncomingHook, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.conn.ExecContext(ctx, `DELETE FROM incoming_hooks WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return sqlstore.NoHook(id)
		}
		return nil
	})
}
