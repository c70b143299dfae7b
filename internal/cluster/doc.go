// Package cluster holds no code: its tests run several hubbub nodes in one process, joined by an
// embedded NATS server and one shared store (PostgreSQL when HUBBUB_TEST_POSTGRES is set, else
// one SQLite file), and check what a user of a multi-node deployment relies on. The tests of
// files also share one bucket, on the S3-compatible server of HUBBUB_TEST_S3 (they skip
// without it; CI sets it).
package cluster
