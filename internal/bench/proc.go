package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of utime and stime in /proc/PID/stat. It is 100 on
// every Linux architecture Go supports (sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// ProcSample is one reading of a process's CPU time and resident memory.
type ProcSample struct {
	// CPU is user plus system time since the process started.
	CPU time.Duration
	// RSS is the resident set size in bytes (VmRSS).
	RSS int64
	// Threads is the process's thread count.
	Threads int
	// WriteCalls is how many write-like system calls (write, sendto, pwrite, …) the process
	// has made: syscw in /proc/PID/io, or -1 where that file cannot be read (it takes the
	// right to trace the process).
	WriteCalls int64
}

// ReadProc reads the CPU time (utime+stime from /proc/PID/stat), resident memory (VmRSS from
// /proc/PID/status) and, where allowed, write calls (/proc/PID/io) of process pid; pid 0 reads
// this process (/proc/self).
func ReadProc(pid int) (ProcSample, error) {
	dir := "/proc/self"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid)
	}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ProcSample{}, fmt.Errorf("read cpu time: %w", err)
	}
	cpu, threads, err := parseStat(stat)
	if err != nil {
		return ProcSample{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ProcSample{}, fmt.Errorf("read memory: %w", err)
	}
	rss, err := parseStatusRSS(status)
	if err != nil {
		return ProcSample{}, fmt.Errorf("%s/status: %w", dir, err)
	}
	writes := int64(-1)
	if io, err := os.ReadFile(dir + "/io"); err == nil {
		if n, err := parseIOWriteCalls(io); err == nil {
			writes = n
		}
	}
	return ProcSample{CPU: cpu, RSS: rss, Threads: threads, WriteCalls: writes}, nil
}

// parseIOWriteCalls returns syscw from the contents of /proc/PID/io ("syscw: 12345").
func parseIOWriteCalls(b []byte) (int64, error) {
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("syscw:"))
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("syscw: %w", err)
		}
		return n, nil
	}
	return 0, errors.New("no syscw line")
}

// parseStat returns utime+stime and the thread count from the contents of /proc/PID/stat:
// "pid (comm) state ppid …", where comm may hold spaces and parentheses, so the fields are
// counted from the last ')'. utime and stime are fields 14 and 15, num_threads field 20.
func parseStat(b []byte) (time.Duration, int, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("no ')' after the command name")
	}
	fields := bytes.Fields(b[i+1:]) // fields[0] is field 3 (state)
	const utime, stime, threads = 14 - 3, 15 - 3, 20 - 3
	if len(fields) <= threads {
		return 0, 0, fmt.Errorf("%d fields after the command name, want more than %d", len(fields), threads)
	}
	u, err := strconv.ParseUint(string(fields[utime]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("utime: %w", err)
	}
	s, err := strconv.ParseUint(string(fields[stime]), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("stime: %w", err)
	}
	n, err := strconv.Atoi(string(fields[threads]))
	if err != nil {
		return 0, 0, fmt.Errorf("num_threads: %w", err)
	}
	return time.Duration(u+s) * (time.Second / clockTicks), n, nil
}

// parseStatusRSS returns VmRSS in bytes from the contents of /proc/PID/status
// ("VmRSS:\t  12345 kB").
func parseStatusRSS(b []byte) (int64, error) {
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || !bytes.EqualFold(f[1], []byte("kB")) {
			return 0, fmt.Errorf("unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS: %w", err)
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmRSS line (a kernel thread or a zombie?)")
}

// ListensOn reports whether process pid holds a listening TCP socket on port (read from
// /proc/net/tcp, /proc/net/tcp6 and /proc/PID/fd), so a run can warn when --pid names some
// other process than the server it loads. It errs if that cannot be told.
func ListensOn(pid, port int) (bool, error) {
	inodes, err := listenInodes(port)
	if err != nil {
		return false, err
	}
	return holdsSocket(pid, inodes)
}

// FindListener returns the process that holds the listening TCP socket on port: the server a
// run on loopback loads (`hubbub bench --pid auto`).
func FindListener(port int) (int, error) {
	inodes, err := listenInodes(port)
	if err != nil {
		return 0, err
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		if ok, _ := holdsSocket(pid, inodes); ok {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process of this user holds the listening socket on port %d", port)
}

// listenInodes returns the socket inodes listening on TCP port (IPv4 or IPv6).
func listenInodes(port int) (map[string]bool, error) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for line := range bytes.SplitSeq(b, []byte{'\n'}) {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fs := bytes.Fields(line)
			if len(fs) < 10 || string(fs[3]) != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := bytes.Cut(fs[1], []byte{':'})
			if p, err := strconv.ParseUint(string(hexPort), 16, 16); ok && err == nil && int(p) == port {
				inodes[string(fs[9])] = true
			}
		}
	}
	if len(inodes) == 0 {
		return nil, fmt.Errorf("no listening socket on port %d", port)
	}
	return inodes, nil
}

// holdsSocket reports whether process pid has a descriptor for one of the socket inodes.
func holdsSocket(pid int, inodes map[string]bool) (bool, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("list sockets of process %d: %w", pid, err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(dir + "/" + fd.Name())
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			return true, nil
		}
	}
	return false, nil
}
