package sqlite

import (
	"slices"
	"strings"
	"testing"
)

// TestQueryPlans: each read of the room log, and each write that looks something up, reads
// the index range it was written for, never a whole room or table. SQLite plans without
// statistics here (nothing runs ANALYZE), which is where a plan goes wrong unnoticed.
func TestQueryPlans(t *testing.T) {
	s, _ := openTest(t, Options{})
	// myRoomProbes are the probes of one row of a user's room list, in MyRooms and MyRoom.
	myRoomProbes := []string{
		"SEARCH r USING PRIMARY KEY (name=?)",
		"SEARCH rp USING PRIMARY KEY (user_id=? AND room=?)",
		"SEARCH x USING PRIMARY KEY (room=? AND seq<?)",
		"SEARCH d USING COVERING INDEX messages_deleted (room=? AND seq>?)",
		"SEARCH own USING COVERING INDEX messages_user (room=? AND user_id=? AND seq>?)",
		"SEARCH mn USING PRIMARY KEY (room=? AND user_id=? AND seq>?)",
		"SEARCH o USING PRIMARY KEY (room=?)",
		"SEARCH sn USING PRIMARY KEY (room=? AND user_id=? AND kind=?)"}
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
		{"notices", noticesSQL, []any{"r", 0, 10, 10}, []string{"SEARCH entries USING INDEX entries_target (room=? AND target=? AND seq>? AND seq<?)"}},
		{"replies", repliesSQL, []any{"r", 1, 0, 10}, []string{"SEARCH messages USING INDEX messages_replies (room=? AND reply_to=? AND seq>?)"}},
		{"revisions", revisionsSQL, []any{"r", 1}, []string{
			"SEARCH messages USING PRIMARY KEY (room=? AND seq=?)",
			"SEARCH entries USING INDEX entries_target (room=? AND target=?)"}},
		{"reacted by", reactedBySQL, []any{"r", "u", 1, 10}, []string{
			"SEARCH reactions USING COVERING INDEX reactions_user (room=? AND user_id=? AND seq>? AND seq<?)"}},
		{"insert message", insertMessageSQL, []any{"r", 1, "id", "c", "u", "x", 0, 0, "", 0, "u_1", 1, 0}, []string{
			"SEARCH entries USING COVERING INDEX entries_client_id (room=? AND user_id=? AND client_id=?)"}},
		{"insert plain messages", plainInsertSQL(2), []any{"r", 1, "id", "c", "u", "x", 0, "u_1", 1, 0, "r", 2, "id2", "c2", "u", "x", 0, "u_1", 2, 0}, []string{
			"SEARCH entries USING COVERING INDEX entries_client_id (room=? AND user_id=? AND client_id=?)"}},
		{"empty edits", emptyEditsSQL, []any{"r", 1}, []string{"SEARCH entries USING INDEX entries_target (room=? AND target=?)"}},
		{"deleted by", deletedBySQL, []any{"r", 1}, []string{"SEARCH entries USING INDEX entries_target (room=? AND target=?)"}},
		{"attach file", attachFileSQL, []any{"r", 1, "f_1", "u_1"}, []string{"SEARCH files USING PRIMARY KEY (id=?)"}},
		{"drop files", dropFilesSQL, []any{"r", 1}, []string{"SEARCH files USING INDEX files_message (room=? AND seq=?)"}},
		{"file usage", fileUsageSQL, []any{"u_1"}, []string{"SEARCH files USING COVERING INDEX files_user (user_id=?)"}},
		{"file", fileSQL, []any{"f_1"}, []string{"SEARCH files USING PRIMARY KEY (id=?)"}},
		{"user by id", userByIDSQL, []any{"u_1"}, []string{"SEARCH u USING PRIMARY KEY (id=?)"}},
		{"user by name", userByKeySQL, []any{"ann"}, []string{"SEARCH u USING INDEX users_name_key (name_key=?)"}},
		{"user by guest key", userByGuestSQL, []any{"k"}, []string{
			"SEARCH g USING PRIMARY KEY (key_hash=?)", "SEARCH u USING PRIMARY KEY (id=?)"}},
		{"user by token", userByExternalSQL, []any{"", "s"}, []string{
			"SEARCH x USING PRIMARY KEY (issuer=? AND subject=?)", "SEARCH u USING PRIMARY KEY (id=?)"}},
		{"users by id", usersByIDSQL, []any{`["u_1"]`}, []string{"SEARCH u USING PRIMARY KEY (id=?)"}},
		{"users", usersSQL, []any{"", 10}, []string{"SEARCH u USING PRIMARY KEY (id>?)"}},
		{"session", sessionSQL, []any{"s", 0}, []string{
			"SEARCH s USING PRIMARY KEY (id=?)", "SEARCH u USING PRIMARY KEY (id=?)"}},
		{"resolve room", resolveRoomSQL, []any{"General", "general"}, []string{
			"SEARCH r USING PRIMARY KEY (name=?)", "SEARCH r USING INDEX rooms_key (<expr>=?)"}},
		{"key holder", keyHolderSQL, []any{"general"}, []string{"SEARCH rooms USING COVERING INDEX rooms_key (<expr>=?)"}},
		{"room meta", roomMetaSQL, []any{"r"}, []string{
			"SEARCH r USING PRIMARY KEY (name=?)", "SEARCH m USING PRIMARY KEY (name=?)",
			"SEARCH lm USING PRIMARY KEY (room=? AND seq=?)", "SEARCH le USING PRIMARY KEY (room=? AND seq=?)"}},
		{"membership", membershipSQL, []any{"r", "u_1"}, []string{
			"SEARCH ms USING PRIMARY KEY (room=? AND user_id=?)", "SEARCH u USING PRIMARY KEY (id=?)"}},
		{"members named", membersNamedSQL, []any{"r", `["bob"]`}, []string{
			"SEARCH u USING INDEX users_name_key (name_key=?)", "SEARCH ms USING PRIMARY KEY (room=? AND user_id=?)"}},
		{"heirs", heirsSQL, []any{"r", "u_1"}, []string{
			"SEARCH memberships USING INDEX memberships_heirs (room=? AND role=?)", "SEARCH u USING PRIMARY KEY (id=?)"}},
		{"ownerless", ownerlessSQL, []any{"r"}, []string{
			"SEARCH room_meta USING PRIMARY KEY (name=?)",
			"SEARCH memberships USING COVERING INDEX memberships_heirs (room=? AND role=?)"}},
		{"members", membersSQL, []any{"r", "", 10}, []string{
			"SEARCH ms USING PRIMARY KEY (room=? AND user_id>?)", "SEARCH u USING PRIMARY KEY (id=?)"}},
		{"sanctions page", sanctionsPageSQL, []any{"r", "", 0, 10}, []string{"SEARCH sanctions USING PRIMARY KEY (room=? AND user_id>?)"}},
		{"directory", directorySQL, []any{""}, []string{
			"SEARCH r USING PRIMARY KEY (name>?)", "SEARCH m USING PRIMARY KEY (name=?)"}},
		{"my rooms", myRoomsSQL, []any{"u_1", 999, 0}, append([]string{
			"SEARCH ms USING INDEX memberships_user (user_id=?)"}, myRoomProbes...)},
		{"my room", myRoomSQL, []any{"u_1", 999, 0, "r"}, append([]string{
			"SEARCH ms USING INDEX memberships_user (user_id=? AND room=?)"}, myRoomProbes...)},
		{"any due", anyDueSQL, []any{0}, []string{"SEARCH deliveries USING COVERING INDEX deliveries_due (next_ms<?)"}},
		{"due deliveries", dueSQL, []any{0, 10}, []string{
			"SEARCH deliveries USING COVERING INDEX deliveries_queue (webhook=?)",
			"SEARCH deliveries USING COVERING INDEX deliveries_queue (webhook=? AND room>?)",
			"SEARCH deliveries USING COVERING INDEX deliveries_queue (webhook=? AND room=?)",
			"SEARCH d USING INTEGER PRIMARY KEY (rowid=?)"}},
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
		for _, step := range plan {
			if strings.Contains(step, "SCAN ") && !scansNoTable(step) && !slices.Contains(allowedScans[c.name], step) {
				t.Errorf("%s: plan scans:\n%s", c.name, all)
			}
		}
	}
}

// allowedScans are the SCAN steps a plan may have: of a table a limit keeps small, or of a
// CTE's own rows.
var allowedScans = map[string][]string{
	"due deliveries": {"SCAN w", "SCAN q"}, // the webhooks (at most MaxWebhooks), the queues found
}

// scansNoTable reports whether a plan's SCAN step walks something other than a table or
// index: a constant row, the JSON array of a query's argument, the rows of a VALUES list, or a subquery's own result
// (whose plan has its own steps, checked too).
func scansNoTable(step string) bool {
	for _, ok := range []string{"SCAN CONSTANT ROW", "SCAN json_each VIRTUAL TABLE", "SCAN (subquery-", "-ROW VALUES CLAUSE"} {
		if strings.Contains(step, ok) {
			return true
		}
	}
	return false
}
