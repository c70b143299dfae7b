package addservice_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

func TestAddServiceSumsAndRejectsBadInput(t *testing.T) {
	s := servertest.Start(t, servertest.Options{})
	c := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", http.Header{"Name": {"Tome", "Jim"}})
	cases := []struct {
		req, sum, err string
	}{
		{`{"A":3,"B":9}`, "12", ""},
		{`{"A":-5,"B":2}`, "-3", ""},
		{`{"A":3}`, "3", ""},
		{`not json`, "", "JSON object"},
		{`{"A":"x","B":1}`, "", "integer"},
		{`{"A":1.5,"B":1}`, "", "integer"},
		{`{"A":9223372036854775807,"B":1}`, "", "does not fit"},
		{`{"A":99999999999999999999,"B":1}`, "", "integer"},
		{`{"A":3,"B":9}`, "12", ""}, // still answering after errors
	}
	for _, tc := range cases {
		if err := c.WriteMessage(websocket.TextMessage, []byte(tc.req)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
		var resp struct {
			Sum   *json.Number
			Error string `json:"error"`
		}
		if err := c.ReadJSON(&resp); err != nil {
			t.Fatalf("%s: %v", tc.req, err)
		}
		if tc.err != "" {
			if !strings.Contains(resp.Error, tc.err) || resp.Sum != nil {
				t.Errorf("%s: got sum %v error %q, want error containing %q", tc.req, resp.Sum, resp.Error, tc.err)
			}
			continue
		}
		if resp.Sum == nil || string(*resp.Sum) != tc.sum {
			t.Errorf("%s: got sum %v error %q, want %s", tc.req, resp.Sum, resp.Error, tc.sum)
		}
	}
}

func TestAddServiceClosesIdleConnections(t *testing.T) {
	s := servertest.Start(t, servertest.Options{Server: server.Config{AddIdleTimeout: 200 * time.Millisecond}})
	c := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", nil)
	_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
	if _, _, err := c.ReadMessage(); err == nil {
		t.Fatal("an idle add connection stayed open")
	}
}

// A client that asks faster than --add-rate is answered later, not refused: every answer is
// the right sum, and the answers past the burst come no faster than the rate. (A lower
// bound on the time only: a busy machine can make it longer, never shorter.)
func TestAddServiceAnswersAFloodAtItsRate(t *testing.T) {
	const rate, burst, asked = 5, 2, 6
	s := servertest.Start(t, servertest.Options{Server: server.Config{AddRate: rate, AddBurst: burst}})
	c := servertest.Dial(t, strings.Replace(s.WS, "/ws", "/add", 1), "", nil)
	start := time.Now()
	for i := range asked {
		if err := c.WriteJSON(map[string]int{"A": i, "B": 1}); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(servertest.Wait))
	for i := range asked {
		var resp struct {
			Sum   *int64
			Error string `json:"error"`
		}
		if err := c.ReadJSON(&resp); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		if resp.Error != "" || resp.Sum == nil || *resp.Sum != int64(i+1) {
			t.Fatalf("answer %d = %+v, want the sum %d", i, resp, i+1)
		}
	}
	if took, least := time.Since(start), time.Duration(asked-burst)*time.Second/rate; took < least*9/10 {
		t.Errorf("%d answers at --add-rate %d after a burst of %d took %v, want at least %v", asked, rate, burst, took, least)
	}
}
