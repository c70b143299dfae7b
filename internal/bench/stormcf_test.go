package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// centrifugoBinary is a Centrifugo v6 binary to test against: $HUBBUB_TEST_CENTRIFUGO, else the
// one bench/compare.sh installs. The test is skipped without one (building it takes minutes
// and the module proxy).
func centrifugoBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HUBBUB_TEST_CENTRIFUGO"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err == nil {
		p := filepath.Join(cache, "hubbub-compare", "bin", "centrifugo")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("no Centrifugo binary: set HUBBUB_TEST_CENTRIFUGO or run bench/compare.sh once")
	return ""
}

// centrifugoProc is a real Centrifugo on a free loopback port, restartable on the same config.
type centrifugoProc struct {
	t    *testing.T
	bin  string
	conf string
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
}

func startCentrifugo(t *testing.T, namespace map[string]any) *centrifugoProc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	namespace["name"] = "chat"
	namespace["allow_subscribe_for_client"] = true
	namespace["allow_publish_for_subscriber"] = true
	conf, _ := json.Marshal(map[string]any{
		"http_server": map[string]any{"address": "127.0.0.1", "port": port},
		"log":         map[string]any{"level": "error"},
		"engine":      map[string]any{"type": "memory"},
		"client":      map[string]any{"token": map[string]any{"hmac_secret_key": "test-secret"}},
		"channel":     map[string]any{"namespaces": []any{namespace}},
		"http_api":    map[string]any{"key": "test-api-key"},
		"usage_stats": map[string]any{"disabled": true},
	})
	dir := t.TempDir()
	p := &centrifugoProc{t: t, bin: centrifugoBinary(t), conf: filepath.Join(dir, "config.json"), port: port}
	if err := os.WriteFile(p.conf, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *centrifugoProc) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := exec.Command(p.bin, "-c", p.conf)
	cmd.Dir = filepath.Dir(p.conf)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start centrifugo: %v", err)
	}
	p.cmd = cmd
	if _, err := awaitListen(context.Background(), net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)), 30*time.Second); err != nil {
		p.t.Errorf("centrifugo: %v", err)
	}
}

