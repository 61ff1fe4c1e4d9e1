package results

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// newStore opens a fresh store in a temporary directory, closed at the end of
// the test.
func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "synrl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// fakeClock makes s.now return start, start+1s, start+2s... so that order and
// durations are deterministic.
func fakeClock(s *Store, start time.Time) {
	next := start
	s.now = func() time.Time {
		t := next
		next = next.Add(time.Second)
		return t
	}
}

func pragmaInt(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenMigratesEmptyDatabase(t *testing.T) {
	s := newStore(t)
	ms, err := loadMigrations(mustSub(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := pragmaInt(t, s.db, "user_version"); got != len(ms) || got < 1 {
		t.Errorf("user_version = %d, want %d (number of migrations)", got, len(ms))
	}
	for _, table := range []string{"runs", "curves", "searches", "generations", "candidates", "fitness_cache", "comparisons", "comparison_runs"} {
		var n int
		if err := s.db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: count %d, err %v", table, n, err)
		}
	}
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if got := pragmaInt(t, s.db, "foreign_keys"); got != 1 {
		t.Errorf("foreign_keys = %d, want 1", got)
	}
	if got := pragmaInt(t, s.db, "busy_timeout"); got != int(BusyTimeout.Milliseconds()) {
		t.Errorf("busy_timeout = %d, want %d", got, BusyTimeout.Milliseconds())
	}
	if got := pragmaInt(t, s.db, "synchronous"); got != 1 {
		t.Errorf("synchronous = %d, want 1 (NORMAL)", got)
	}
}

func mustSub(t *testing.T) fs.FS {
	t.Helper()
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestReopenKeepsDataWithoutRemigrating(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "synrl.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.StartRun(ctx, RunSpec{Task: "mnist", Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// 0001_init.sql uses plain CREATE TABLE: applying it again would fail.
	s, err = Open(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	r, err := s.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Task != "mnist" || r.Seed != 7 {
		t.Errorf("run after reopen = %+v", r.RunSpec)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q, want %q", s.Path(), path)
	}
}

func TestMigrateAppliesOnlyNewVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	v1 := fstest.MapFS{
		"0001_a.sql": {Data: []byte("CREATE TABLE a (x INTEGER);")},
	}
	v2 := fstest.MapFS{
		"0001_a.sql": v1["0001_a.sql"],
		"0002_b.sql": {Data: []byte("CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1);")},
	}
	for i, fsys := range []fstest.MapFS{v1, v2, v2} {
		s, err := openWith(path, fsys)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var rows int
		if err := s.db.QueryRow("SELECT count(*) FROM a").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		wantVersion, wantRows := len(fsys), len(fsys)-1
		if got := pragmaInt(t, s.db, "user_version"); got != wantVersion || rows != wantRows {
			t.Errorf("open %d: user_version %d, rows in a %d; want %d, %d", i, got, rows, wantVersion, wantRows)
		}
		s.Close()
	}
	// A failing migration leaves nothing behind: version and tables as before.
	bad := fstest.MapFS{
		"0001_a.sql": v1["0001_a.sql"],
		"0002_b.sql": v2["0002_b.sql"],
		"0003_c.sql": {Data: []byte("CREATE TABLE c (z INTEGER); INSERT INTO nosuch VALUES (1);")},
	}
	if s, err := openWith(path, bad); err == nil {
		s.Close()
		t.Fatal("open with a failing migration succeeded")
	} else if !strings.Contains(err.Error(), "0003_c.sql") || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the migration and the path", err)
	}
	s, err := openWith(path, v2)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	s.db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'c'").Scan(&n)
	if got := pragmaInt(t, s.db, "user_version"); got != 2 || n != 0 {
		t.Errorf("after failed migration: user_version %d, table c count %d; want 2, 0", got, n)
	}
}

func TestLoadMigrationsRejectsBadNames(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"0001_a.sql": {}, "0003_c.sql": {}},
		"duplicate": {"0001_a.sql": {}, "1_b.sql": {}},
		"no number": {"init.sql": {}},
		"zero":      {"0000_a.sql": {}},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "synrl.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err == nil {
		s.Close()
		t.Fatal("opened a database with user_version 99")
	}
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "99") {
		t.Errorf("error %q: want ErrSchemaTooNew naming the path and version 99", err)
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("this is a text file, not a database\n", 40)), 0o644); err != nil {
		t.Fatal(err)
	}
	// A real database whose first page (schema) is overwritten.
	damaged := filepath.Join(dir, "damaged.db")
	s, err := Open(damaged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun(context.Background(), RunSpec{Task: "mnist"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(damaged, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(strings.Repeat("\xff\x00garbage", 300)), 100); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, path := range []string{text, damaged} {
		s, err := Open(path)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", path)
			continue
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s) = %q; want ErrCorrupt naming the path", path, err)
		}
	}
}

func TestOpenUnwritablePath(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{
		filepath.Join(dir, "no", "such", "dir", "synrl.db"),
		"/proc/synrl-results-test.db",
		dir, // a directory
	} {
		s, err := Open(path)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) succeeded", path)
			continue
		}
		if !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s) = %q; want ErrOpen naming the path", path, err)
		}
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odd?name#with%25chars.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartRun(context.Background(), RunSpec{Task: "mnist"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the given path: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "odd?name#with%25chars.db") {
			t.Errorf("unexpected file %q in the directory", e.Name())
		}
	}
}

func TestWriteTransactionsTakeTheLockAtBegin(t *testing.T) {
	s := newStore(t)
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// A connection that does not wait: with BEGIN IMMEDIATE the store's open
	// (empty) transaction already holds the write lock.
	other, err := sql.Open("sqlite3", "file:"+s.Path()+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec("BEGIN IMMEDIATE; ROLLBACK"); err == nil {
		t.Error("second writer got the lock while a store transaction was open: store transactions are not BEGIN IMMEDIATE")
	}
}
