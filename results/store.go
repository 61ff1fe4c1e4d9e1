package results

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// BusyTimeout is how long a write waits for another connection or process
// holding the database lock before failing with "database is locked".
const BusyTimeout = 10 * time.Second

// Sentinel errors. Errors returned by the Store wrap them (test with
// errors.Is) and name the path, run id, search name or comparison id.
var (
	// ErrOpen means the database file could not be opened or created:
	// missing directory, permissions, a path that is a directory, /proc...
	ErrOpen = errors.New("cannot open database")
	// ErrCorrupt means the file is not an SQLite database or is damaged.
	// Callers map it to exit status 2.
	ErrCorrupt = errors.New("not an SQLite database or corrupt")
	// ErrSchemaTooNew means the database was written by a newer synrl whose
	// schema this binary does not know.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrNotFound means the run, search or comparison does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNotRunning means a finish was attempted on a run, search or
	// comparison that is no longer running (finished twice, for example).
	ErrNotRunning = errors.New("not running")
	// ErrConfigMismatch means StartSearch found a search of that name whose
	// method, seed or configuration differ from the ones given.
	ErrConfigMismatch = errors.New("configuration differs from the stored search")
)

// Status is the state of a run, search or comparison.
type Status string

// Statuses. A row is written as StatusRunning and closed with one of the
// other three.
const (
	StatusRunning     Status = "running"
	StatusDone        Status = "done"
	StatusFailed      Status = "failed"
	StatusInterrupted Status = "interrupted"
)

// final reports whether st is a status a finish may set.
func (st Status) final() bool {
	return st == StatusDone || st == StatusFailed || st == StatusInterrupted
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is an open results database. Its methods are safe for concurrent use
// by several goroutines; several Stores (in one or several processes) may
// write the same file at once.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

// Open opens the results database at path, creating the file if needed, and
// brings its schema up to date. It fails with an error naming path that
// wraps ErrOpen when the file cannot be opened or created, ErrCorrupt when it
// is not an SQLite database or is damaged, and ErrSchemaTooNew when it was
// written by a newer synrl. The caller closes the Store.
func Open(path string) (*Store, error) {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("open results database %s: %w", path, err)
	}
	return openWith(path, migrations)
}

// openWith is Open with the migrations taken from fsys (tests add some).
func openWith(path string, fsys fs.FS) (*Store, error) {
	db, err := sql.Open("sqlite3", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open results database %s: %w: %w", path, ErrOpen, err)
	}
	// One connection per Store: writes are serialised in the process, and
	// between processes by the file lock and the busy timeout. Methods never
	// hold a *sql.Rows while issuing another query.
	db.SetMaxOpenConns(1)
	// SQLite opens lazily: migrate is the first statement that touches the
	// file, so it is where a bad path or a non-database file shows.
	if err := migrate(context.Background(), db, fsys); err != nil {
		db.Close()
		return nil, openError(path, err)
	}
	return &Store{db: db, path: path, now: time.Now}, nil
}

// dsn builds the go-sqlite3 data source name for path: a file: URI (so that
// a path containing '?' or '#' is not mistaken for parameters) with WAL, the
// busy timeout, foreign keys, synchronous=NORMAL and BEGIN IMMEDIATE for
// write transactions.
func dsn(path string) string {
	uri := "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if strings.HasPrefix(path, "/") {
		uri = "file://" + uri[len("file:"):] // empty authority, then the absolute path
	}
	return uri +
		"?_journal_mode=WAL" +
		"&_busy_timeout=" + strconv.FormatInt(BusyTimeout.Milliseconds(), 10) +
		"&_foreign_keys=1" +
		"&_synchronous=NORMAL" +
		"&_txlock=immediate"
}

