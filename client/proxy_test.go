package client_test

import (
	"net"
	"sync"
	"testing"
)

// proxy is a TCP relay between clients and a server that a test can break on purpose: cut every
// connection, refuse new ones, or hold back what the server sends (so that a request reaches
// the server but its answer never reaches the client).
type proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	down   bool
	frozen bool
	thaw   chan struct{} // closed when frozen ends
	links  map[*link]struct{}
	wg     sync.WaitGroup
	closed bool
}

type link struct {
	client, server net.Conn
	once           sync.Once
	gone           chan struct{}
}

func (l *link) close() {
	l.once.Do(func() {
		close(l.gone)
		l.client.Close()
		l.server.Close()
	})
}

// startProxy relays 127.0.0.1:random to target (host:port) until the test ends.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, links: make(map[*link]struct{}), thaw: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// URL is the proxy's WebSocket endpoint.
func (p *proxy) URL() string { return "ws://" + p.ln.Addr().String() + "/ws" }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down || p.closed {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.mu.Unlock()
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		l := &link{client: c, server: s, gone: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			l.close()
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(l, l.client, l.server, false)
		go p.pipe(l, l.server, l.client, true)
	}
}

// pipe copies src to dst; from the server it holds bytes back while the proxy is frozen.
func (p *proxy) pipe(l *link, src, dst net.Conn, fromServer bool) {
	defer p.wg.Done()
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if fromServer && !p.waitThawed(l) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) waitThawed(l *link) bool {
	for {
		p.mu.Lock()
		frozen, thaw := p.frozen, p.thaw
		p.mu.Unlock()
		if !frozen {
			return true
		}
		select {
		case <-thaw:
		case <-l.gone:
			return false
		}
	}
}

// freeze holds back everything the server sends until cut.
func (p *proxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

// cut closes every relayed connection (dropping what was held back) and ends a freeze.
func (p *proxy) cut() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.close() // before thawing, so that nothing held back gets through
	}
	p.mu.Lock()
	if p.frozen {
		p.frozen = false
		close(p.thaw)
		p.thaw = make(chan struct{})
	}
	p.mu.Unlock()
}

// setDown makes the proxy refuse (accept and close) new connections, or accept them again.
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}
