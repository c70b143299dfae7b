//go:build linux

// Command fanfloor measures the write floor as compare.sh's fan-out row writes: the CPU one
// bare write(2) costs the writing process when it writes a frame to each of 1,010 loopback
// sockets in turn, once per write interval, and the sockets' readers are another process on
// the other CPU, asleep between reads. No WebSocket, no JSON, no store: only the writes.
//
// BenchmarkLoopbackWrite, the floor the issue named, writes one socket in a hot loop whose
// reader is a goroutine of the same process on the same CPU: 1.9–2.8 µs a write here, where
// the fan-out row's server spends ~11 µs a write in all, ~9 µs of it in the kernel
// (docs/benchmarks/fanout.md, "With the write interval: what is left is the kernel's write").
// The difference is the receiver: each write wakes a reader on the other CPU (an interrupt
// to it, which on this VM costs the hypervisor's interrupt re-enable) and touches a socket
// that other CPU last touched. This floor pays that as the row does, so hubbub's CPU per
// delivery over (this floor × hubbub's writes per delivery) is what hubbub's own work adds.
//
// Usage: GOMAXPROCS=1 taskset -c 0 fanfloor [-conns 1010] [-size 640] [-interval 20ms]
// [-duration 10s] [-reader-cpu 1] — prints one line, "fanfloor µs/write W writes N eagain
// E late L of R rounds …", or fails (exit 1) when the run did not keep the row's shape (rounds
// late, the reader behind). It starts its reader with taskset -c READER-CPU (-1: no taskset,
// so the reader inherits the writer's CPUs). Linux only, as compare.sh and taskset are; it
// talks to 127.0.0.1 only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// Bounds of the flags: the run is a measurement, not a load test.
const (
	maxConns    = 19000 // the descriptors a process may open here, less some
	maxSize     = 64 << 10
	maxDuration = time.Minute
	minInterval = time.Millisecond
)

// config is one run's shape.
type config struct {
	conns    int
	size     int
	interval time.Duration
	duration time.Duration
}

// result is what a run measured.
type result struct {
	writes, eagain int
	// late counts rounds that took longer than the interval: the sockets were then written
	// back to back, not once per interval, which is not the row's shape.
	late, rounds int
	cpu, wall    time.Duration
}

// perWrite is the writer's CPU per write(2) call (EAGAIN's included), in µs.
func (r result) perWrite() float64 {
	if r.writes+r.eagain == 0 {
		return 0
	}
	return float64(r.cpu.Nanoseconds()) / float64(r.writes+r.eagain) / 1e3
}

// fault is why the run does not measure the row's shape, or nil: no write, more than a
// tenth of the rounds late (the writer could not keep the interval), or more than a
// hundredth of the writes refused (the reader did not keep up).
func (r result) fault() error {
	switch {
	case r.writes == 0:
		return errors.New("no write was made")
	case r.late*10 > r.rounds:
		return fmt.Errorf("%d of %d rounds took longer than the interval: fewer -conns or a longer -interval", r.late, r.rounds)
	case r.eagain*100 > r.writes+r.eagain:
		return fmt.Errorf("%d of %d writes found the socket full: the reader did not keep up", r.eagain, r.writes+r.eagain)
	}
	return nil
}

func main() {
	var cfg config
	readerAddr := flag.String("reader-addr", "", "internal: be the reader of the writer at this address")
	readerCPU := flag.Int("reader-cpu", 1, "the CPU the reader runs on (taskset -c; -1: the writer's CPUs)")
	flag.IntVar(&cfg.conns, "conns", 1010, "loopback sockets written in turn (the fan-out row's room)")
	flag.IntVar(&cfg.size, "size", 640, "bytes a write (the fan-out row's server writes ~640 with its 20 ms interval)")
	flag.DurationVar(&cfg.interval, "interval", 20*time.Millisecond, "each socket written once per this (the server's --write-interval)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to write")
	flag.Parse()
	if *readerAddr != "" {
		if err := read(*readerAddr, cfg.conns); err != nil {
			fmt.Fprintln(os.Stderr, "fanfloor reader:", err)
			os.Exit(1)
		}
		return
	}
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "fanfloor:", err)
		os.Exit(2)
	}
	res, err := run(cfg, func(addr string) (func() error, error) { return startReader(addr, cfg.conns, *readerCPU) })
	if err == nil {
		err = res.fault()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanfloor:", err)
		os.Exit(1)
	}
	fmt.Printf("fanfloor µs/write %.3f writes %d eagain %d late %d of %d rounds cpu %.3fs wall %.3fs conns %d size %d interval %s\n",
		res.perWrite(), res.writes, res.eagain, res.late, res.rounds, res.cpu.Seconds(), res.wall.Seconds(), cfg.conns, cfg.size, cfg.interval)
}

