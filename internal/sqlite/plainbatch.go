package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// A batch's plain messages (isPlain) are inserted together: one multi-row INSERT for up to
// maxPlainRows of them, and each room's numbering moved on once for all of them, where
// appendPlain runs an insert and the numbering's upsert for each. The pure-Go SQLite pays
// most of a statement's cost per step (binding, the VDBE's setup, database/sql's round
// through the driver), not per row: under issue 19's durable ingress (batches of ~4,096
// messages over 1,000 rooms) the two statements a message were ~10 % of the server's CPU
// beyond their B-tree work.
//
// What a message gets is what appendPlain would give it: its room's next seq, in the
// batch's order, its ord, and the same refusal of a client id that a change holds. The rows
// go in with INSERT OR IGNORE: a statement of many rows that may abort on a constraint makes
// SQLite copy every page it changes into a statement journal first, so that it can undo its
// earlier rows, and that copy cost as much as the statements it saved. A row refused (a
// resend: its client id taken by a message or a change) is left out instead, the statement
// says it changed fewer rows, and the group's rows are deleted again (each by its room, seq
// and new id) and its messages go through appendPlain one at a time, which finds each
// resend as it always did. A resend is rare, so the group's second try is too. Any error of
// the statements themselves breaks the batch (w.broken): without a statement journal, SQLite
// may have rolled the transaction back, or left a statement's rows half in.

// maxPlainRows is the most rows one multi-row statement takes. At 10 parameters a row,
// 2,560 parameters, well under SQLite's limit of 32,766; a larger group takes several
// statements, and the rest of it statements of fewer rows, by powers of two, so that at
// most nine statements of each kind (1, 2, 4 … 256 rows) are ever prepared.
const maxPlainRows = 256

// plainStmts are the multi-row statements, prepared on the writer's connection when first
// needed, by number of rows.
type plainStmts struct {
	insert map[int]*sql.Stmt
	number map[int]*sql.Stmt
}

// plainInsertSQL inserts n plain messages. A row whose client id a message holds, or a
// change (refused by insertMessageSQL's condition), is left out: the statement then affects
// fewer rows than it was given, which sends the group back to appendPlain.
func plainInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT OR IGNORE INTO messages (room, seq, id, client_id, sender, text, created_ms, user_id, ord, bot)
		SELECT column1, column2, column3, column4, column5, column6, column7, column8, column9, column10
		FROM (VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?)")
	}
	b.WriteString(`) WHERE column4 = '' OR NOT EXISTS (SELECT 1 FROM entries
		WHERE room = column1 AND user_id = column8 AND client_id = column4 AND client_id <> '')`)
	return b.String()
}

