package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hubbub"
	"hubbub/internal/sqlstore"
)

// Slash commands live in the commands table (migrations/0008_commands.sql), the response URLs
// used in command_responses: an admin's few rows, written rarely.

var _ hubbub.CommandStore = (*Store)(nil)

// The statements of commands.
const (
	commandColumns = `name, url, description, bot_user, secret, created_by, created_at`
	selectCommand  = `SELECT ` + commandColumns + ` FROM commands WHERE name = $1`
	selectCommands = `SELECT ` + commandColumns + ` FROM commands ORDER BY name COLLATE "C" LIMIT $1`
	insertCommand  = `INSERT INTO commands (` + commandColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	// lockCommands makes the count of commands and the insert one step across nodes (the
	// limit), while reads go on.
	lockCommands    = `LOCK TABLE commands IN SHARE ROW EXCLUSIVE MODE`
	countCommands   = `SELECT count(*) FROM commands`
	updateCommand   = `UPDATE commands SET url = $2, description = $3, secret = $4 WHERE name = $1`
	deleteCommand   = `DELETE FROM commands WHERE name = $1`
	pruneResponses  = `DELETE FROM command_responses WHERE expires_at < $1`
	insertResponse  = `INSERT INTO command_responses (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`
	selectForUpdate = selectCommand + ` FOR UPDATE`
)

func scanCommand(row pgx.Row) (hubbub.Command, error) {
	var c hubbub.Command
	err := row.Scan(&c.Name, &c.URL, &c.Description, &c.Bot, &c.Secret, &c.CreatedBy, &c.Created)
	c.Created = c.Created.UTC()
	return c, err
}

// checkCommandText refuses text PostgreSQL cannot store (invalid UTF-8, NUL bytes).
func checkCommandText(c *hubbub.Command) error {
	return checkText("URL", c.URL, "description", c.Description, "bot", c.Bot, "secret", c.Secret, "creator", c.CreatedBy)
}

// CreateCommand stores a new command; see hubbub.CommandStore.
func (s *Store) CreateCommand(ctx context.Context, c hubbub.Command) (hubbub.Command, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpCreateCommand); err != nil {
		return hubbub.Command{}, err
	}
	out, err := s.createCommand(ctx, c)
	return out, s.guard.Wrap(sqlstore.OpCreateCommand, err)
}

func (s *Store) createCommand(ctx context.Context, c hubbub.Command) (hubbub.Command, error) {
	if err := c.Check(); err != nil {
		return hubbub.Command{}, err
	}
	if err := checkCommandText(&c); err != nil {
		return hubbub.Command{}, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return hubbub.Command{}, err
	}
	defer rollback(tx) // after Commit, a no-op
	if _, err := tx.Exec(ctx, lockCommands); err != nil {
		return hubbub.Command{}, err
	}
	var n int
	if err := tx.QueryRow(ctx, countCommands).Scan(&n); err != nil {
		return hubbub.Command{}, err
	}
	if n >= hubbub.MaxCommands {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeLimit, "a server keeps at most %d commands", hubbub.MaxCommands)
	}
	c.Created = s.clock()
	_, err = tx.Exec(ctx, insertCommand, c.Name, c.URL, c.Description, c.Bot, c.Secret, c.CreatedBy, c.Created)
	if uniqueViolation(err, "commands_pkey") {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeExists, "/%s exists already", c.Name)
	}
	if err != nil {
		return hubbub.Command{}, err
	}
	return c, tx.Commit(ctx)
}

// Command finds a command by name; see hubbub.CommandStore.
func (s *Store) Command(ctx context.Context, name string) (hubbub.Command, bool, error) {
	return sqlstore.Find(ctx, &s.guard, sqlstore.OpCommand, func() (hubbub.Command, bool, error) {
		if !textFits(name) {
			return hubbub.Command{}, false, nil
		}
		c, err := scanCommand(s.pool.QueryRow(ctx, selectCommand, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return hubbub.Command{}, false, nil
		}
		return c, err == nil, err
	})
}

// Commands lists every command by name; see hubbub.CommandStore.
func (s *Store) Commands(ctx context.Context) ([]hubbub.Command, error) {
	return sqlstore.Read(ctx, &s.guard, sqlstore.OpCommands, func() ([]hubbub.Command, error) {
		rows, err := s.pool.Query(ctx, selectCommands, hubbub.MaxCommands)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(row pgx.CollectableRow) (hubbub.Command, error) { return scanCommand(row) })
	})
}

// UpdateCommand changes a command; see hubbub.CommandStore.
func (s *Store) UpdateCommand(ctx context.Context, name string, change hubbub.CommandChange) (hubbub.Command, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUpdateCommand); err != nil {
		return hubbub.Command{}, err
	}
	out, err := s.updateCommand(ctx, name, change)
	return out, s.guard.Wrap(sqlstore.OpUpdateCommand, err)
}

func (s *Store) updateCommand(ctx context.Context, name string, change hubbub.CommandChange) (hubbub.Command, error) {
	if !textFits(name) {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return hubbub.Command{}, err
	}
	defer rollback(tx)
	c, err := scanCommand(tx.QueryRow(ctx, selectForUpdate, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name)
	}
	if err != nil {
		return hubbub.Command{}, err
	}
	if c, err = c.Apply(change); err != nil {
		return hubbub.Command{}, err
	}
	if err := checkCommandText(&c); err != nil {
		return hubbub.Command{}, err
	}
	if _, err := tx.Exec(ctx, updateCommand, name, c.URL, c.Description, c.Secret); err != nil {
		return hubbub.Command{}, err
	}
	return c, tx.Commit(ctx)
}

// DeleteCommand removes a command; see hubbub.CommandStore.
func (s *Store) DeleteCommand(ctx context.Context, name string) error {
	if err := s.guard.Begin(ctx, sqlstore.OpDeleteCommand); err != nil {
		return err
	}
	var n int64
	if textFits(name) {
		tag, err := s.pool.Exec(ctx, deleteCommand, name)
		if err != nil {
			return s.guard.Wrap(sqlstore.OpDeleteCommand, err)
		}
		n = tag.RowsAffected()
	}
	if n == 0 {
		return s.guard.Wrap(sqlstore.OpDeleteCommand, hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name))
	}
	return nil
}

// UseCommandResponse records the first use of a response URL; see hubbub.CommandStore. The
// expired rows go in the same batch, so the table holds only the URLs still usable.
func (s *Store) UseCommandResponse(ctx context.Context, id string, expires time.Time) (bool, error) {
	if err := s.guard.Begin(ctx, sqlstore.OpUseCommandResponse); err != nil {
		return false, err
	}
	if id == "" {
		return false, s.guard.Wrap(sqlstore.OpUseCommandResponse, hubbub.Errorf(hubbub.ECodeMissing, "a response needs an id"))
	}
	if err := checkText("response id", id); err != nil {
		return false, s.guard.Wrap(sqlstore.OpUseCommandResponse, err)
	}
	b := &pgx.Batch{}
	b.Queue(pruneResponses, s.clock())
	var tag int64
	b.Queue(insertResponse, id, expires).Exec(func(ct pgconn.CommandTag) error {
		tag = ct.RowsAffected()
		return nil
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return false, s.guard.Wrap(sqlstore.OpUseCommandResponse, err)
	}
	return tag == 1, nil
}