// check refuses a shape outside the bounds.
func (c config) check() error {
	switch {
	case c.conns < 1 || c.conns > maxConns:
		return fmt.Errorf("-conns %d: want 1 to %d", c.conns, maxConns)
	case c.size < 1 || c.size > maxSize:
		return fmt.Errorf("-size %d: want 1 to %d", c.size, maxSize)
	case c.interval < minInterval || c.interval > time.Second:
		return fmt.Errorf("-interval %s: want %s to 1s", c.interval, minInterval)
	case c.duration < c.interval || c.duration > maxDuration:
		return fmt.Errorf("-duration %s: want -interval (%s) to %s", c.duration, c.interval, maxDuration)
	}
	return nil
}

// startReader starts this program as the reader of addr on cpu and returns how to wait for it.
func startReader(addr string, conns, cpu int) (func() error, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find myself: %w", err)
	}
	args := []string{self, "-reader-addr", addr, "-conns", strconv.Itoa(conns)}
	if cpu >= 0 {
		args = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1") // one CPU, as the row's generator has
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the writer
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the reader: %w", err)
	}
	return cmd.Wait, nil
}

// read dials conns sockets to addr and reads each to its end, as the row's clients read.
func read(addr string, conns int) error {
	done := make(chan error, conns)
	for range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return fmt.Errorf("dial: %w", err)
		}
		go func() {
			_, err := io.Copy(io.Discard, c)
			_ = c.Close()
			done <- err
		}()
	}
	var first error
	for range conns {
		if err := <-done; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// run listens on 127.0.0.1, has start make the reader, accepts its cfg.conns sockets and
// writes one frame to each every cfg.interval for cfg.duration, measuring the process's CPU
// over the writing alone.
func run(cfg config, start func(addr string) (wait func() error, err error)) (result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	wait, err := start(ln.Addr().String())
	if err != nil {
		return result{}, err
	}
	conns := make([]*net.TCPConn, 0, cfg.conns)
	fds := make([]int, 0, cfg.conns)
	defer func() {
		for _, c := range conns {
			_ = c.Close() // ends the reader's copies
		}
		_ = wait()
	}()
	giveUp := time.AfterFunc(30*time.Second, func() { _ = ln.Close() }) // a reader that never dials does not hang us
	defer giveUp.Stop()
	for range cfg.conns {
		c, err := ln.Accept()
		if err != nil {
			return result{}, fmt.Errorf("accept: %w", err)
		}
		tc := c.(*net.TCPConn)
		conns = append(conns, tc)
		fd, err := rawFD(tc)
		if err != nil {
			return result{}, err
		}
		fds = append(fds, fd)
	}
	giveUp.Stop()
	frame := make([]byte, cfg.size)
	time.Sleep(100 * time.Millisecond) // the reader's goroutines all asleep in their reads
	var res result
	cpu0, wall0 := processCPU(), time.Now()
	next, end := wall0, wall0.Add(cfg.duration)
	// A round per interval until the duration has passed: bounded in time, however slow the
	// writes are (a late round is counted, and the next starts at once).
	for time.Now().Before(end) {
		res.rounds++
		for _, fd := range fds {
			// The sockets are non-blocking (Go's); a full one counts, and is not retried:
			// the reader keeps up at these rates, and eagain says if it did not.
			if _, err := syscall.Write(fd, frame); err != nil {
				if !errors.Is(err, syscall.EAGAIN) {
					return result{}, fmt.Errorf("write: %w", err)
				}
				res.eagain++
				continue
			}
			res.writes++
		}
		next = next.Add(cfg.interval)
		if until := time.Until(next); until > 0 {
			time.Sleep(until)
		} else {
			res.late++
			next = time.Now() // the rounds after a late one keep the interval from now
		}
	}
	res.cpu, res.wall = processCPU()-cpu0, time.Since(wall0)
	return res, nil
}

// rawFD is c's descriptor, for writes without Go's poller between (c stays open, and owns it).
func rawFD(c *net.TCPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("raw conn: %w", err)
	}
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return 0, fmt.Errorf("raw conn: %w", err)
	}
	return fd, nil
}

// processCPU is the process's CPU time to the nanosecond (CLOCK_PROCESS_CPUTIME_ID; getrusage
// counts in scheduler ticks).
func processCPU() time.Duration {
	var ts syscall.Timespec
	const clockProcessCPUTimeID = 2
	_, _, _ = syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}