// plainNumberSQL moves n rooms' numbering on by the messages each was given (last_seq and
// msgs both count them: only messages are in the group), as bumpSeq does by one: an update,
// since every room of a group has its row (its first entry, which made it, went through
// appendOne). OR IGNORE for the statement journal, as the insert; a room whose row is missing
// is left out of the count of changed rows, which the caller checks.
func plainNumberSQL(n int) string {
	var b strings.Builder
	b.WriteString(`UPDATE OR IGNORE rooms SET last_seq = last_seq + v.column2, msgs = msgs + v.column2 FROM (VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?)")
	}
	b.WriteString(`) AS v WHERE rooms.name = v.column1`)
	return b.String()
}

// plainStmt returns the statement of n rows from cache, preparing it with query(n) the first
// time; the writer closes it with its other statements.
func (w *writer) plainStmt(ctx context.Context, cache *map[int]*sql.Stmt, n int, query func(int) string) (*sql.Stmt, error) {
	if st, ok := (*cache)[n]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(ctx, query(n))
	if err != nil {
		return nil, err
	}
	if *cache == nil {
		*cache = make(map[int]*sql.Stmt)
	}
	(*cache)[n] = st
	w.stmts.all = append(w.stmts.all, st)
	return st, nil
}

// chunkRows returns how many of rest rows the next statement takes: maxPlainRows, or the
// largest power of two not above rest.
func chunkRows(rest int) int {
	if rest >= maxPlainRows {
		return maxPlainRows
	}
	n := 1
	for n*2 <= rest {
		n *= 2
	}
	return n
}

// plainRoom is one room's part of a group: its numbering before the group, and how many of
// the group's messages it took.
type plainRoom struct {
	before roomNumbering
	added  int64
}

// appendPlains stores the plain messages of reqs (each request's res.msg, the entry as it
// is to be stored, without its seq) in the open transaction, and leaves each outcome in its
// request; reqs is in the batch's order. It sets w.broken as appendPlain does.
func (w *writer) appendPlains(ctx context.Context, reqs []*request) {
	if len(reqs) == 1 {
		reqs[0].res = w.appendPlain(ctx, reqs[0].res.msg)
		return
	}
	// Number the group from the rooms' numbering as it stands; w.seqs is moved on only once
	// the group is in, so that the one-at-a-time fallback starts from the same place. A
	// room's first entry is appended on its own, here and now, as appendPlain does; the
	// room's later messages of the group are then numbered from its row.
	rooms := make(map[string]*plainRoom)
	group := make([]*request, 0, len(reqs))
	for _, r := range reqs {
		m := &r.res.msg
		pr := rooms[m.Room]
		if pr == nil {
			cur, err := w.numbering(ctx, m.Room)
			if err != nil {
				setErr(reqs, err)
				return
			}
			if cur.last == 0 {
				if r.res = w.appendOne(ctx, *m); w.broken != nil {
					setErr(reqs, w.broken)
					return
				}
				continue
			}
			pr = &plainRoom{before: cur}
			rooms[m.Room] = pr
		}
		pr.added++
		m.Seq = uint64(pr.before.last + pr.added)
		group = append(group, r)
	}
	if !w.insertPlains(ctx, group, rooms) {
		if w.broken != nil {
			setErr(reqs, w.broken)
			return
		}
		// One at a time, as before groups: a resend is found, the others stored. Each
		// message's seq is given again by appendPlain.
		for i, r := range group {
			m := r.res.msg
			m.Seq = 0
			r.res = w.appendPlain(ctx, m)
			if w.broken != nil {
				setErr(group[i+1:], w.broken)
				return
			}
		}
		return
	}
	for room, pr := range rooms {
		w.seqs.put(room, roomNumbering{last: pr.before.last + pr.added, msgs: pr.before.msgs + pr.added})
	}
}

// insertPlains inserts the group's rows, sorted by room and seq so that each statement
// walks the tables' B-trees in order, then moves its rooms' numbering on, and reports
// whether it did. When a row was left out (a resend), it deletes the rows it inserted and
// reports false; when a statement failed, it sets w.broken.
func (w *writer) insertPlains(ctx context.Context, reqs []*request, rooms map[string]*plainRoom) bool {
	sorted := slices.Clone(reqs)
	slices.SortStableFunc(sorted, func(a, b *request) int { return strings.Compare(a.res.msg.Room, b.res.msg.Room) })
	args := make([]any, 0, 10*min(len(sorted), maxPlainRows))
	for done := 0; done < len(sorted); {
		n := chunkRows(len(sorted) - done)
		st, err := w.plainStmt(ctx, &w.plain.insert, n, plainInsertSQL)
		if err != nil {
			w.broken = fmt.Errorf("prepare: %w", err)
			return false
		}
		args = args[:0]
		for _, r := range sorted[done : done+n] {
			m := &r.res.msg
			ord := rooms[m.Room].before.msgs + int64(m.Seq) - rooms[m.Room].before.last
			args = append(args, m.Room, int64(m.Seq), m.ID, m.ClientID, m.From, m.Text, m.Time.UnixMilli(), m.User, ord, m.Bot)
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			w.broken = fmt.Errorf("insert: %w", err)
			return false
		}
		got, err := res.RowsAffected()
		if err != nil {
			w.broken = fmt.Errorf("insert: %w", err)
			return false
		}
		done += n
		if got != int64(n) { // a row was left out: a resend
			w.unInsert(ctx, sorted[:done])
			return false
		}
	}
	names := make([]string, 0, len(rooms))
	for room := range rooms {
		names = append(names, room)
	}
	slices.Sort(names)
	for done := 0; done < len(names); {
		n := chunkRows(len(names) - done)
		st, err := w.plainStmt(ctx, &w.plain.number, n, plainNumberSQL)
		if err == nil {
			args = args[:0]
			for _, room := range names[done : done+n] {
				args = append(args, room, rooms[room].added)
			}
			err = rowsChanged(st.ExecContext(ctx, args...))(int64(n))
		}
		if err != nil {
			// The rows are in without their numbering: the batch rolls back as a whole.
			w.broken = fmt.Errorf("%w: %w", errBatchBroken, err)
			return false
		}
		done += n
	}
	return true
}

// unInsert deletes the rows of reqs' messages that are in, each found by its room, seq and
// id (new, so never another message's), and sets w.broken if it cannot.
func (w *writer) unInsert(ctx context.Context, reqs []*request) {
	for _, r := range reqs {
		m := &r.res.msg
		if _, err := w.conn.ExecContext(ctx, `DELETE FROM messages WHERE room = ? AND seq = ? AND id = ?`, m.Room, int64(m.Seq), m.ID); err != nil {
			w.broken = fmt.Errorf("undo a group of messages: %w", err)
			return
		}
	}
}
