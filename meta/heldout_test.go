package meta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

func TestHeldOut(t *testing.T) {
	wsls, _ := policies.Builtin("wsls", 2, 0)
	cfg := HeldOutConfig{Tasks: 3, Seeds: 2, Seed: 4, Baselines: []string{"wsls", "zero", "random"}}
	rep, err := HeldOut(context.Background(), tinyProblem(), cfg, wsls, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"best", "builtin:wsls", "builtin:zero", "builtin:random:1"}
	if len(rep.Policies) != len(names) {
		t.Fatalf("%d policies, want %d", len(rep.Policies), len(names))
	}
	for i, p := range rep.Policies {
		if p.Name != names[i] || len(p.Runs) != 6 {
			t.Errorf("policy %d: %s with %d runs, want %s with 6", i, p.Name, len(p.Runs), names[i])
		}
	}
	// best is wsls itself: identical runs, zero paired difference.
	if rep.Policies[0].Score != rep.Policies[1].Score || rep.Policies[1].VsBest.Mean != 0 {
		t.Errorf("best = wsls but scores %v vs %v, diff %v", rep.Policies[0].Score, rep.Policies[1].Score, rep.Policies[1].VsBest)
	}
	if s, ok := rep.Score("builtin:zero"); !ok || s >= rep.Policies[0].Score {
		t.Errorf("zero scores %v (found %v), not below wsls %v", s, ok, rep.Policies[0].Score)
	}
	// Held-out tasks are never search tasks.
	tiny := tinyProblem()
	search, _ := tiny.EvalSet(inner.SubSeed(0, streamEval))
	for _, task := range rep.Set.Tasks {
		for _, st := range search.Tasks {
			if task == st {
				t.Fatalf("held-out task %s is a search task", task)
			}
		}
	}
	_, err = HeldOut(context.Background(), tinyProblem(), HeldOutConfig{Tasks: 1, Seeds: 1, Baselines: []string{"nosuch"}}, wsls, 1, nil)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown baseline: error %v", err)
	}
}

// TestHeldOutMethodsBeatRandom compares qlearn, ga and random search on a
// shared budget (20 generations of 8 on the default problem), over three
// search seeds, by the held-out score of their results. The claim tested
// is the one that holds on this budget: averaged over the seeds, qlearn
// and ga both beat random search. Per seed it does not always hold for
// qlearn, whose result is its final table, a noisy average of episodes;
// see the logged numbers.
func TestHeldOutMethodsBeatRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nine searches (about 30 s on 2 cores)")
	}
	methods := []Method{DefaultQLearn(), DefaultGA(), Random{}}
	seeds := []uint64{1, 2, 3}
	mean := map[string]float64{}
	for _, seed := range seeds {
		line := ""
		for _, m := range methods {
			s := DefaultSearchSettings()
			s.Generations, s.Population, s.Seed = 20, 8, seed
			s.HeldOut.Baselines = nil
			res, err := Search(context.Background(), DefaultProblem(), s, m)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := res.HeldOut.Score("best")
			mean[m.Name()] += h / float64(len(seeds))
			line += fmt.Sprintf(" %s %.3f/%.3f", m.Name(), res.BestFitness.Score, h)
		}
		t.Logf("seed %d (search fitness/held-out score):%s", seed, line)
	}
	t.Logf("mean held-out score: qlearn %.4f, ga %.4f, random %.4f", mean["qlearn"], mean["ga"], mean["random"])
	for _, m := range []string{"qlearn", "ga"} {
		if !(mean[m] > mean["random"]) {
			t.Errorf("%s's mean held-out score %.4f does not beat random search's %.4f", m, mean[m], mean["random"])
		}
	}
}
