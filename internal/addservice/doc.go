// Package addservice is the add service at /add, kept from the original program: a client
// sends {"A":3,"B":9} and gets {"Sum":12}, over a WebSocket of its own (no hub, no rooms).
package addservice
