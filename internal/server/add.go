package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"hubbub/internal/metrics"
)

// AddRequest is one question to the add service, as the original client sends it.
type AddRequest struct {
	A json.RawMessage
	B json.RawMessage
}

// AddResponse is the add service's answer: Sum on success, Error otherwise.
type AddResponse struct {
	Sum   *int64 `json:",omitempty"`
	Error string `json:"error,omitempty"`
}

// Add computes a+b for a request, refusing what is not two integers or overflows int64.
func Add(data []byte) (int64, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return 0, errors.New(`request must be a JSON object like {"A":3,"B":9}`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var req AddRequest
	if err := dec.Decode(&req); err != nil {
		return 0, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return 0, errors.New("one JSON object per message")
	}
	a, err := number("A", req.A)
	if err != nil {
		return 0, err
	}
	b, err := number("B", req.B)
	if err != nil {
		return 0, err
	}
	if b > 0 && a > math.MaxInt64-b || b < 0 && a < math.MinInt64-b {
		return 0, errors.New("the sum does not fit in a 64-bit integer")
	}
	return a + b, nil
}

// number reads an operand; a missing one is 0, as Go's zero value was in the original.
func number(name string, raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer between %d and %d", name, int64(math.MinInt64), int64(math.MaxInt64))
	}
	return v, nil
}

// addConn is an add-service connection as shutdown sees it.
type addConn struct {
	ws   *websocket.Conn
	srv  *Server
	once sync.Once
}

func (a *addConn) goingAway() {
	a.once.Do(func() {
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
		_ = a.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(a.srv.cfg.WriteWait))
		_ = a.ws.SetReadDeadline(time.Now().Add(closeGrace))
	})
}
func (a *addConn) abort() { a.ws.Close() }

// serveAdd is the add service: {"A":3,"B":9} in, {"Sum":12} out, for as long as the client
// keeps asking within AddIdleTimeout. Bad requests get {"error": "..."} and the connection
// stays open.
func (s *Server) serveAdd(w http.ResponseWriter, r *http.Request) {
	release, ok := s.admit(w, r)
	if !ok {
		return // admit has answered and logged
	}
	defer release()
	up := s.upgrader
	up.Subprotocols = nil
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	a := &addConn{ws: ws, srv: s}
	if !s.track(a) {
		a.goingAway()
		ws.Close()
		return
	}
	defer s.untrack(a)
	defer ws.Close()
	log := s.log.With("conn", s.nextID.Add(1), "remote", r.RemoteAddr, "endpoint", "add")
	log.Info("add client connected", "headers", len(r.Header))
	s.cfg.Metrics.Connected(metrics.ProtoAdd)
	defer s.cfg.Metrics.Disconnected(metrics.ProtoAdd)
	ws.SetReadLimit(s.cfg.AddReadLimit)
	answered := 0
	for {
		_ = ws.SetReadDeadline(time.Now().Add(s.cfg.AddIdleTimeout))
		_, data, err := ws.ReadMessage()
		if err != nil {
			log.Info("add client disconnected", "answered", answered, "reason", readEndReason(err))
			return
		}
		var resp AddResponse
		if sum, err := Add(data); err != nil {
			resp.Error = err.Error()
		} else {
			resp.Sum = &sum
		}
		_ = ws.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
		if err := ws.WriteJSON(resp); err != nil {
			log.Info("add client write failed", "err", err)
			return
		}
		answered++
	}
}
