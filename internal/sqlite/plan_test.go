package sqlite

import (
	"strings"
	"testing"
)

// TestQueryPlans: each read of the room log, and each write that looks something up, reads
// the index range it was written for, never a whole room or table. SQLite plans without
// statistics here (nothing runs ANALYZE), which is where a plan goes wrong unnoticed.
func TestQueryPlans(t *testing.T) {
	s, _ := openTest(t, Options{})
	for _, c := range []struct {
		name, sql string
		args      []any
		want      []string // each must appear in the plan
	}{
		{"since", sinceSQL, []any{"r", 0, 10}, []string{
			"MERGE (UNION ALL)",
			"SEARCH messages USING PRIMARY KEY (room=? AND seq>?)",
			"SEARCH entries USING PRIMARY KEY (room=? AND seq>?)"}},
		{"before", beforeSQL, []any{"r", 10, 10}, []string{"SEARCH messages USING PRIMARY KEY (room=? AND seq<?)"}},
		{"replies", repliesSQL, []any{"r", 1, 0, 10}, []string{"SEARCH messages USING INDEX messages_replies (room=? AND reply_to=? AND seq>?)"}},
		{"revisions", revisionsSQL, []any{"r", 1}, []string{
			"SEARCH messages USING PRIMARY KEY (room=? AND seq=?)",
			"SEARCH entries USING INDEX entries_target (room=? AND target=?)"}},
		{"reacted by", reactedBySQL, []any{"r", "u", 1, 10}, []string{
			"SEARCH reactions USING COVERING INDEX reactions_sender (room=? AND sender=? AND seq>? AND seq<?)"}},
		{"insert message", insertMessageSQL, []any{"r", 1, "id", "c", "u", "x", 0, 0, "", 0}, []string{
			"SEARCH entries USING COVERING INDEX entries_client_id (room=? AND sender=? AND client_id=?)"}},
		{"empty edits", emptyEditsSQL, []any{"r", 1}, []string{"SEARCH entries USING INDEX entries_target (room=? AND target=?)"}},
		{"deleted by", deletedBySQL, []any{"r", 1}, []string{"SEARCH entries USING INDEX entries_target (room=? AND target=?)"}},
	} {
		rows, err := s.w.conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.sql, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		all := strings.Join(plan, "\n")
		for _, w := range c.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: plan lacks %q:\n%s", c.name, w, all)
			}
		}
		if strings.Contains(all, "SCAN ") && !strings.Contains(all, "SCAN CONSTANT ROW") {
			t.Errorf("%s: plan scans:\n%s", c.name, all)
		}
	}
}
