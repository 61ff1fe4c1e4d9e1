package meta

import (
	"context"
	"errors"
	"fmt"

	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// HeldOutConfig configures the held-out evaluation of a search's result:
// the policy and the baselines are trained on tasks and seeds drawn from a
// seed range no search evaluation set uses (see Problem.HeldOutSet).
type HeldOutConfig struct {
	// Tasks and Seeds size the held-out set (8 tasks x 2 seeds). Tasks 0
	// disables the held-out evaluation.
	Tasks, Seeds int
	// Seed draws the held-out set (default 0). It does not depend on the
	// search's seed, so searches of one problem are compared on one set.
	Seed uint64
	// Baselines are built-in policies evaluated on the same set (default
	// wsls, sticky, zero, random; random is builtin:random:1).
	Baselines []string
}

// DefaultHeldOut returns the default held-out configuration.
func DefaultHeldOut() HeldOutConfig {
	return HeldOutConfig{Tasks: 8, Seeds: 2, Baselines: []string{"wsls", "sticky", "zero", "random"}}
}

func (c HeldOutConfig) validate() error {
	switch {
	case c.Tasks < 0:
		return fmt.Errorf("--heldout-tasks=%d: must be non-negative", c.Tasks)
	case c.Tasks > 0 && c.Seeds < 1:
		return fmt.Errorf("--heldout-seeds=%d: must be at least 1", c.Seeds)
	}
	for _, b := range c.Baselines {
		if _, err := baseline(b, policies.MinHistory); err != nil {
			return fmt.Errorf("held-out baselines: %w", err)
		}
	}
	return nil
}

// baseline returns builtin b; the random builtin gets a fixed seed so that
// it is the same table in every report.
func baseline(b string, h int) (*policies.Table, error) {
	if b == "random" {
		b = "random:1"
	}
	t, err := policies.Builtin(b, h, 1)
	if err != nil {
		return nil, err
	}
	t.Name = policies.BuiltinPrefix + b
	return t, nil
}

// HeldOutScore is one policy's result on the held-out set.
type HeldOutScore struct {
	// Name names the policy ("best" for the search's result, else
	// builtin:NAME).
	Name string `json:"name"`
	// Score and Acc are the means over the runs of the score and the final
	// validation accuracy; Std is the runs' score standard deviation.
	Score float64 `json:"score"`
	Std   float64 `json:"std"`
	Acc   float64 `json:"acc"`
	// VsBest is the paired difference Score(best) - Score(this) over the
	// runs (same task and seed), with its standard error; zero for best.
	VsBest PairedDiff `json:"vs_best"`
	// Runs holds every run, task-major.
	Runs []RunScore `json:"runs"`
}

// HeldOutReport is the held-out evaluation of a search's result.
type HeldOutReport struct {
	// Set is the held-out set.
	Set EvalSet `json:"set"`
	// Policies are the search's result first, then the baselines.
	Policies []HeldOutScore `json:"policies"`
}

// Score returns the held-out score of the named policy and whether it is
// in the report.
func (h *HeldOutReport) Score(name string) (float64, bool) {
	for _, p := range h.Policies {
		if p.Name == name {
			return p.Score, true
		}
	}
	return 0, false
}

// HeldOut evaluates best (named "best") and the configured baselines on
// the held-out set of p, on workers goroutines; with a store, evaluations
// go through its fitness cache.
func HeldOut(ctx context.Context, p Problem, cfg HeldOutConfig, best *policies.Table, workers int, store *results.Store) (*HeldOutReport, error) {
	if err := p.Validate(); err != nil {
		return nil, &InputError{err}
	}
	if err := cfg.validate(); err != nil {
		return nil, &InputError{err}
	}
	if cfg.Tasks == 0 {
		return nil, &InputError{errors.New("--heldout-tasks=0: no held-out tasks")}
	}
	return heldOut(ctx, newEvaluator(&p, store, workers), cfg, best)
}

func heldOut(ctx context.Context, ev *evaluator, cfg HeldOutConfig, best *policies.Table) (*HeldOutReport, error) {
	p := ev.problem
	set, err := p.HeldOutSet(cfg.Seed, cfg.Tasks, cfg.Seeds)
	if err != nil {
		return nil, err
	}
	named := []*policies.Table{best}
	names := []string{"best"}
	for _, b := range cfg.Baselines {
		t, err := baseline(b, p.History)
		if err != nil {
			return nil, err
		}
		named = append(named, t)
		names = append(names, t.Name)
	}
	// One job per (policy, task) so that the workers stay busy; each job's
	// fitness is cached under its one-task subset of the held-out set.
	k := len(set.Tasks)
	parts := make([]Fitness, len(named)*k)
	err = ev.parallel(ctx, len(parts), func(ctx context.Context, j int) error {
		pi, ti := j/k, j%k
		sub := EvalSet{Tasks: set.Tasks[ti : ti+1], TaskSeeds: set.TaskSeeds[ti : ti+1], RunSeeds: set.RunSeeds}
		e, err := ev.evaluate(ctx, named[pi], sub, p.EvalKey(sub))
		parts[j] = e.Fitness
		return err
	})
	if err != nil {
		return nil, err
	}
	rep := &HeldOutReport{Set: set}
	for pi, name := range names {
		hs := HeldOutScore{Name: name}
		for ti := range k {
			hs.Runs = append(hs.Runs, parts[pi*k+ti].Runs...)
		}
		rep.Policies = append(rep.Policies, hs)
	}
	bestScores := runScores(rep.Policies[0].Runs)
	for i := range rep.Policies {
		hs := &rep.Policies[i]
		scores := runScores(hs.Runs)
		sp := SpreadOf(scores)
		hs.Score, hs.Std = sp.Mean, finiteOrZero(sp.Std)
		for _, r := range hs.Runs {
			hs.Acc += r.ValAcc / float64(len(hs.Runs))
		}
		if i > 0 {
			hs.VsBest, _ = PairedDiffOf(bestScores, scores)
		}
	}
	return rep, nil
}

func runScores(runs []RunScore) []float64 {
	s := make([]float64, len(runs))
	for i, r := range runs {
		s[i] = r.Score
	}
	return s
}
