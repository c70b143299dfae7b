package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/sqlite"
	"hubbub/internal/sqlitetest"
	"hubbub/internal/testwait"
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
// returned buffer, at debug, and returns the buffer, the store and the server's URL; cleanup
// ends them.
func startLogged(t *testing.T, cfg Config) (*lockedBuffer, hubbub.Store, string) {
	t.Helper()
	return startLoggedAt(t, cfg, slog.LevelDebug)
}

// startLoggedAt is startLogged logging at level.
func startLoggedAt(t *testing.T, cfg Config, level slog.Level) (*lockedBuffer, hubbub.Store, string) {
	t.Helper()
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	path := filepath.Join(t.TempDir(), "h.db")
	sqlitetest.Fresh(t, path)
	store, err := sqlite.Open(path, sqlite.Options{Logger: log})
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

// At the default level (info) a connection is two lines, connected and disconnected, and the
// last says what an operator needs of it: why it ended, how long it lasted, whom it acted for
// and the close code and reason hubbub sent. It was four lines (connected, hello, closing,
// disconnected), the user and the close code each on a line of its own; those are debug now.
func TestAConnectionIsTwoLinesAtInfo(t *testing.T) {
	for _, tr := range []string{TransportPoll, TransportGoroutine} {
		t.Run(tr, func(t *testing.T) {
			logs, _, base := startLoggedAt(t, Config{Transport: tr}, slog.LevelInfo)
			dialer := websocket.Dialer{Subprotocols: []string{hubbub.ProtocolJSON}}
			ws, _, err := dialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","name":"ann","key":"key-ann"}`))
			_ = ws.SetReadDeadline(time.Now().Add(testwait.Timeout))
			if _, welcome, err := ws.ReadMessage(); err != nil || !strings.Contains(string(welcome), `"welcome"`) {
				t.Fatalf("hello answered %s, %v", welcome, err)
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte("\xff")) // closes with 1007
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					break
				}
			}
			testwait.Until(t, "the disconnected line", func() bool { return strings.Contains(logs.String(), `"msg":"disconnected"`) })

			var msgs []string
			var last map[string]any
			sc := bufio.NewScanner(strings.NewReader(logs.String()))
			for sc.Scan() {
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("log line %q: %v", sc.Text(), err)
				}
				if _, ok := rec["conn"]; ok {
					msgs = append(msgs, rec["msg"].(string))
					last = rec
				}
			}
			if want := []string{"connected", "disconnected"}; !slices.Equal(msgs, want) {
				t.Fatalf("the connection's lines at info: %q, want %q\n%s", msgs, want, logs.String())
			}
			user, _ := last["user"].(string)
			lasted, _ := last["duration"].(float64)
			if last["name"] != "ann" || user == "" || lasted <= 0 || last["code"] != float64(1007) ||
				last["close_reason"] == "" || last["close_reason"] == nil || last["reason"] == "" {
				t.Errorf("the disconnected line lacks the user, duration, close code or reason: %v", last)
			}
			if reason, _ := last["reason"].(string); reason != "close 1007" {
				t.Errorf("the disconnected line's reason %q, want \"close 1007\" (the client's close had no text)", reason)
			}
		})
	}
}
