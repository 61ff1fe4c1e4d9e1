package meta

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/results"
)

func compareStore(t *testing.T) *results.Store {
	t.Helper()
	s, err := results.Open(filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// smallCompare is a comparison of three arms on a small boundary task with
// budgets of a few milliseconds per run.
func smallCompare(t *testing.T, arms string, seeds ...uint64) CompareConfig {
	t.Helper()
	a, err := ParseArms(arms)
	if err != nil {
		t.Fatal(err)
	}
	syn := inner.DefaultSynaptic()
	syn.Iters, syn.Batch, syn.BatchInterval, syn.Epsilon = 200, 200, 50, 0.01
	gd := inner.DefaultGD()
	gd.Iters, gd.Batch, gd.LR = 200, 50, 0.5
	return CompareConfig{
		Name: "test", Task: "boundary:samples=600", Hidden: []int{8}, Activation: inner.ReLU, InitRange: 0.1,
		Arms: a, Seeds: seeds, Synaptic: syn, GD: gd, Workers: 2,
	}
}

// TestRunComparisonPaired checks that every arm of one seed starts from the
// same network on the same data (equal validation loss at step 0), that
// the runs are stored and linked, and that the result JSON is stored.
func TestRunComparisonPaired(t *testing.T) {
	store := compareStore(t)
	c := smallCompare(t, "static:builtin:wsls,adaptive,gd:adam:0.01", 4, 5)
	var events int
	res, err := RunComparison(context.Background(), store, inner.NewLoader(), c, func(e CompareEvent) {
		events++
		if e.Total != 6 || e.Done != events || e.Err != nil {
			t.Errorf("event %+v", e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != results.StatusDone || res.Reference != "gd:adam:0.01" || res.Shape != "2-8-2" || len(res.Runs) != 6 {
		t.Fatalf("result %+v", res)
	}
	links, err := store.ComparisonRuns(context.Background(), res.ID)
	if err != nil || len(links) != 6 {
		t.Fatalf("%d links, %v", len(links), err)
	}
	start := map[int64]float64{} // seed -> step 0 val loss
	for _, l := range links {
		curve, err := store.Curve(context.Background(), l.RunID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range curve {
			if p.Metric != "val_loss" || p.Step != 0 {
				continue
			}
			if v, ok := start[l.Seed]; ok && v != p.Value {
				t.Errorf("seed %d arm %s starts at val loss %v, another arm at %v", l.Seed, l.Arm, p.Value, v)
			}
			start[l.Seed] = p.Value
		}
	}
	if len(start) != 2 || start[4] == start[5] {
		t.Errorf("start losses per seed %v: want two different seeds", start)
	}
	cmp, err := store.Comparison(context.Background(), res.ID)
	if err != nil || cmp.Status != results.StatusDone || !strings.Contains(string(cmp.ResultJSON), `"val_acc_diff_points"`) ||
		!strings.Contains(string(cmp.Config), `"arms"`) {
		t.Errorf("stored comparison %+v, %v", cmp, err)
	}
}

// TestRunComparisonFailures covers bad input (nothing stored), a failing
// arm (comparison failed, runs linked) and an interruption.
func TestRunComparisonFailures(t *testing.T) {
	ctx := context.Background()
	store := compareStore(t)
	loader := inner.NewLoader()
	for _, c := range []CompareConfig{
		smallCompare(t, "static:/no/such/policy.json,gd", 1),
		smallCompare(t, "gd", 1, 1),
		func() CompareConfig { c := smallCompare(t, "gd", 1); c.Task = "nope"; return c }(),
		func() CompareConfig { c := smallCompare(t, "gd", 1); c.Reference = "x"; return c }(),
		func() CompareConfig { c := smallCompare(t, "adaptive", 1); c.Synaptic.Epsilon = -1; return c }(),
	} {
		_, err := RunComparison(ctx, store, loader, c, nil)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("arms %+v task %s: error %v, want an input error", c.Arms, c.Task, err)
		}
	}
	if cs, _ := store.Comparisons(ctx); len(cs) != 0 {
		t.Errorf("bad input left %d comparisons", len(cs))
	}

	// A diverging gd arm fails the comparison.
	c := smallCompare(t, "gd:sgd:1e30,gd", 1, 2)
	c.Workers = 1
	res, err := RunComparison(ctx, store, loader, c, nil)
	if err == nil || res == nil || res.Status != results.StatusFailed || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("diverging arm: %v, %+v", err, res)
	}
	if cmp, _ := store.Comparison(ctx, res.ID); cmp.Status != results.StatusFailed {
		t.Errorf("stored status %s, want failed", cmp.Status)
	}
	if links, _ := store.ComparisonRuns(ctx, res.ID); len(links) == 0 {
		t.Error("the failed run is not linked")
	}

	// Cancelling stops the comparison as interrupted.
	cctx, cancel := context.WithCancel(ctx)
	c = smallCompare(t, "static:builtin:wsls,gd", 1, 2, 3)
	c.Workers = 1
	res, err = RunComparison(cctx, store, loader, c, func(e CompareEvent) { cancel() })
	if !errors.Is(err, context.Canceled) || res.Status != results.StatusInterrupted {
		t.Fatalf("interrupted: %v, %+v", err, res)
	}
	if cmp, _ := store.Comparison(ctx, res.ID); cmp.Status != results.StatusInterrupted {
		t.Errorf("stored status %s, want interrupted", cmp.Status)
	}
	if len(res.Runs) >= 6 {
		t.Errorf("%d runs after a cancel at the first", len(res.Runs))
	}
}
