package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"hubbub/internal/bench"
)

// On one CPU, serve with an SQLite history runs two Go processors, so that the writer's fsync
// (a blocking system call that keeps its processor) does not stop every other goroutine; an
// explicit GOMAXPROCS is obeyed. Before the fix it ran one, and messages of a many-room load
// arrived seconds late (BenchmarkOneCPURooms).
func TestServeOnOneCPUKeepsAProcessorForSQLiteFsync(t *testing.T) {
	prev := runtime.GOMAXPROCS(1) // what the runtime picks on a one-CPU machine
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })

	t.Setenv("GOMAXPROCS", "") // empty is unset, for the runtime as for serve
	_, stop := startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	got := runtime.GOMAXPROCS(0)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got != 2 {
		t.Errorf("serve with SQLite on one CPU runs %d Go processors, want 2", got)
	}

	runtime.GOMAXPROCS(1)
	t.Setenv("GOMAXPROCS", "1") // the operator's choice stands
	_, stop = startServe(t, "--data", filepath.Join(t.TempDir(), "h.db"))
	got = runtime.GOMAXPROCS(0)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got != 1 {
		t.Errorf("serve with GOMAXPROCS=1 in its environment runs %d Go processors, want 1", got)
	}

	if n := spareProcessor(4, ""); n != 4 {
		t.Errorf("spareProcessor(4, \"\") = %d: more than one CPU is left as the runtime set it", n)
	}
}

// BenchmarkOneCPURooms is issue 19's one-core load: the server pinned to CPU 0 (taskset), the
// load generator pinned to CPU 1, 1,000 rooms × 10 members each sending 0.2 msgs/s for 10 s,
// SQLite history. "GOMAXPROCS=1" is the server as it ran before it kept a processor for
// fsync; "default" is serve as it starts on one CPU now. Each reports delivery latency and
// the share delivered. Both children are this test binary (HUBBUB_TEST_SERVE=1). Run it alone,
// on an otherwise quiet machine:
//
//	go test ./cmd/hubbub -run '^$' -bench OneCPURooms -benchtime 1x
func BenchmarkOneCPURooms(b *testing.B) {
	taskset, err := exec.LookPath("taskset")
	if err != nil || runtime.NumCPU() < 2 {
		b.Skip("needs taskset and two CPUs: one for the server, one for the load generator")
	}
	for _, c := range []struct{ name, gomaxprocs string }{{"GOMAXPROCS=1", "1"}, {"default", ""}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				rep := oneCPURoomsRun(b, taskset, c.gomaxprocs)
				st := rep.Steps[0]
				b.ReportMetric(st.Latency.P50, "p50-ms")
				b.ReportMetric(st.Latency.P99, "p99-ms")
				b.ReportMetric(100*st.DeliveryRatio, "%delivered")
				if st.ServerCPUPerM != nil {
					b.ReportMetric(*st.ServerCPUPerM, "srv-cpu-s/M")
				}
			}
		})
	}
}

// oneCPURoomsRun starts a server pinned to CPU 0 (with GOMAXPROCS=gomaxprocs, or none), runs
// the rooms load from CPU 1 against it and returns the generator's report.
func oneCPURoomsRun(b *testing.B, taskset, gomaxprocs string) *bench.Report {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	env := []string{"HUBBUB_TEST_SERVE=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") && !strings.HasPrefix(kv, "HUBBUB_") {
			env = append(env, kv)
		}
	}
	srvEnv := env
	if gomaxprocs != "" {
		srvEnv = append(append([]string(nil), env...), "GOMAXPROCS="+gomaxprocs)
	}
	var srvLog bytes.Buffer
	srv := exec.Command(taskset, "-c", "0", os.Args[0], "serve", "--host", "127.0.0.1",
		"--port", strconv.Itoa(port), "--data", filepath.Join(b.TempDir(), "h.db"), "--log-level", "warn",
		"--send-rate", "1000000", "--send-burst", "1000000", "--max-conns", "20000",
		"--max-conns-per-ip", "20000", "--connect-rate", "100000", "--connect-burst", "100000",
		"--new-room-rate", "100000", "--new-room-burst", "100000", "--new-guest-rate", "100000",
		"--new-guest-burst", "100000", "--max-members", "20000")
	srv.Env, srv.Stderr = srvEnv, &srvLog
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	healthz := fmt.Sprintf("http://127.0.0.1:%d/healthz", port)
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(healthz); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 30*time.Second {
			b.Fatalf("server did not start:\n%s", srvLog.String())
		}
	}
	var out, genLog bytes.Buffer
	gen := exec.Command(taskset, "-c", "1", os.Args[0], "bench", "--scenario", "rooms",
		"--rooms", "1000", "--members", "10", "--member-rate", "0.2", "--duration", "10s", "--drain", "3s",
		"--sources", "4", "--pid", strconv.Itoa(srv.Process.Pid), "--json", "--quiet",
		"--url", fmt.Sprintf("ws://127.0.0.1:%d/ws", port))
	gen.Env, gen.Stdout, gen.Stderr = env, &out, &genLog
	b.ResetTimer()
	runErr := gen.Run() // fails too when the step does (loss, p99 over its bound), with a report
	b.StopTimer()
	var rep bench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Steps) != 1 {
		b.Fatalf("load generator: %v, report %q: %v\n%s", runErr, out.String(), err, genLog.String())
	}
	return &rep
}
