package sqlstore

import (
	"slices"
	"time"

	"hubbub"
)

// Rows is what reading needs of a query's result: *sql.Rows and pgx.Rows both have it.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// ReadMessages returns the messages of room in rows, scanning each row with scan (the
// dialect's columns), oldest first: newestFirst says that the query walked the room
// backwards (Before reads the newest messages), so the order is turned around. limit is the
// query's and sizes the result. The caller closes rows.
func ReadMessages[R Rows](rows R, room string, limit int, newestFirst bool, scan func(R, *hubbub.Entry) error) ([]hubbub.Entry, error) {
	msgs := make([]hubbub.Entry, 0, min(limit, 64))
	for rows.Next() {
		m := hubbub.Entry{Room: room}
		if err := scan(rows, &m); err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if newestFirst {
		slices.Reverse(msgs)
	}
	return msgs, nil
}

// ReadSanctions returns the sanctions of room in rows, scanning each row with scan. The
// caller closes rows.
func ReadSanctions[R Rows](rows R, room string, scan func(R, *hubbub.Sanction) error) ([]hubbub.Sanction, error) {
	var out []hubbub.Sanction
	for rows.Next() {
		sn := hubbub.Sanction{Room: room}
		if err := scan(rows, &sn); err != nil {
			return nil, err
		}
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// MsTime turns Unix milliseconds into the UTC time the contract promises.
func MsTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// ReadRows returns what scan makes of each of rows, in order. The caller closes rows.
func ReadRows[R Rows, T any](rows R, scan func(R) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Listed returns list as a list the API shows, empty rather than nil (JSON's [], not null),
// unless err.
func Listed[T any](list []T, err error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []T{}
	}
	return list, nil
}
