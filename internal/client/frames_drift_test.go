package client_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"hubbub/internal/client"
	"hubbub/internal/protocol"
)

// jsonFields lists the JSON names of a struct's fields, with embedded structs flattened and
// "type" left out (the client's frames carry it in FrameType instead).
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			names = append(names, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "type" || !f.IsExported() {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// The client keeps its own copies of the wire frames (a typed API rather than the server's
// encoders). A field the server adds to a frame must reach the client's copy too: this is
// where the two would drift apart unnoticed (Joined had no member_count).
func TestClientFramesMatchTheServers(t *testing.T) {
	for _, c := range []struct {
		server, client any
	}{
		{protocol.Welcome{}, client.Welcome{}},
		{protocol.Joined{}, client.Joined{}},
		{protocol.MessageFrame{}, client.Message{}},
		{protocol.Ack{}, client.Ack{}},
		{protocol.HistoryPage{}, client.History{}},
		{protocol.RoomNames{}, client.Members{}},
		{protocol.Deleted{}, client.Deleted{}},
		{protocol.ErrorFrame{}, client.ServerError{}},
	} {
		s, cl := reflect.TypeOf(c.server), reflect.TypeOf(c.client)
		if got, want := jsonFields(cl), jsonFields(s); !slices.Equal(got, want) {
			t.Errorf("client.%s has fields %v; the server's %s sends %v", cl.Name(), got, s.Name(), want)
		}
	}
	// Every field of a request the client sends is one the server reads.
	read := jsonFields(reflect.TypeOf(protocol.ClientFrame{}))
	for _, req := range []any{client.HelloRequest{}, client.JoinRequest{}, client.LeaveRequest{},
		client.SendRequest{}, client.HistoryRequest{}, client.TypingRequest{}, client.WhoRequest{},
		client.PingRequest{}} {
		for _, f := range jsonFields(reflect.TypeOf(req)) {
			if !slices.Contains(read, f) {
				t.Errorf("%T sends %q, which the server does not read", req, f)
			}
		}
	}
}
