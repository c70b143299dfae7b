package bench

import (
	"os"
	"testing"
	"time"
)

func TestReadProcOfThisProcess(t *testing.T) {
	for _, pid := range []int{0, os.Getpid()} {
		before, err := ReadProc(pid)
		if err != nil {
			t.Fatalf("ReadProc(%d): %v", pid, err)
		}
		if before.RSS <= 0 || before.Threads < 1 || before.CPU < 0 {
			t.Fatalf("ReadProc(%d) = %+v, want positive RSS and threads", pid, before)
		}
		// Burn some CPU: the reading must not go backwards, and 10 ms ticks must show it.
		end := time.Now().Add(50 * time.Millisecond)
		x := 0
		for time.Now().Before(end) {
			x++
		}
		after, err := ReadProc(pid)
		if err != nil {
			t.Fatalf("ReadProc(%d): %v", pid, err)
		}
		if after.CPU < before.CPU {
			t.Errorf("CPU went from %v to %v", before.CPU, after.CPU)
		}
		if after.CPU%(10*time.Millisecond) != 0 {
			t.Errorf("CPU %v is not in clock ticks of 10 ms", after.CPU)
		}
		_ = x
	}
	if _, err := ReadProc(1 << 30); err == nil {
		t.Error("ReadProc of a process that does not exist succeeded")
	}
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses; utime 1234, stime 66, 7 threads.
	stat := []byte("4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 66 0 0 20 0 7 0 100 12345678 900 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n")
	cpu, threads, err := parseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if cpu != 13*time.Second || threads != 7 {
		t.Errorf("parseStat = %v, %d threads; want 13s (1300 ticks at 100 Hz), 7 threads", cpu, threads)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 nope 66 0 0 20 0 7 0"} {
		if _, _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestParseStatusRSS(t *testing.T) {
	status := []byte("Name:\thubbub\nVmPeak:\t  99999 kB\nVmRSS:\t   20480 kB\nThreads:\t9\n")
	rss, err := parseStatusRSS(status)
	if err != nil || rss != 20480<<10 {
		t.Errorf("parseStatusRSS = %d, %v; want %d", rss, err, 20480<<10)
	}
	if _, err := parseStatusRSS([]byte("Name:\tkthreadd\n")); err == nil {
		t.Error("a status without VmRSS parsed")
	}
}

func TestParseIOWriteCalls(t *testing.T) {
	io := []byte("rchar: 3291\nwchar: 120\nsyscr: 9\nsyscw: 4711\nread_bytes: 0\n")
	if n, err := parseIOWriteCalls(io); err != nil || n != 4711 {
		t.Errorf("parseIOWriteCalls = %d, %v; want 4711", n, err)
	}
	for _, bad := range []string{"rchar: 1\n", "syscw: many\n"} {
		if _, err := parseIOWriteCalls([]byte(bad)); err == nil {
			t.Errorf("parseIOWriteCalls(%q) succeeded", bad)
		}
	}
	// This process may always read its own io file, and writes as it runs.
	s, err := ReadProc(0)
	if err != nil || s.WriteCalls < 0 {
		t.Errorf("ReadProc(0): write calls %d, %v; want them read", s.WriteCalls, err)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	a, b := newPayloadCodec(), newPayloadCodec()
	if a.run == b.run {
		t.Fatal("two runs got the same id")
	}
	want := []payload{{1, 0, 1, 1700000000000000001}, {2, 3, 99, 5}, {64, 12345, 1 << 40, 1<<62 + 7}}
	var frame []byte
	for i, p := range want {
		pl := a.appendPayload(nil, p, 100)
		if len(pl) != 100 {
			t.Errorf("payload %d is %d bytes, want 100", i, len(pl))
		}
		frame = append(frame, "b1-2: "...) // as a text protocol line
		frame = append(frame, pl...)
		frame = append(frame, '\n')
		frame = b.appendPayload(frame, p, 70) // another run's, to be skipped
		frame = append(frame, '\n')
	}
	frame = append(frame, "#hb#hb#hbzz. trailing"...)
	var got []payload
	found, foreign := a.scan(frame, func(p payload) { got = append(got, p) })
	if found != len(want) || len(got) != len(want) {
		t.Fatalf("found %d payloads, want %d", found, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("payload %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if foreign != len(want)+3 {
		t.Errorf("foreign = %d, want %d", foreign, len(want)+3)
	}
	// A payload longer than the size is not cut.
	if pl := a.appendPayload(nil, want[2], minSize); len(pl) < minSize {
		t.Errorf("payload of size %d is %d bytes", minSize, len(pl))
	}
}
