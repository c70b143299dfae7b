// Package bench is the engine of `hubbub bench`, the load generator that measures hubbub
// against the original chat room and Centrifugo on identical work.
//
// A run is one Scenario (idle, fanout, rooms, churn) against one Target protocol (hubbub.v1,
// the original text protocol, Centrifugo's JSON protocol). Every client connection has exactly
// one goroutine, its reader; senders are driven by a few pacer goroutines that write to many
// connections at an open-loop rate. Every message carries a payload that names the run, the
// step, the sender, the sender's sequence number and the time it was written, so a receiver can
// count it against the right step, check order, and measure its latency without a clock shared
// with the server. Latencies go into HdrHistograms, sharded to keep lock contention low.
//
// Only loopback targets are accepted (127.0.0.0/8, ::1, localhost): the URL is checked before
// anything is dialled, and every dial checks the resolved address again. Client sockets may be
// spread over several source addresses (127.0.0.2, 127.0.0.3, …) so that one generator is not
// limited by the ephemeral ports of a single address.
//
// Server CPU and memory are read from /proc/PID/stat and /proc/PID/status of a given process;
// the generator's own from /proc/self. Every scenario is bounded in count (connections,
// messages, steps) and in time (durations per phase and a hard overall deadline).
package bench
