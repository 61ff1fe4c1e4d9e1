package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// RunSpec is what is known when a run starts.
type RunSpec struct {
	Task       string // task specification, e.g. "boundary:dims=2" or "mnist"
	Shape      string // network shape, e.g. "784-32-10"
	Activation string // relu, tanh, sigmoid
	Trainer    string // "synaptic" or "gd"
	Policy     string // policy name or reference ("builtin:wsls", file path); "" for gd
	PolicyJSON []byte // the full policy file (synrl.policy/v1 JSON) used at the start; nil for gd
	Adaptive   bool   // whether the policy keeps learning during the run
	Seed       int64  // seed of the run's random source
	// Params holds every hyperparameter (epsilon, explore, alpha, gamma,
	// iters, batch, batch_interval, history, init_range, lr, optimizer...).
	// It is stored as JSON in params_json, and the common ones above are
	// also copied to columns of the same name. Read back, numbers are
	// float64 (encoding/json's decoding into any); a nil map reads back as
	// an empty one.
	Params  map[string]any
	Version string // program version
	Command string // the command line, for provenance
}

// Metrics are a run's final numbers. Read back, the floats of a run that has
// not finished (or that were NaN when written) are NaN.
type Metrics struct {
	Iters       int     // iterations done
	Seconds     float64 // wall time of the run
	ItersPerSec float64 // throughput
	TrainLoss   float64
	TrainAcc    float64
	ValLoss     float64
	ValAcc      float64
	TestLoss    float64
	TestAcc     float64
}

// Point is one value of a learning curve: metric (e.g. "val_acc") at a step.
type Point struct {
	Step   int
	Metric string
	Value  float64 // NaN is stored as NULL and read back as NaN
}

// Run is a stored training run.
type Run struct {
	ID     int64
	Status Status
	Error  string // error message of a failed run
	RunSpec
	Metrics
	Started         time.Time // UTC
	Ended           time.Time // UTC; zero while running
	FinalPolicyJSON []byte    // the policy at the end (adaptive runs); nil if not given
}

// RunFilter selects runs for Store.Runs. Empty fields match everything.
type RunFilter struct {
	Status  string // "running", "done", "failed" or "interrupted"
	Trainer string // "synaptic" or "gd"
	// Task matches runs whose task is Task, or starts with Task followed by
	// ':' ("boundary" matches "boundary:dims=2").
	Task  string
	Limit int // at most this many runs (the newest); 0 means no limit
}

// hyperParams are the keys of RunSpec.Params copied to runs columns of the
// same name.
var hyperParams = [...]string{
	"epsilon", "explore", "alpha", "gamma", "iters", "batch",
	"batch_interval", "history", "init_range", "lr", "optimizer",
}

// StartRun writes a run with status running and the current time as its
// start, and returns its id.
func (s *Store) StartRun(ctx context.Context, spec RunSpec) (int64, error) {
	params := []byte("{}")
	if spec.Params != nil {
		var err error
		if params, err = json.Marshal(spec.Params); err != nil {
			return 0, fmt.Errorf("start run (task %s): params: %w", spec.Task, err)
		}
	}
	cols := []string{
		"status", "task", "shape", "activation", "trainer", "policy",
		"policy_json", "adaptive", "seed", "params_json", "version", "command", "started_at",
	}
	args := []any{
		StatusRunning, spec.Task, spec.Shape, spec.Activation, spec.Trainer, spec.Policy,
		nullText(spec.PolicyJSON), spec.Adaptive, spec.Seed, string(params), spec.Version, spec.Command,
		formatTime(s.now()),
	}
	for _, k := range hyperParams {
		if v, ok := spec.Params[k]; ok {
			cols = append(cols, k)
			args = append(args, columnValue(v))
		}
	}
	query := "INSERT INTO runs (" + strings.Join(cols, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(cols)-1) + ")"
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start run (task %s): %w", spec.Task, err)
	}
	return id, nil
}

