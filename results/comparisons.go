package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Comparison is a comparison of arms (adaptive, static, gd...) over seeds;
// its runs are linked by ComparisonRun rows.
type Comparison struct {
	ID         int64
	Name       string
	Config     []byte // JSON, as given
	Status     Status
	Started    time.Time // UTC
	Ended      time.Time // UTC; zero while running
	Version    string    // program version
	ResultJSON []byte    // summary written by FinishComparison
}

// ComparisonRun links a run to a comparison under an arm and a seed.
type ComparisonRun struct {
	ComparisonID int64
	RunID        int64
	Arm          string // e.g. "adaptive", "static", "gd"
	Seed         int64
}

// StartComparison writes a comparison with status running and returns its
// id. Names need not be unique.
func (s *Store) StartComparison(ctx context.Context, name string, config []byte, version string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO comparisons (name, config_json, status, version, started_at)
			VALUES (?, ?, ?, ?, ?)`, name, nullText(config), StatusRunning, version, formatTime(s.now()))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start comparison %q: %w", name, err)
	}
	return id, nil
}

// AddComparisonRun links run runID to comparison compID under an arm and a
// seed. It fails with an error wrapping ErrNotFound when either does not
// exist, and with an error when the run is already linked to the comparison.
func (s *Store) AddComparisonRun(ctx context.Context, compID, runID int64, arm string, seed int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []struct {
			table string
			id    int64
		}{{"comparisons", compID}, {"runs", runID}} {
			if ok, err := exists(ctx, tx, t.table, t.id); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("%s id %d: %w", t.table, t.id, ErrNotFound)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO comparison_runs (comparison_id, run_id, arm, seed)
			VALUES (?, ?, ?, ?)`, compID, runID, arm, seed)
		return err
	})
	if err != nil {
		return fmt.Errorf("add run %d to comparison %d: %w", runID, compID, err)
	}
	return nil
}

// FinishComparison closes a running comparison with status (done, failed or
// interrupted) and its result. It fails with ErrNotFound for an unknown
// comparison and ErrNotRunning for one already finished.
// Cancellation of ctx is ignored (its values are kept), so that the row can
// be closed as interrupted after Ctrl-C has cancelled ctx.
func (s *Store) FinishComparison(ctx context.Context, compID int64, status Status, resultJSON []byte) error {
	ctx = context.WithoutCancel(ctx)
	return s.finishRow(ctx, "comparison", "comparisons", compID, status, "", func(tx *sql.Tx, _, ended time.Time) error {
		_, err := tx.ExecContext(ctx, "UPDATE comparisons SET status = ?, ended_at = ?, result_json = ? WHERE id = ?",
			status, formatTime(ended), nullText(resultJSON), compID)
		return err
	})
}

const comparisonColumns = "id, name, config_json, status, started_at, ended_at, version, result_json"

func scanComparison(sc scanner) (Comparison, error) {
	var (
		c                              Comparison
		config, started, ended, result sql.NullString
	)
	err := sc.Scan(&c.ID, &c.Name, &config, &c.Status, &started, &ended, &c.Version, &result)
	if err != nil {
		return Comparison{}, err
	}
	c.Config, c.ResultJSON = textBytes(config), textBytes(result)
	if c.Started, err = parseTime(started); err != nil {
		return Comparison{}, fmt.Errorf("comparison %d: started_at: %w", c.ID, err)
	}
	if c.Ended, err = parseTime(ended); err != nil {
		return Comparison{}, fmt.Errorf("comparison %d: ended_at: %w", c.ID, err)
	}
	return c, nil
}

// Comparison returns the comparison with the given id, or an error wrapping
// ErrNotFound.
func (s *Store) Comparison(ctx context.Context, id int64) (Comparison, error) {
	c, err := scanComparison(s.db.QueryRowContext(ctx, "SELECT "+comparisonColumns+" FROM comparisons WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Comparison{}, fmt.Errorf("comparison %d: %w", id, err)
	}
	return c, nil
}

// Comparisons returns all comparisons, newest first.
func (s *Store) Comparisons(ctx context.Context) ([]Comparison, error) {
	cs, err := queryAll(ctx, s.db, scanComparison,
		"SELECT "+comparisonColumns+" FROM comparisons ORDER BY started_at DESC, id DESC")
	if err != nil {
		return nil, fmt.Errorf("list comparisons: %w", err)
	}
	return cs, nil
}

// ComparisonRuns returns the runs of a comparison ordered by arm, seed and
// run id, or an error wrapping ErrNotFound for an unknown comparison.
func (s *Store) ComparisonRuns(ctx context.Context, compID int64) ([]ComparisonRun, error) {
	if ok, err := exists(ctx, s.db, "comparisons", compID); err != nil || !ok {
		return nil, fmt.Errorf("runs of comparison %d: %w", compID, orNotFound(err))
	}
	crs, err := queryAll(ctx, s.db, func(sc scanner) (ComparisonRun, error) {
		var cr ComparisonRun
		err := sc.Scan(&cr.ComparisonID, &cr.RunID, &cr.Arm, &cr.Seed)
		return cr, err
	}, `SELECT comparison_id, run_id, arm, seed FROM comparison_runs WHERE comparison_id = ?
		ORDER BY arm, seed, run_id`, compID)
	if err != nil {
		return nil, fmt.Errorf("runs of comparison %d: %w", compID, err)
	}
	return crs, nil
}
