package reports

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// The fixture: one comparison of three arms over seeds 1-3, one search of
// three generations of four candidates, and one run outside both. Its
// numbers are simple functions of arm and seed so that tests can compute
// the tables by hand.

const (
	armStatic   = "static:builtin:wsls"
	armAdaptive = "adaptive"
	armGD       = "gd"
	searchName  = "fixture-search"
)

var fixtureSeeds = []int64{1, 2, 3}

// fixtureTestAcc is the final test accuracy of an arm's run of a seed:
// gd 0.92, 0.94, 0.96 (mean 0.9400 ± 0.0200); static 0.81, 0.82, 0.83;
// adaptive 0.855, 0.86, 0.865.
func fixtureTestAcc(arm string, seed int64) float64 {
	switch arm {
	case armGD:
		return 0.9 + 0.02*float64(seed)
	case armStatic:
		return 0.8 + 0.01*float64(seed)
	}
	return 0.85 + 0.005*float64(seed)
}

func fixtureValAcc(arm string, seed int64) float64 { return fixtureTestAcc(arm, seed) + 0.01 }

// fixtureHeldOut has the shape meta writes today; reports must not depend on it.
const fixtureHeldOut = `{"set":{"tasks":["boundary:seed=9","boundary:seed=10"],"run_seeds":[1,2]},
 "policies":[{"name":"best","score":0.345678,"std":0.0123,"acc":0.9,"vs_best":{"diff":0,"se":0},"runs":[{"score":0.3},{"score":0.39}]},
             {"name":"builtin:wsls","score":0.2,"std":0.02,"acc":0.8,"vs_best":{"diff":0.145678,"se":0.01},"runs":[]}]}`

