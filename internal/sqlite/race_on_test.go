//go:build race

package sqlite

// raceDetector is whether the tests run under the race detector, where modernc's SQLite, Go
// instrumented like the rest, runs about ten times slower.
const raceDetector = true
