package results

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleSpec() RunSpec {
	return RunSpec{
		Task:       "boundary:dims=2",
		Shape:      "2-8-2",
		Activation: "tanh",
		Trainer:    "synaptic",
		Policy:     "builtin:wsls",
		PolicyJSON: []byte(`{"schema":"synrl.policy/v1","name":"wsls"}`),
		Adaptive:   true,
		Seed:       42,
		Params: map[string]any{
			"epsilon": 0.1, "iters": 1000, "optimizer": "adam", "lr": float32(0.5),
			"batch_interval": int64(10), "custom": "kept in params_json only",
		},
		Version: "v0.1.0",
		Command: "synrl train --task boundary:dims=2",
	}
}

// sameFloat is == that also matches NaN with NaN.
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	fakeClock(s, start)

	spec := sampleSpec()
	id, err := s.StartRun(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != id || r.Status != StatusRunning || !r.Ended.IsZero() || !r.Started.Equal(start) {
		t.Errorf("started run: id %d status %s started %v ended %v", r.ID, r.Status, r.Started, r.Ended)
	}
	if !math.IsNaN(r.ValAcc) || !math.IsNaN(r.Seconds) || r.Iters != 0 {
		t.Errorf("metrics of a running run = %+v, want NaN floats and 0 iters", r.Metrics)
	}
	wantParams := map[string]any{
		"epsilon": 0.1, "iters": 1000.0, "optimizer": "adam", "lr": 0.5,
		"batch_interval": 10.0, "custom": "kept in params_json only",
	}
	got := r.RunSpec
	if !reflect.DeepEqual(got.Params, wantParams) {
		t.Errorf("Params = %v, want %v", got.Params, wantParams)
	}
	got.Params, spec.Params = nil, nil
	if !reflect.DeepEqual(got, spec) {
		t.Errorf("RunSpec = %+v\nwant %+v", got, spec)
	}

	pts := []Point{
		{Step: 10, Metric: "val_acc", Value: 0.8},
		{Step: 0, Metric: "val_acc", Value: 0.5},
		{Step: 0, Metric: "train_loss", Value: math.NaN()},
		{Step: 10, Metric: "train_loss", Value: 0.3},
	}
	if err := s.AppendCurve(ctx, id, pts); err != nil {
		t.Fatal(err)
	}
	curve, err := s.Curve(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{pts[2], pts[3], pts[1], pts[0]} // by metric, then step
	if len(curve) != len(want) {
		t.Fatalf("curve = %v, want %v", curve, want)
	}
	for i := range want {
		if curve[i].Step != want[i].Step || curve[i].Metric != want[i].Metric || !sameFloat(curve[i].Value, want[i].Value) {
			t.Errorf("curve[%d] = %v, want %v", i, curve[i], want[i])
		}
	}

	m := Metrics{Iters: 1000, Seconds: 2.5, ItersPerSec: 400, TrainLoss: 0.3, TrainAcc: 0.9,
		ValLoss: 0.35, ValAcc: 0.8, TestLoss: math.NaN(), TestAcc: 0.79}
	final := []byte(`{"schema":"synrl.policy/v1","name":"wsls","adapted":true}`)
	if err := s.FinishRun(ctx, id, StatusDone, m, "", final); err != nil {
		t.Fatal(err)
	}
	r, err = s.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusDone || !r.Ended.After(r.Started) || string(r.FinalPolicyJSON) != string(final) {
		t.Errorf("finished run: status %s started %v ended %v final %s", r.Status, r.Started, r.Ended, r.FinalPolicyJSON)
	}
	gm := reflect.ValueOf(r.Metrics)
	wm := reflect.ValueOf(m)
	for i := 0; i < gm.NumField(); i++ {
		name := gm.Type().Field(i).Name
		if f, ok := gm.Field(i).Interface().(float64); ok {
			if !sameFloat(f, wm.Field(i).Float()) {
				t.Errorf("Metrics.%s = %v, want %v", name, f, wm.Field(i).Float())
			}
		} else if gm.Field(i).Int() != wm.Field(i).Int() {
			t.Errorf("Metrics.%s = %v, want %v", name, gm.Field(i).Int(), wm.Field(i).Int())
		}
	}

	// The columns promised to sqlite3 shell users.
	var status, optimizer, startedText string
	var valAcc, epsilon float64
	var iters int
	err = s.db.QueryRow("SELECT status, val_acc, epsilon, iters, optimizer, started_at FROM runs WHERE id = ?", id).
		Scan(&status, &valAcc, &epsilon, &iters, &optimizer, &startedText)
	if err != nil {
		t.Fatal(err)
	}
	if status != "done" || valAcc != 0.8 || epsilon != 0.1 || iters != 1000 || optimizer != "adam" ||
		startedText != "2025-03-01T12:00:00.000000000Z" {
		t.Errorf("columns: status %s val_acc %v epsilon %v iters %v optimizer %s started_at %s",
			status, valAcc, epsilon, iters, optimizer, startedText)
	}
	var nulls int
	s.db.QueryRow("SELECT count(*) FROM runs WHERE id = ? AND test_loss IS NULL AND gamma IS NULL", id).Scan(&nulls)
	if nulls != 1 {
		t.Error("NaN test_loss or absent gamma not stored as NULL")
	}
	var steps []int
	rows, err := s.db.Query("SELECT step FROM curves WHERE run_id = ? AND metric = 'val_acc' ORDER BY step", id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var st int
		rows.Scan(&st)
		steps = append(steps, st)
	}
	rows.Close()
	if !reflect.DeepEqual(steps, []int{0, 10}) {
		t.Errorf("val_acc steps = %v", steps)
	}

	// Finishing twice is refused and changes nothing.
	err = s.FinishRun(ctx, id, StatusFailed, Metrics{}, "late", nil)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "run ") {
		t.Errorf("second FinishRun = %v, want ErrNotRunning naming the run", err)
	}
	if r2, _ := s.Run(ctx, id); r2.Status != StatusDone || r2.Error != "" {
		t.Errorf("after refused finish: status %s error %q", r2.Status, r2.Error)
	}
}