// stop ends the process with SIGTERM (SIGKILL after 15 s) and waits for it.
func (p *centrifugoProc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

func (p *centrifugoProc) url() string {
	return "ws://127.0.0.1:" + strconv.Itoa(p.port) + "/connection/websocket"
}

// TestCentrifugoStormResubscribesWithRecovery restarts a real Centrifugo (memory engine,
// history and recovery on) in the middle of a storm: every client comes back and resubscribes
// asking to recover from its offset and epoch, and since the memory engine's history died
// with the process, every answer is "not recovered" and the run does not wait for those
// clients to catch up. Nothing is delivered twice.
func TestCentrifugoStormResubscribesWithRecovery(t *testing.T) {
	p := startCentrifugo(t, map[string]any{"history_size": 1000, "history_ttl": "300s", "force_recovery": true})
	const rooms, members = 2, 3
	cfg := testConfig(ScenarioStorm, TargetCentrifugo, p.url())
	cfg.PID, cfg.TokenSecret = 0, "test-secret"
	cfg.Rooms, cfg.Members, cfg.Rate = rooms, members, 20
	cfg.Duration, cfg.StormAfter, cfg.Drain, cfg.ReadyTimeout = 3*time.Second, time.Second, 2*time.Second, 30*time.Second
	restarts := 0
	cfg.Restart = func(context.Context) error {
		p.stop()
		p.start()
		restarts++
		return nil
	}
	rep := run(t, cfg)
	st := rep.Storm
	if st == nil {
		t.Fatalf("no storm result: %+v", rep)
	}
	n := int64(rooms * members)
	if restarts != 1 || int64(st.Dropped) != n || int64(st.Back) != n || st.BackSeconds == nil {
		t.Errorf("restarts %d, dropped %d back %d (back %v), want 1 and all %d; errors %v",
			restarts, st.Dropped, st.Back, st.BackSeconds, n, rep.Errors)
	}
	if st.NotRecovered != n || st.Recovered != 0 {
		t.Errorf("recovered %d, not recovered %d; want every one of %d resubscribes not recovered (a new epoch)", st.Recovered, st.NotRecovered, n)
	}
	if st.Acked == 0 || st.Duplicated != 0 {
		t.Errorf("acked %d duplicated %d, want messages acked and none duplicated", st.Acked, st.Duplicated)
	}
	if rep.Counters.Errors != 0 {
		t.Errorf("errors %v", rep.Errors)
	}
}

// TestCentrifugoStormReadsAcksAndOffsets feeds the storm's frame reader Centrifugo's replies
// and pushes: a publish reply is the ack of the send its id was given to, an error reply or an
// unknown id acks nothing, and a publication's offset is the next subscribe's position.
func TestCentrifugoStormReadsAcksAndOffsets(t *testing.T) {
	r := &runner{}
	st := &stormState{r: r, members: 1, acked: map[msgKey]struct{}{}, byKeys: true}
	c := &client{r: r, sidx: 2, storm: &stormClient{roomIdx: 1, pending: map[uint32]uint64{3: 7, 4: 8, 5: 9}}}
	c.storm.firstSeq.Store(math.MaxUint64)
	st.onCentrifugoFrame(c, []byte(`{"id":3,"publish":{}}`))
	if len(st.acked) != 0 {
		t.Errorf("a probe's reply (before the measured sends) acked %v", st.acked)
	}
	c.storm.firstSeq.Store(8)
	st.onCentrifugoFrame(c, []byte(`{"id":4,"publish":{}}`+"\n"+`{"push":{"channel":"chat:r-2","pub":{"data":{"text":"x"},"offset":12}}}`+"\n"+
		`{"id":5,"error":{"code":103,"message":"permission denied"}}`+"\n"+`{"id":99,"publish":{}}`))
	want := msgKey{1, 2, 8}
	if _, ok := st.acked[want]; !ok || len(st.acked) != 1 {
		t.Errorf("acked %v, want only %v", st.acked, want)
	}
	if got := c.storm.roomSeq.Load(); got != 12 {
		t.Errorf("roomSeq %d, want the push's offset 12", got)
	}
	if len(c.storm.pending) != 0 {
		t.Errorf("pending %v left after every reply", c.storm.pending)
	}
	st.onCentrifugoFrame(c, []byte(`{"push":{"channel":"chat:r-2","pub":{"data":{"text":"x"},"offset":5}}}`))
	if got := c.storm.roomSeq.Load(); got != 12 {
		t.Errorf("roomSeq %d after an older offset, want 12 kept", got)
	}
}

// api calls Centrifugo's server API method with body and decodes the result into out.
func (p *centrifugoProc) api(method string, body, out any) error {
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+strconv.Itoa(p.port)+"/api/"+method, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("X-API-Key", "test-api-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("api %s: %s", method, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// TestCentrifugoStormRecoversWhenHistorySurvives drops every client of a storm without
// restarting Centrifugo (its server API disconnects each user with "force reconnect"), so the
// history and its epoch survive: every resubscribe recovers what its client missed, nothing
// is lost, nothing is delivered twice, and every client catches up.
func TestCentrifugoStormRecoversWhenHistorySurvives(t *testing.T) {
	p := startCentrifugo(t, map[string]any{"history_size": 1000, "history_ttl": "300s", "force_recovery": true, "presence": true})
	const rooms, members = 2, 3
	cfg := testConfig(ScenarioStorm, TargetCentrifugo, p.url())
	cfg.PID, cfg.TokenSecret = 0, "test-secret"
	cfg.Rooms, cfg.Members, cfg.Rate = rooms, members, 20
	cfg.Duration, cfg.StormAfter, cfg.Drain, cfg.ReadyTimeout = 3*time.Second, time.Second, 30*time.Second, 30*time.Second
	cfg.Restart = func(context.Context) error {
		for i := range rooms {
			var pres struct {
				Result struct {
					Presence map[string]struct {
						User string `json:"user"`
					} `json:"presence"`
				} `json:"result"`
			}
			if err := p.api("presence", map[string]any{"channel": fmt.Sprintf("chat:bench-%d", i+1)}, &pres); err != nil {
				return err
			}
			if len(pres.Result.Presence) != members {
				return fmt.Errorf("room %d has %d clients, want %d", i+1, len(pres.Result.Presence), members)
			}
			for _, c := range pres.Result.Presence {
				var out map[string]any
				if err := p.api("disconnect", map[string]any{"user": c.User, "disconnect": map[string]any{"code": 3011, "reason": "force reconnect"}}, &out); err != nil {
					return err
				}
			}
		}
		return nil
	}
	rep := run(t, cfg)
	st := rep.Storm
	if st == nil {
		t.Fatalf("no storm result: %+v", rep)
	}
	n := rooms * members
	if st.Dropped != n || st.Back != n || st.CaughtUp != n || st.CaughtUpSeconds == nil {
		t.Errorf("dropped %d back %d caught up %d (caught up %v), want all %d; notes %v errors %v",
			st.Dropped, st.Back, st.CaughtUp, st.CaughtUpSeconds, n, rep.Notes, rep.Errors)
	}
	if st.Recovered != int64(n) || st.NotRecovered != 0 {
		t.Errorf("recovered %d, not recovered %d; want all %d recovered", st.Recovered, st.NotRecovered, n)
	}
	if st.Acked == 0 || st.Lost != 0 || st.Duplicated != 0 {
		t.Errorf("acked %d lost %d duplicated %d, want messages acked and none lost or duplicated", st.Acked, st.Lost, st.Duplicated)
	}
}
