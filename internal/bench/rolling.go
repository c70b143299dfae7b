package bench

import "time"

// heldThrough records, at the signal of a rolling restart, every client connected to a node
// other than the one restarted (node 0) as back at t: the restart should not touch it. One
// whose connection ends all the same is reconnected and recorded again when it rejoins. It is
// not counted as a join.
func (st *stormState) heldThrough(all []*client, t time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, c := range all {
		if c.node.Load() == 0 || !c.storm.up.Load() {
			continue
		}
		st.backAt[c.idx] = t
		c.storm.waiting.Store(true)
		st.checkCaughtLocked(c, t)
	}
}

// rollingResult adds what a rolling restart shows to a storm result: the times are from the
// signal (the other nodes listen all along), RestartSeconds is how long the restart command
// took, and Moved counts the clients that ended on another node than the one they began on.
func (s *Storm) rollingResult(all []*client, restart time.Duration, nodes int) {
	s.Rolling = true
	s.RestartSeconds = restart.Seconds()
	for _, c := range all {
		if int(c.node.Load()) != nodeFor(c.idx, nodes) {
			s.Moved++
		}
	}
}