// columnValue converts a parameter value for a runs column: numbers (of any
// Go numeric kind) as int64 or float64 with NaN as NULL, strings and bools as
// such, anything else as its JSON text.
func columnValue(v any) any {
	if v == nil {
		return nil
	}
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return nullFloat(f)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u)
		}
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return nullFloat(rv.Float())
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// AppendCurve writes curve points of a run in one transaction. A point whose
// (metric, step) is already stored for the run replaces it.
func (s *Store) AppendCurve(ctx context.Context, runID int64, pts []Point) error {
	if len(pts) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if ok, err := exists(ctx, tx, "runs", runID); err != nil {
			return err
		} else if !ok {
			return ErrNotFound
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO curves (run_id, metric, step, value) VALUES (?, ?, ?, ?)
			ON CONFLICT (run_id, metric, step) DO UPDATE SET value = excluded.value`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range pts {
			if p.Metric == "" {
				return fmt.Errorf("point at step %d has no metric name", p.Step)
			}
			if _, err := stmt.ExecContext(ctx, runID, p.Metric, p.Step, nullFloat(p.Value)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append curve of run %d: %w", runID, err)
	}
	return nil
}

// FinishRun closes a running run with status (done, failed or interrupted),
// the end time, the final metrics, an error message (for failed runs) and the
// final policy (nil if none). The stored wall time is m.Seconds, or the time
// since the start when m.Seconds is not positive. It fails with ErrNotFound
// for an unknown run and ErrNotRunning for a run already finished.
// Cancellation of ctx is ignored (its values are kept), so that the row can
// be closed as interrupted after Ctrl-C has cancelled ctx.
func (s *Store) FinishRun(ctx context.Context, runID int64, status Status, m Metrics, errMsg string, finalPolicyJSON []byte) error {
	ctx = context.WithoutCancel(ctx)
	return s.finishRow(ctx, "run", "runs", runID, status, "started_at", func(tx *sql.Tx, started, ended time.Time) error {
		wall := m.Seconds
		if !(wall > 0) {
			wall = ended.Sub(started).Seconds()
		}
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, error = ?, ended_at = ?, wall_seconds = ?,
			iters_done = ?, iters_per_sec = ?, train_loss = ?, train_acc = ?, val_loss = ?, val_acc = ?,
			test_loss = ?, test_acc = ?, final_policy_json = ? WHERE id = ?`,
			status, errMsg, formatTime(ended), nullFloat(wall),
			m.Iters, nullFloat(m.ItersPerSec), nullFloat(m.TrainLoss), nullFloat(m.TrainAcc),
			nullFloat(m.ValLoss), nullFloat(m.ValAcc), nullFloat(m.TestLoss), nullFloat(m.TestAcc),
			nullText(finalPolicyJSON), runID)
		return err
	})
}

const runColumns = `id, status, error, task, shape, activation, trainer, policy, policy_json,
	final_policy_json, adaptive, seed, params_json, version, command, started_at, ended_at,
	wall_seconds, iters_done, iters_per_sec, train_loss, train_acc, val_loss, val_acc,
	test_loss, test_acc`

func scanRun(sc scanner) (Run, error) {
	var (
		r                                       Run
		policyJSON, finalJSON, started, ended   sql.NullString
		params                                  string
		iters                                   sql.NullInt64
		wall, ips, trL, trA, vaL, vaA, teL, teA sql.NullFloat64
	)
	err := sc.Scan(&r.ID, &r.Status, &r.Error, &r.Task, &r.Shape, &r.Activation, &r.Trainer,
		&r.Policy, &policyJSON, &finalJSON, &r.Adaptive, &r.Seed, &params, &r.Version, &r.Command,
		&started, &ended, &wall, &iters, &ips, &trL, &trA, &vaL, &vaA, &teL, &teA)
	if err != nil {
		return Run{}, err
	}
	r.PolicyJSON = textBytes(policyJSON)
	r.FinalPolicyJSON = textBytes(finalJSON)
	if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
		return Run{}, fmt.Errorf("run %d: params_json: %w", r.ID, err)
	}
	if r.Params == nil {
		r.Params = map[string]any{}
	}
	if r.Started, err = parseTime(started); err != nil {
		return Run{}, fmt.Errorf("run %d: started_at: %w", r.ID, err)
	}
	if r.Ended, err = parseTime(ended); err != nil {
		return Run{}, fmt.Errorf("run %d: ended_at: %w", r.ID, err)
	}
	r.Iters = int(iters.Int64)
	r.Seconds = floatOrNaN(wall)
	r.ItersPerSec = floatOrNaN(ips)
	r.TrainLoss, r.TrainAcc = floatOrNaN(trL), floatOrNaN(trA)
	r.ValLoss, r.ValAcc = floatOrNaN(vaL), floatOrNaN(vaA)
	r.TestLoss, r.TestAcc = floatOrNaN(teL), floatOrNaN(teA)
	return r, nil
}

// Run returns the run with the given id, or an error wrapping ErrNotFound.
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Run{}, fmt.Errorf("run %d: %w", id, err)
	}
	return r, nil
}

// Runs returns the runs matching f, newest first.
func (s *Store) Runs(ctx context.Context, f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	if f.Trainer != "" {
		where = append(where, "trainer = ?")
		args = append(args, f.Trainer)
	}
	if f.Task != "" {
		where = append(where, "(task = ? OR substr(task, 1, ?) = ?)")
		args = append(args, f.Task, len(f.Task)+1, f.Task+":")
	}
	query := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY started_at DESC, id DESC"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}
	runs, err := queryAll(ctx, s.db, scanRun, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// Curve returns the curve points of a run ordered by metric then step, or an
// error wrapping ErrNotFound for an unknown run.
func (s *Store) Curve(ctx context.Context, runID int64) ([]Point, error) {
	if ok, err := exists(ctx, s.db, "runs", runID); err != nil {
		return nil, fmt.Errorf("curve of run %d: %w", runID, err)
	} else if !ok {
		return nil, fmt.Errorf("curve of run %d: %w", runID, ErrNotFound)
	}
	pts, err := queryAll(ctx, s.db, func(sc scanner) (Point, error) {
		var p Point
		var v sql.NullFloat64
		err := sc.Scan(&p.Step, &p.Metric, &v)
		p.Value = floatOrNaN(v)
		return p, err
	}, "SELECT step, metric, value FROM curves WHERE run_id = ? ORDER BY metric, step", runID)
	if err != nil {
		return nil, fmt.Errorf("curve of run %d: %w", runID, err)
	}
	return pts, nil
}
