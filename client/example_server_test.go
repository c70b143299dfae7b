package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"hubbub/client"
	"hubbub/internal/hub"
	"hubbub/internal/inmem"
	"hubbub/internal/server"
	"hubbub/internal/sqlite"
)

// exampleServer starts a throwaway hubbub server for the examples, wired as `hubbub serve`
// wires one (a SQLite file in a temporary folder, the in-process broker), and returns its
// address and the function that stops it and removes its files. Examples have no
// testing.T, so this is servertest.Start without one.
func exampleServer() (serverURL string, stop func()) {
	dir, err := os.MkdirTemp("", "hubbub-example-")
	if err != nil {
		log.Fatal(err)
	}
	n := startNode(filepath.Join(dir, "hubbub.db"), "127.0.0.1:0")
	return n.url, func() {
		n.stop()
		os.RemoveAll(dir)
	}
}

// exampleNode is a running example server.
type exampleNode struct {
	url, addr string
	stop      func()
}

// startNode starts a server on addr with its data in the file path.
func startNode(path, addr string) *exampleNode {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := sqlite.Open(path, sqlite.Options{Logger: discard})
	if err != nil {
		log.Fatal(err)
	}
	broker := inmem.NewBroker()
	h := hub.New(hub.Config{Logger: discard}, store, broker)
	srv, err := server.New(server.Config{Logger: discard}, h, store, broker)
	if err != nil {
		log.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ { // a restarted server may find its port in TIME_WAIT for a moment
		if ln, err = net.Listen("tcp", addr); err == nil || i == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		log.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	return &exampleNode{url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) // says goodbye to every client (1001)
		hs.Shutdown(ctx)
		h.Close()
		broker.Close()
		store.Close()
	}}
}

// restartableServer is exampleServer with a restart: restart stops the server and starts it
// again on the same address and data, as an operator restarting the process would.
func restartableServer() (serverURL string, restart, stop func()) {
	dir, err := os.MkdirTemp("", "hubbub-example-")
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "hubbub.db")
	n := startNode(path, "127.0.0.1:0")
	return n.url, func() {
			n.stop()
			n = startNode(path, n.addr)
		}, func() {
			n.stop()
			os.RemoveAll(dir)
		}
}

// chatter is a person in the examples, on a Session of their own: ask says something and
// prints the answers it gets.
type chatter struct {
	ses *client.Session
}

// newChatter connects name to serverURL and joins room.
func newChatter(serverURL, name, room string) *chatter {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ses, err := client.Connect(ctx, client.SessionOptions{URLs: []string{serverURL}, Name: name, Key: name + "'s key",
		SkipHistory: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := ses.Join(ctx, room); err != nil {
		log.Fatal(err)
	}
	return &chatter{ses: ses}
}

// ask sends text to room, then prints every message of someone else until the one that
// answers it (a reply to it), so the examples' output shows any answer a bot should not
// have given too.
func (c *chatter) ask(room, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.ses.Send(ctx, room, text)
	if err != nil {
		log.Fatal(err)
	}
	ack, err := r.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for {
		select {
		case f := <-c.ses.Events():
			if m, ok := f.(*client.Message); ok && m.From != c.ses.Name() {
				fmt.Printf("%s: %s\n", m.From, m.Text)
				if m.ReplyTo == ack.Seq {
					return
				}
			}
		case <-ctx.Done():
			fmt.Printf("no answer to %q\n", text)
			return
		}
	}
}

// tell sends text to room without waiting for an answer.
func (c *chatter) tell(room, text string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.ses.Send(ctx, room, text); err != nil {
		log.Fatal(err)
	}
}

func (c *chatter) close() { c.ses.Close() }
