package addservice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"hubbub/internal/metrics"
	"hubbub/internal/transport"
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

// Config tunes the add service. Every field must be set.
type Config struct {
	// IdleTimeout closes a connection that asks nothing for this long.
	IdleTimeout time.Duration
	// ReadLimit is the largest request, in bytes.
	ReadLimit int64
	// WriteWait bounds each write.
	WriteWait time.Duration
	// Rate and Burst bound the requests one connection is answered: Rate a second after a
	// first Burst. A client that asks faster is answered later — the next request is read
	// only when its turn comes — rather than refused: an add client that waits for each
	// answer, as the original does, never sees an error, and a flood costs the server no
	// more than Rate answers a second.
	Rate  float64
	Burst int
	// Metrics counts connections; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives the service's logs.
	Logger *slog.Logger
}

// closeGrace is how long a closing connection waits for the client's close answer.
const closeGrace = 2 * time.Second

// Conn is one add-service connection, upgraded by the caller.
type Conn struct {
	cfg  *Config
	ws   *websocket.Conn
	once sync.Once
}

// NewConn returns the add-service connection on ws.
func NewConn(cfg *Config, ws *websocket.Conn) *Conn { return &Conn{cfg: cfg, ws: ws} }

// GoingAway sends a close frame with 1001 and gives the client a short grace to answer.
func (a *Conn) GoingAway() {
	a.once.Do(func() {
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
		_ = a.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(a.cfg.WriteWait))
		_ = a.ws.SetReadDeadline(time.Now().Add(closeGrace))
	})
}

// Abort closes the socket at once.
func (a *Conn) Abort() { a.ws.Close() }

// Serve answers {"A":3,"B":9} with {"Sum":12} for as long as the client keeps asking within
// IdleTimeout, then closes the socket. Bad requests get {"error": "..."} and the connection
// stays open. id, remote and headers (the upgrade request's header count) are for the logs.
func (a *Conn) Serve(id uint64, remote string, headers int) {
	ws, cfg := a.ws, a.cfg
	defer ws.Close()
	log := cfg.Logger.With("conn", id, "remote", remote, "endpoint", "add")
	log.Info("add client connected", "headers", headers)
	cfg.Metrics.Connected(metrics.ProtoAdd)
	defer cfg.Metrics.Disconnected(metrics.ProtoAdd)
	ws.SetReadLimit(cfg.ReadLimit)
	limit := rate.NewLimiter(rate.Limit(cfg.Rate), cfg.Burst)
	answered := 0
	for {
		// The turn is waited for before the read, so a flood waits in the socket's buffers
		// and then the client's, not in memory here. Reserve never fails with Burst ≥ 1.
		if d := limit.Reserve().Delay(); d > 0 {
			time.Sleep(d)
		}
		_ = ws.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
		_, data, err := ws.ReadMessage()
		if err != nil {
			log.Info("add client disconnected", "answered", answered, "reason", transport.ReadEndReason(err))
			return
		}
		var resp AddResponse
		if sum, err := Add(data); err != nil {
			resp.Error = err.Error()
		} else {
			resp.Sum = &sum
		}
		_ = ws.SetWriteDeadline(time.Now().Add(cfg.WriteWait))
		if err := ws.WriteJSON(resp); err != nil {
			log.Info("add client write failed", "err", err)
			return
		}
		answered++
	}
}