func mustPolicy(t testing.TB, name string, h int) (*policies.Table, []byte) {
	t.Helper()
	tab, err := policies.Builtin(name, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := policies.Marshal(tab)
	if err != nil {
		t.Fatal(err)
	}
	return tab, b
}

// fixture builds the fixture database in a temporary directory.
func fixture(t testing.TB) *results.Store {
	t.Helper()
	ctx := context.Background()
	st, err := results.Open(filepath.Join(t.TempDir(), "synrl.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	_, wsls := mustPolicy(t, "wsls", 2)
	_, start := mustPolicy(t, "random:1", 2)
	compID, err := st.StartComparison(ctx, "fixture", []byte(`{"task":"boundary","seeds":[1,2,3]}`), "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, arm := range []string{armStatic, armAdaptive, armGD} {
		for _, seed := range fixtureSeeds {
			spec := results.RunSpec{Task: "boundary", Shape: "2-8-2", Activation: "relu", Trainer: "synaptic",
				Seed: seed, Params: map[string]any{"iters": 100}, Version: "test"}
			switch arm {
			case armStatic:
				spec.Policy, spec.PolicyJSON = "builtin:wsls", wsls
			case armAdaptive:
				spec.Policy, spec.PolicyJSON, spec.Adaptive = "builtin:random:1", start, true
			case armGD:
				spec.Trainer = "gd"
			}
			id, err := st.StartRun(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			// Synaptic runs record every 10 steps, gd every 20; gd's seed 3
			// has one more point, which the other seeds lack.
			every, last := 10, 100
			if arm == armGD {
				every = 20
				if seed == 3 {
					last = 120
				}
			}
			final := fixtureValAcc(arm, seed)
			var pts []results.Point
			for step := 0; step <= last; step += every {
				f := 1 - math.Exp(-float64(step)/30)
				pts = append(pts,
					results.Point{Step: step, Metric: MetricValAcc, Value: 0.5 + (final-0.5)*f},
					results.Point{Step: step, Metric: MetricValLoss, Value: 0.7 - 0.4*f - 0.01*float64(seed)},
					results.Point{Step: step, Metric: MetricBatchLoss, Value: 0.7 - 0.4*f})
				if spec.Trainer == "synaptic" {
					pts = append(pts, results.Point{Step: step, Metric: MetricRewardRate, Value: 0.5},
						results.Point{Step: step, Metric: MetricMoveRate, Value: 0.3})
				}
			}
			if err := st.AppendCurve(ctx, id, pts); err != nil {
				t.Fatal(err)
			}
			var finalPolicy []byte
			if arm == armAdaptive {
				tab, err := policies.Parse(start)
				if err != nil {
					t.Fatal(err)
				}
				for s := 0; s < tab.NumStates(); s += 4 {
					tab.Q[s*3+int(seed)%3] += 1.5 // learning moved some rows
				}
				if finalPolicy, err = policies.Marshal(tab); err != nil {
					t.Fatal(err)
				}
			}
			m := results.Metrics{Iters: 100, Seconds: float64(seed), ItersPerSec: 100 / float64(seed),
				ValLoss: 0.3 - 0.01*float64(seed), ValAcc: final, TestLoss: 0.31 - 0.01*float64(seed),
				TestAcc: fixtureTestAcc(arm, seed)}
			if err := st.FinishRun(ctx, id, results.StatusDone, m, "", finalPolicy); err != nil {
				t.Fatal(err)
			}
			if err := st.AddComparisonRun(ctx, compID, id, arm, seed); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.FinishComparison(ctx, compID, results.StatusDone, []byte(`{"whatever":true}`)); err != nil {
		t.Fatal(err)
	}

	sr, _, err := st.StartSearch(ctx, searchName, "ga", []byte(`{"tasks":"boundary","population":4}`), 7, "test")
	if err != nil {
		t.Fatal(err)
	}
	var bestJSON []byte
	for g := range 3 {
		var cands []results.Candidate
		var sum, best float64
		for i := range 4 {
			tab, b := mustPolicy(t, "random:"+strconv.Itoa(1+g*4+i), 2)
			fit := 0.1*float64(g) + 0.01*float64(i)
			cands = append(cands, results.Candidate{Generation: g, Index: i, Hash: tab.Hash(), PolicyJSON: b, Fitness: fit})
			sum += fit
			if fit >= best {
				best, bestJSON = fit, b
			}
		}
		gen := results.Generation{SearchID: sr.ID, Generation: g, Best: best, Mean: sum / 4, Std: 0.0129, Evaluations: 4, WallSeconds: 1}
		if err := st.SaveGeneration(ctx, gen, cands); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FinishSearch(ctx, sr.ID, results.StatusDone, 0.23, bestJSON, []byte(fixtureHeldOut), ""); err != nil {
		t.Fatal(err)
	}

	// A standalone run that belongs to nothing.
	id, err := st.StartRun(ctx, results.RunSpec{Task: "mnist", Shape: "784-10", Trainer: "gd", Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AppendCurve(ctx, id, []results.Point{{Step: 0, Metric: MetricValAcc, Value: 0.1}, {Step: 10, Metric: MetricValAcc, Value: 0.6}}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, id, results.StatusDone, results.Metrics{Iters: 10, ValAcc: 0.6, TestAcc: 0.59}, "", nil); err != nil {
		t.Fatal(err)
	}
	return st
}

// loadArms reads the fixture's comparison as arms.
func loadArms(t testing.TB, st *results.Store) []Arm {
	t.Helper()
	ctx := context.Background()
	cs, err := st.Comparisons(ctx)
	if err != nil || len(cs) != 1 {
		t.Fatalf("comparisons: %v, %v", cs, err)
	}
	crs, err := st.ComparisonRuns(ctx, cs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var arms []Arm
	for _, cr := range crs {
		run, err := st.Run(ctx, cr.RunID)
		if err != nil {
			t.Fatal(err)
		}
		curve, err := st.Curve(ctx, cr.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if len(arms) == 0 || arms[len(arms)-1].Name != cr.Arm {
			arms = append(arms, Arm{Name: cr.Arm})
		}
		arms[len(arms)-1].Runs = append(arms[len(arms)-1].Runs, RunCurve{Run: run, Curve: curve})
	}
	return arms
}
