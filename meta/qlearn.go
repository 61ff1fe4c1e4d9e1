package meta

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// QLearn is the paper's method: Q-learning across training episodes. The
// shared table starts at zero (or at Init). In each generation, Population
// episodes run in parallel, all starting from the current table; an
// episode trains EvalTasks x EvalSeeds networks one after the other on
// freshly drawn tasks with adaptive Q-learning (the problem's alpha, gamma,
// explore and budget), carrying the table from one run to the next, so an
// episode costs as much training as one evaluation of the other methods.
// The episodes' tables are then merged by averaging their Q values and the
// mean becomes the next generation's start.
//
// After every generation the merged table, frozen, is evaluated like any
// candidate (static, or adaptive if the problem is) on the search
// evaluation set: it is the generation's one candidate, so the fitness of
// qlearn generations compares with the other methods'. The result of the
// search is the final table, whatever its fitness, as in the paper.
//
// Episode tasks are drawn from the search seed range (never held-out
// tasks) with seeds derived from (search seed, generation, episode). The
// merged table is stored with each generation, and a resumed search
// continues from the last stored one: the continuation is identical to an
// uninterrupted run.
type QLearn struct {
	// Init is the starting table: a policy file or builtin:NAME (default
	// builtin:zero, the paper's start).
	Init string `json:"init"`
}

// DefaultQLearn returns the default qlearn options.
func DefaultQLearn() QLearn { return QLearn{Init: "builtin:zero"} }

// Name returns "qlearn".
func (QLearn) Name() string { return "qlearn" }

// Check accepts any population of at least 1 and checks that Init loads
// with the problem's history.
func (m QLearn) Check(p *Problem, s SearchSettings) error {
	if m.Init == "" {
		return nil
	}
	if _, err := policies.Load(m.Init, p.History, 0); err != nil {
		return fmt.Errorf("--init: %w", err)
	}
	return nil
}

// Run runs the generations not yet stored.
func (m QLearn) Run(ctx context.Context, r *Runner) (SearchStatus, error) {
	s, p := r.Settings(), r.Problem()
	ref := m.Init
	if ref == "" {
		ref = "builtin:zero"
	}
	q, err := policies.Load(ref, p.History, 0)
	if err != nil {
		return StatusFailed, &InputError{fmt.Errorf("--init: %w", err)}
	}
	q = q.Clone()
	start := 0
	if done := r.Completed(); len(done) > 0 {
		last := done[len(done)-1]
		if len(last.StateJSON) == 0 {
			return StatusFailed, fmt.Errorf("generation %d has no stored table to resume from", last.Generation)
		}
		if q, err = policies.Parse(last.StateJSON); err != nil {
			return StatusFailed, fmt.Errorf("generation %d: stored table: %w", last.Generation, err)
		}
		start = last.Generation + 1
	}
	if start >= s.Generations {
		// Already complete: the result is the final table.
		evals, err := r.Evaluate(ctx, []*policies.Table{q})
		if err != nil {
			return StatusFailed, err
		}
		r.generations = start
		r.SetBest(evals[0])
		return StatusGenerations, nil
	}
	r.generations = start
	dist, err := ParseTaskDist(p.Tasks)
	if err != nil {
		return StatusFailed, err
	}
	for g := start; g < s.Generations; g++ {
		tables := make([]*policies.Table, s.Population)
		err := r.Parallel(ctx, s.Population, func(ctx context.Context, e int) error {
			var err error
			tables[e], err = m.episode(ctx, p, dist, q, inner.SubSeed(inner.SubSeed(s.Seed, streamQLearn), uint64(g)<<20|uint64(e)))
			return err
		})
		if err != nil {
			return StatusFailed, err
		}
		r.episodes += s.Population
		merged := mergeTables(tables)
		merged.Name = fmt.Sprintf("qlearn-g%d", g)
		merged.Meta = map[string]any{}
		evals, err := r.Evaluate(ctx, []*policies.Table{merged})
		if err != nil {
			return StatusFailed, err
		}
		state, err := policies.Marshal(merged)
		if err != nil {
			return StatusFailed, err
		}
		if err := r.Commit(ctx, g, evals, state); err != nil {
			return StatusFailed, err
		}
		q = merged
		r.SetBest(evals[0])
	}
	return StatusGenerations, nil
}

// episode trains EvalTasks x EvalSeeds networks adaptively in sequence,
// starting from q and carrying the learned table, on tasks drawn with seed.
func (m QLearn) episode(ctx context.Context, p *Problem, dist TaskDist, q *policies.Table, seed uint64) (*policies.Table, error) {
	rng := rand.New(rand.NewPCG(seed, 0xe915))
	t := q
	for range p.EvalTasks * p.EvalSeeds {
		spec, taskSeed := dist.drawTask(rng, false)
		runSeed := drawSeed(rng, false)
		_, learned, err := p.train(ctx, t, spec.String(), taskSeed, runSeed, true)
		if err != nil {
			return nil, err
		}
		if learned == nil {
			return nil, errors.New("adaptive training returned no table")
		}
		t = learned
	}
	return t, nil
}

// mergeTables returns the mean of the tables' Q values.
func mergeTables(ts []*policies.Table) *policies.Table {
	out := ts[0].Clone()
	for i := range out.Q {
		sum := 0.0
		for _, t := range ts {
			sum += t.Q[i]
		}
		out.Q[i] = sum / float64(len(ts))
	}
	return out
}
