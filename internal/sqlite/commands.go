package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Slash commands live in the commands table (migrations/0009_commands.sql), the response URLs
// used in command_responses. They are an admin's few rows, written rarely: the statements are
// not prepared, and the writes run on the writer between batches like the other writes of
// people.

var _ hubbub.CommandStore = (*Store)(nil)

// commandColumns are what every read of a command selects, in the order scanCommand reads them.
const commandColumns = `name, url, description, bot_user, secret, created_by, created_ms`

func scanCommand(row scanner) (hubbub.Command, error) {
	var c hubbub.Command
	var created int64
	err := row.Scan(&c.Name, &c.URL, &c.Description, &c.Bot, &c.Secret, &c.CreatedBy, &created)
	c.Created = sqlstore.MsTime(created)
	return c, err
}

// CreateCommand stores a new command; see hubbub.CommandStore.
func (s *Store) CreateCommand(ctx context.Context, c hubbub.Command) (hubbub.Command, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateCommand); err != nil {
		return hubbub.Command{}, err
	}
	if err := c.Check(); err != nil {
		return hubbub.Command{}, s.guard.Wrap(sqlstore.OpCreateCommand, err)
	}
	err := s.write(ctx, sqlstore.OpCreateCommand, func(ctx context.Context, tx *writeTx) error {
		var n int
		if err := tx.conn.QueryRowContext(ctx, `SELECT count(*) FROM commands`).Scan(&n); err != nil {
			return err
		}
		if n >= hubbub.MaxCommands {
			return hubbub.Errorf(hubbub.ECodeLimit, "a server keeps at most %d commands", hubbub.MaxCommands)
		}
		c.Created = tx.now
		_, err := tx.conn.ExecContext(ctx, `INSERT INTO commands (`+commandColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.Name, c.URL, c.Description, c.Bot, c.Secret, c.CreatedBy, c.Created.UnixMilli())
		if isUnique(err, "commands.name") {
			return hubbub.Errorf(hubbub.ECodeExists, "/%s exists already", c.Name)
		}
		return err
	})
	if err != nil {
		return hubbub.Command{}, err
	}
	return c, nil
}

// Command finds a command by name; see hubbub.CommandStore.
func (s *Store) Command(ctx context.Context, name string) (hubbub.Command, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpCommand, func() (hubbub.Command, bool, error) {
		c, err := scanCommand(s.rdb.QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return hubbub.Command{}, false, nil
		}
		return c, err == nil, err
	})
}

// Commands lists every command by name; see hubbub.CommandStore.
func (s *Store) Commands(ctx context.Context) ([]hubbub.Command, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpCommands, func() ([]hubbub.Command, error) {
		rows, err := s.rdb.QueryContext(ctx, `SELECT `+commandColumns+` FROM commands ORDER BY name LIMIT ?`, hubbub.MaxCommands)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []hubbub.Command
		for rows.Next() {
			c, err := scanCommand(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	})
}

// UpdateCommand changes a command; see hubbub.CommandStore.
func (s *Store) UpdateCommand(ctx context.Context, name string, change hubbub.CommandChange) (hubbub.Command, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUpdateCommand); err != nil {
		return hubbub.Command{}, err
	}
	var out hubbub.Command
	err := s.write(ctx, sqlstore.OpUpdateCommand, func(ctx context.Context, tx *writeTx) error {
		c, err := scanCommand(tx.conn.QueryRowContext(ctx, `SELECT `+commandColumns+` FROM commands WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name)
		}
		if err != nil {
			return err
		}
		if out, err = c.Apply(change); err != nil {
			return err
		}
		_, err = tx.conn.ExecContext(ctx, `UPDATE commands SET url = ?, description = ?, secret = ? WHERE name = ?`,
			out.URL, out.Description, out.Secret, name)
		return err
	})
	return out, err
}

// DeleteCommand removes a command; see hubbub.CommandStore.
func (s *Store) DeleteCommand(ctx context.Context, name string) error {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteCommand); err != nil {
		return err
	}
	return s.write(ctx, sqlstore.OpDeleteCommand, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.conn.ExecContext(ctx, `DELETE FROM commands WHERE name = ?`, name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name)
		}
		return err
	})
}

// UseCommandResponse records the first use of a response URL; see hubbub.CommandStore. The
// expired rows go in the same transaction, so the table holds only the URLs still usable.
func (s *Store) UseCommandResponse(ctx context.Context, id string, expires time.Time) (bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUseCommandResponse); err != nil {
		return false, err
	}
	if id == "" {
		return false, s.guard.Wrap(sqlstore.OpUseCommandResponse, hubbub.Errorf(hubbub.ECodeMissing, "a response needs an id"))
	}
	first := false
	err := s.write(ctx, sqlstore.OpUseCommandResponse, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.conn.ExecContext(ctx, `DELETE FROM command_responses WHERE expires_ms < ?`, tx.now.UnixMilli()); err != nil {
			return err
		}
		res, err := tx.conn.ExecContext(ctx, `INSERT INTO command_responses (id, expires_ms) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
			id, expires.UnixMilli())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	return first, err
}
