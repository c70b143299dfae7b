package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gorilla/websocket"
)

// newUpgrader builds the WebSocket upgrader from the configuration: every option of
// gorilla's Upgrader is a flag, and a refused upgrade answers with a real status and body.
func (s *Server) newUpgrader(subprotocols []string) websocket.Upgrader {
	u := websocket.Upgrader{
		HandshakeTimeout:  s.cfg.HandshakeTimeout,
		ReadBufferSize:    s.cfg.ReadBufferSize,
		WriteBufferSize:   s.cfg.WriteBufferSize,
		Subprotocols:      subprotocols,
		EnableCompression: s.cfg.Compression,
		CheckOrigin:       s.origins.allows,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			s.log.Info("upgrade refused", "remote", r.RemoteAddr, "path", r.URL.Path,
				"origin", r.Header.Get("Origin"), "status", status, "reason", reason)
			w.Header().Set("Sec-Websocket-Version", "13")
			http.Error(w, reason.Error(), status)
		},
	}
	if !s.cfg.NoWriteBufferPool {
		u.WriteBufferPool = &sync.Pool{}
	}
	return u
}

// pollable reports whether the socket of r can be served by the polled transport: a plain
// TCP socket (TLS records need a goroutine of their own) without permessage-deflate (the
// polled transport frames text itself).
func (s *Server) pollable(r *http.Request) bool {
	if s.poller == nil || r.TLS != nil {
		return false
	}
	offers := strings.ToLower(strings.Join(r.Header.Values("Sec-Websocket-Extensions"), ","))
	return !s.cfg.Compression || !strings.Contains(offers, "permessage-deflate")
}

// originPolicy decides which browser pages may open WebSockets. Same-origin is always allowed;
// requests without an Origin header come from non-browser clients and are allowed too, since
// cross-site WebSocket hijacking needs a browser.
type originPolicy struct {
	any   bool
	hosts map[string]bool // "host:port" or "host", lower case, any scheme
	full  map[string]bool // "scheme://host[:port]", lower case
}

func newOriginPolicy(allowed []string) (originPolicy, error) {
	p := originPolicy{hosts: map[string]bool{}, full: map[string]bool{}}
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "":
		case a == "*":
			p.any = true
		case strings.Contains(a, "://"):
			u, err := url.Parse(a)
			if err != nil || u.Host == "" {
				return p, fmt.Errorf("server: allowed origin %q is not an origin like https://example.com", a)
			}
			p.full[u.Scheme+"://"+u.Host] = true
		default:
			p.hosts[a] = true
		}
	}
	return p, nil
}

func (p originPolicy) allows(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	host := strings.ToLower(u.Host)
	if host == strings.ToLower(r.Host) {
		return true
	}
	return p.hosts[host] || p.full[strings.ToLower(u.Scheme)+"://"+host]
}

// serveWS upgrades /ws and starts the session for the negotiated protocol, which runs until the
// socket ends.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	release, ok := s.admit(w, r)
	if !ok {
		return // admit has answered and logged
	}
	bh := &batchHijacker{ResponseWriter: w}
	ws, err := s.upgrader.Upgrade(bh, r, nil)
	if err != nil {
		release()
		return // the upgrader's Error function has answered and logged
	}
	c := s.newConn(ws, r)
	c.batch = bh.conn
	var sess session
	if c.speaksJSON() { // decided by newConn
		sess = newJSONSession(s, c, upgradeToken(r))
	} else {
		sess = newTextSession(s, c, upgradeToken(r))
	}
	// The transport is chosen and set up before the connection is tracked, so that shutdown
	// never sees it half built.
	polled := false
	if s.pollable(r) {
		c.nc = bh.conn.Conn // the raw socket: the polled transport frames its own writes
		if polled = s.preparePolled(c, sess, release); !polled {
			c.nc = ws.NetConn()
		}
	}
	if !s.track(c) {
		sess.end()
		release()
		c.closeNow(websocket.CloseGoingAway, "server is shutting down")
		return
	}
	if polled {
		c.startPolled() // the poller and the flushers serve it from now on
		return
	}
	// Serve the socket from a goroutine of its own and return: net/http's connection goroutine
	// then ends, and with it its deep stack and the 8 KiB of bufio buffers it still holds for a
	// hijacked connection — most of what an idle connection used to cost. Shutdown does not
	// depend on the handler: it waits for tracked connections (track/untrack).
	go func() {
		defer release() // the client's per-address slot, held until the socket ends
		defer s.untrack(c)
		c.serve(sess)
	}()
}
