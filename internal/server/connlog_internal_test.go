package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged starts a server of cfg on a fresh SQLite file whose every part logs JSON to the
// returned buffer, and returns the buffer, the store and the server's URL; cleanup ends them.
func startLogged(t *testing.T, cfg Config) (*lockedBuffer, hubbub.Store, string) {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "h.db"), sqlite.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	broker := inmem.NewBroker()
	t.Cleanup(func() { broker.Close() })
	h := hub.New(hub.Config{Logger: log}, store, broker)
	t.Cleanup(h.Close)
	cfg.Logger = log
	s, err := New(cfg, h, store, broker)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return logs, store, hs.URL
}

// Every log line about a connection — from connect to disconnect, closing codes included —
// carries its id (conn=), so one grep finds a client's whole story.
func TestEveryConnectionLogLineCarriesItsID(t *testing.T) {
	logs, _, base := startLogged(t, Config{MaxText: 10})
	url := "ws" + strings.TrimPrefix(base, "http")
	ws, _, err := websocket.DefaultDialer.Dial(url+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte("ann"))
	_ = ws.WriteMessage(websocket.TextMessage, []byte("\xff")) // closes with 1007
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			break
		}
	}
	ws.Close()
	add, _, err := websocket.DefaultDialer.Dial(url+"/add", nil)
	if err != nil {
		t.Fatal(err)
	}
	add.Close()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), "disconnected") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if rec["component"] != "server" {
			continue
		}
		msg, _ := rec["msg"].(string)
		seen[msg] = true
		if _, ok := rec["conn"]; !ok {
			t.Errorf("connection log line without conn: %s", sc.Text())
		}
	}
	for _, want := range []string{"connected", "named", "closing", "disconnected", "add client connected", "add client disconnected"} {
		if !seen[want] {
			t.Errorf("no %q line in the logs:\n%s", want, logs.String())
		}
	}
}
