// Package results is the SQLite store of synrl: everything synrl does is
// written here and read back by the CLI (synrl runs/search ...) and by the
// reports package.
//
// A [Store] wraps one SQLite file opened with github.com/mattn/go-sqlite3 in
// WAL mode with a busy timeout, foreign keys on and synchronous=NORMAL. The
// schema is a sequence of SQL migrations embedded in the binary
// (migrations/0001_init.sql, ...); the applied version is kept in
// PRAGMA user_version and a database written by a newer synrl is refused.
//
// What is stored:
//
//   - runs: one row per training run, written by [Store.StartRun] with status
//     "running" and closed by [Store.FinishRun] (done, failed or interrupted);
//     curves: one row per (run, metric, step) written by [Store.AppendCurve].
//   - searches, generations, candidates: outer-loop searches over policies,
//     one transaction per generation ([Store.SaveGeneration]) so that a search
//     can be resumed after a crash ([Store.StartSearch]); fitness_cache keyed
//     by policy hash and evaluation key.
//   - comparisons and comparison_runs: adaptive vs static vs gradient descent
//     over seeds, linking to runs.
//
// The tables use plain columns so that the sqlite3 shell is enough to look at
// them:
//
//	sqlite3 synrl.db "select id,status,val_acc from runs"
//	sqlite3 synrl.db "select step,value from curves where run_id=1 and metric='val_acc'"
//
// Conventions: times are UTC RFC 3339 text with nanoseconds at fixed width
// (so they sort as text); NaN floats are stored as NULL and read back as NaN,
// as are metrics not yet known; JSON documents (policies, configurations,
// scores) are stored as TEXT. Several processes may write one database at
// once: write transactions start with BEGIN IMMEDIATE and wait up to the busy
// timeout for each other.
package results