// openError classifies an error met while opening path.
func openError(path string, err error) error {
	var se sqlite3.Error
	switch {
	case errors.Is(err, ErrSchemaTooNew):
		return fmt.Errorf("open results database %s: %w", path, err)
	case errors.As(err, &se) && (se.Code == sqlite3.ErrNotADB || se.Code == sqlite3.ErrCorrupt):
		return fmt.Errorf("open results database %s: %w: %w", path, ErrCorrupt, err)
	case errors.As(err, &se):
		return fmt.Errorf("open results database %s: %w: %w", path, ErrOpen, err)
	default:
		return fmt.Errorf("open results database %s: %w", path, err)
	}
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close results database %s: %w", s.path, err)
	}
	return nil
}

// Path returns the path the Store was opened with.
func (s *Store) Path() string { return s.path }

// migration is one schema step: the SQL that takes user_version from
// version-1 to version.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the NNNN_name.sql files at the root of fsys. Their
// numbers must run 1, 2, 3... without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		num, _, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (versions must run 1, 2, 3... without gaps)", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations of fsys that are newer than the database's
// user_version, each in its own transaction that also sets user_version. It
// refuses a database whose user_version is newer than the last migration.
// Another process may be migrating at the same time: the version is read
// again once the write lock is held.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return err
	}
	current, err := userVersion(ctx, db)
	if err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("%w: schema version %d, this program knows up to %d; use a newer synrl", ErrSchemaTooNew, current, len(ms))
	}
	for _, m := range ms[current:] {
		if err := applyMigration(ctx, db, m); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, m migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	if current >= m.version {
		return nil // applied by another process meanwhile
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	return nil
}

func userVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// inTx runs f in a write transaction (BEGIN IMMEDIATE) and commits it when f
// returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// timeLayout is RFC 3339 with nanoseconds at fixed width, so that the text
// sorts in time order; time.RFC3339Nano parses it.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a time column; NULL or "" is the zero time.
func parseTime(ns sql.NullString) (time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, ns.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q: %w", ns.String, err)
	}
	return t.UTC(), nil
}

// nullFloat gives NULL for NaN, f otherwise.
func nullFloat(f float64) any {
	if math.IsNaN(f) {
		return nil
	}
	return f
}

// floatOrNaN reads a REAL column; NULL is NaN.
func floatOrNaN(n sql.NullFloat64) float64 {
	if !n.Valid {
		return math.NaN()
	}
	return n.Float64
}

// nullText stores a JSON document as TEXT (so that SQLite's JSON functions
// read it), or NULL for nil.
func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// textBytes reads a TEXT document column; NULL is nil.
func textBytes(ns sql.NullString) []byte {
	if !ns.Valid {
		return nil
	}
	return []byte(ns.String)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan, closing the rows
// before returning.
func queryAll[T any](ctx context.Context, db *sql.DB, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// exists reports whether a row of table has the given id.
func exists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, table string, id int64) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// finishRow closes a running row of table (runs, searches or comparisons)
// in one transaction: it checks that status is final and that the row
// exists and is running, then calls update with the row's sinceCol time
// (when sinceCol is not empty) and the end time. Cancellation of ctx is
// ignored, so that a row can be closed as interrupted after Ctrl-C.
func (s *Store) finishRow(ctx context.Context, what string, table string, id int64, status Status, sinceCol string,
	update func(tx *sql.Tx, since, ended time.Time) error) error {
	if !status.final() {
		return fmt.Errorf("finish %s %d: status %q is not done, failed or interrupted", what, id, status)
	}
	ctx = context.WithoutCancel(ctx)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cur Status
		var sinceText sql.NullString
		col := "NULL"
		if sinceCol != "" {
			col = sinceCol
		}
		err := tx.QueryRowContext(ctx, "SELECT status, "+col+" FROM "+table+" WHERE id = ?", id).Scan(&cur, &sinceText)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cur != StatusRunning {
			return fmt.Errorf("%w: status is %s", ErrNotRunning, cur)
		}
		since, err := parseTime(sinceText)
		if err != nil {
			return err
		}
		return update(tx, since, s.now())
	})
	if err != nil {
		return fmt.Errorf("finish %s %d: %w", what, id, err)
	}
	return nil
}
