package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
)

// fakeCentrifugo is just enough of Centrifugo's JSON client protocol to check the driver:
// connect with a JWT signed by secret, subscribe, publish to every subscriber of the channel,
// and a ping ({}) after subscribe that must be answered with {}. It batches each publication
// with the publish reply in one frame, one JSON object per line, as Centrifugo may.
type fakeCentrifugo struct {
	secret string

	mu      sync.Mutex
	subs    map[string][]*fakeConn
	pongs   int
	sources map[string]bool
	errs    []string
	wg      sync.WaitGroup
}

type fakeConn struct {
	mu sync.Mutex
	ws *websocket.Conn
}

func (c *fakeConn) write(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.WriteMessage(websocket.TextMessage, b)
}

// fail records what the fake found wrong with a client; the test checks the list.
func (f *fakeCentrifugo) fail(format string, args ...any) {
	f.mu.Lock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeCentrifugo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.wg.Add(1)
	defer f.wg.Done()
	defer ws.Close()
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	f.mu.Lock()
	f.sources[host] = true
	f.mu.Unlock()
	c := &fakeConn{ws: ws}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if string(data) == "{}" {
			f.mu.Lock()
			f.pongs++
			f.mu.Unlock()
			continue
		}
		var cmd struct {
			ID      uint32 `json:"id"`
			Connect *struct {
				Token string `json:"token"`
			} `json:"connect"`
			Subscribe *struct {
				Channel string `json:"channel"`
			} `json:"subscribe"`
			Publish *struct {
				Channel string          `json:"channel"`
				Data    json.RawMessage `json:"data"`
			} `json:"publish"`
		}
		if err := json.Unmarshal(data, &cmd); err != nil {
			f.fail("bad command %q: %v", data, err)
			return
		}
		switch {
		case cmd.Connect != nil:
			tok, err := jwt.Parse(cmd.Connect.Token, func(*jwt.Token) (any, error) { return []byte(f.secret), nil },
				jwt.WithValidMethods([]string{"HS256"}))
			if err != nil || !tok.Valid {
				c.write([]byte(`{"id":1,"error":{"code":109,"message":"token expired or invalid"}}`))
				f.fail("token: %v", err)
				return
			}
			if sub, _ := tok.Claims.GetSubject(); sub == "" {
				f.fail("token without sub")
			}
			c.write([]byte(`{"id":1,"connect":{"client":"x","version":"6.9.1","ping":25,"pong":true}}`))
		case cmd.Subscribe != nil:
			f.mu.Lock()
			f.subs[cmd.Subscribe.Channel] = append(f.subs[cmd.Subscribe.Channel], c)
			f.mu.Unlock()
			c.write([]byte(`{"id":2,"subscribe":{}}`))
			c.write([]byte(`{}`)) // a ping
		case cmd.Publish != nil:
			push, _ := json.Marshal(map[string]any{"push": map[string]any{"channel": cmd.Publish.Channel,
				"pub": map[string]any{"data": cmd.Publish.Data, "offset": 1}}})
			f.mu.Lock()
			subs := append([]*fakeConn(nil), f.subs[cmd.Publish.Channel]...)
			f.mu.Unlock()
			reply := []byte(`{"id":` + jsonNum(cmd.ID) + `,"publish":{}}`)
			for _, s := range subs {
				if s == c {
					s.write(bytes.Join([][]byte{reply, push}, []byte{'\n'}))
				} else {
					s.write(push)
				}
			}
		}
	}
}

func jsonNum(n uint32) string { b, _ := json.Marshal(n); return string(b) }

func TestCentrifugoTarget(t *testing.T) {
	const secret = "test-secret"
	f := &fakeCentrifugo{secret: secret, subs: map[string][]*fakeConn{}, sources: map[string]bool{}}
	srv := httptest.NewServer(f)
	defer func() { srv.Close(); f.wg.Wait() }()

	cfgFile := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgFile, []byte(`{"client":{"token":{"hmac_secret_key":"`+secret+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCentrifugoSecret(cfgFile)
	if err != nil || got != secret {
		t.Fatalf("ReadCentrifugoSecret = %q, %v", got, err)
	}

	cfg := testConfig(ScenarioFanout, TargetCentrifugo, "ws"+strings.TrimPrefix(srv.URL, "http")+"/connection/websocket")
	cfg.TokenSecret, cfg.Sources = secret, 2
	cfg.Listeners, cfg.Senders, cfg.Steps, cfg.StepMessages = 3, 1, 1, 5
	rep := run(t, cfg)
	checkClean(t, rep)
	st := rep.Steps[0]
	if st.Sent != 5 || st.Delivered != 20 || !st.OK {
		t.Errorf("sent %d delivered %d ok %v (%s); want 5 sent, 20 delivered", st.Sent, st.Delivered, st.OK, st.Reason)
	}
	f.mu.Lock()
	pongs, errs := f.pongs, f.errs
	f.mu.Unlock()
	if len(errs) > 0 {
		t.Errorf("the fake server found: %v", errs)
	}
	if pongs != 4 {
		t.Errorf("%d pongs, want one from each of the 4 clients", pongs)
	}
	var sources []string
	f.mu.Lock()
	for s := range f.sources {
		sources = append(sources, s)
	}
	f.mu.Unlock()
	sort.Strings(sources)
	if strings.Join(sources, ",") != "127.0.0.2,127.0.0.3" {
		t.Errorf("connections came from %v, want 127.0.0.2 and 127.0.0.3 (--sources 2)", sources)
	}

	// A wrong secret is refused at connect.
	cfg.TokenSecret = "wrong"
	if _, err := Run(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "109") {
		t.Errorf("Run with a wrong secret = %v, want the connect error", err)
	}
}