func TestFinishRunRejects(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	id, err := s.StartRun(ctx, RunSpec{Task: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id, StatusRunning, Metrics{}, "", nil); err == nil {
		t.Error("FinishRun with status running accepted")
	}
	if err := s.FinishRun(ctx, id, "weird", Metrics{}, "", nil); err == nil {
		t.Error("FinishRun with an unknown status accepted")
	}
	if err := s.FinishRun(ctx, id+100, StatusDone, Metrics{}, "", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishRun of unknown run = %v, want ErrNotFound", err)
	}
	// A failed run keeps its message; wall time defaults to end - start.
	fakeClock(s, time.Now())
	id2, _ := s.StartRun(ctx, RunSpec{Task: "mnist"})
	if err := s.FinishRun(ctx, id2, StatusFailed, Metrics{}, "diverged at step 12", nil); err != nil {
		t.Fatal(err)
	}
	r, err := s.Run(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != StatusFailed || r.Error != "diverged at step 12" || r.Seconds != 1 {
		t.Errorf("failed run: status %s error %q seconds %v (want 1 from the clock)", r.Status, r.Error, r.Seconds)
	}
}

func TestRunNotFound(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Run(ctx, 999); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "999") {
		t.Errorf("Run(999) = %v", err)
	}
	if _, err := s.Curve(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Curve(999) = %v", err)
	}
	if err := s.AppendCurve(ctx, 999, []Point{{Metric: "val_acc"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("AppendCurve(999) = %v", err)
	}
}

func TestAppendCurveIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	id, _ := s.StartRun(ctx, RunSpec{Task: "mnist"})
	if err := s.AppendCurve(ctx, id, []Point{{Step: 1, Metric: "loss", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	// A bad point at the end rolls back the whole batch.
	err := s.AppendCurve(ctx, id, []Point{{Step: 2, Metric: "loss", Value: 2}, {Step: 3, Metric: "", Value: 3}})
	if err == nil || !strings.Contains(err.Error(), "run ") {
		t.Errorf("AppendCurve with an unnamed metric = %v", err)
	}
	// The same (metric, step) again replaces the value.
	if err := s.AppendCurve(ctx, id, []Point{{Step: 1, Metric: "loss", Value: 0.5}}); err != nil {
		t.Fatal(err)
	}
	curve, err := s.Curve(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(curve, []Point{{Step: 1, Metric: "loss", Value: 0.5}}) {
		t.Errorf("curve = %v, want only step 1 with value 0.5", curve)
	}
}

func TestRunsFilter(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	fakeClock(s, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	runs := []struct {
		trainer, task string
		status        Status
	}{
		{"synaptic", "boundary:dims=2", StatusDone},
		{"gd", "boundary:dims=3", StatusFailed},
		{"synaptic", "mnist", StatusRunning},
		{"synaptic", "boundaryx", StatusDone},
	}
	var ids []int64
	for _, r := range runs {
		id, err := s.StartRun(ctx, RunSpec{Trainer: r.trainer, Task: r.task})
		if err != nil {
			t.Fatal(err)
		}
		if r.status != StatusRunning {
			if err := s.FinishRun(ctx, id, r.status, Metrics{}, "", nil); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, id)
	}
	for _, tc := range []struct {
		name string
		f    RunFilter
		want []int // indexes into runs
	}{
		{"all, newest first", RunFilter{}, []int{3, 2, 1, 0}},
		{"status", RunFilter{Status: "done"}, []int{3, 0}},
		{"trainer", RunFilter{Trainer: "gd"}, []int{1}},
		{"task family", RunFilter{Task: "boundary"}, []int{1, 0}},
		{"exact task", RunFilter{Task: "boundary:dims=2"}, []int{0}},
		{"limit", RunFilter{Limit: 2}, []int{3, 2}},
		{"combined", RunFilter{Trainer: "synaptic", Status: string(StatusDone), Limit: 1}, []int{3}},
		{"none", RunFilter{Task: "cifar"}, nil},
	} {
		got, err := s.Runs(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var gotIDs, wantIDs []int64
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		for _, i := range tc.want {
			wantIDs = append(wantIDs, ids[i])
		}
		if !reflect.DeepEqual(gotIDs, wantIDs) {
			t.Errorf("%s: ids %v, want %v", tc.name, gotIDs, wantIDs)
		}
	}
}

func TestColumnValue(t *testing.T) {
	type myString string
	for _, tc := range []struct {
		in   any
		want any
	}{
		{nil, nil},
		{3, int64(3)},
		{uint8(3), int64(3)},
		{2.5, 2.5},
		{math.NaN(), nil},
		{"adam", "adam"},
		{myString("sgd"), "sgd"},
		{true, true},
		{time.Second, int64(time.Second)},
		{[]int{1, 2}, "[1,2]"},
	} {
		if got := columnValue(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("columnValue(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestStartRunRejectsUnencodableParams(t *testing.T) {
	s := newStore(t)
	_, err := s.StartRun(context.Background(), RunSpec{Task: "mnist", Params: map[string]any{"lr": math.NaN()}})
	if err == nil || !strings.Contains(err.Error(), "params") {
		t.Errorf("StartRun with NaN param = %v, want a params error", err)
	}
}

func TestFinishAfterCancel(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	runID, err := s.StartRun(ctx, RunSpec{Task: "mnist"})
	if err != nil {
		t.Fatal(err)
	}
	sr, _, err := s.StartSearch(ctx, "s", "ga", nil, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	compID, err := s.StartComparison(ctx, "c", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	cancel() // Ctrl-C
	if _, err := s.StartRun(ctx, RunSpec{Task: "mnist"}); err == nil {
		t.Error("StartRun with a cancelled context succeeded")
	}
	if err := s.FinishRun(ctx, runID, StatusInterrupted, Metrics{}, "interrupted", nil); err != nil {
		t.Errorf("FinishRun after cancel: %v", err)
	}
	if err := s.FinishSearch(ctx, sr.ID, StatusInterrupted, math.NaN(), nil, nil, ""); err != nil {
		t.Errorf("FinishSearch after cancel: %v", err)
	}
	if err := s.FinishComparison(ctx, compID, StatusInterrupted, nil); err != nil {
		t.Errorf("FinishComparison after cancel: %v", err)
	}
	if r, err := s.Run(context.Background(), runID); err != nil || r.Status != StatusInterrupted {
		t.Errorf("run after cancel: %v %v", r.Status, err)
	}
}
