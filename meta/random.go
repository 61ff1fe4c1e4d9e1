package meta

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// Random is random search, the baseline every method must beat: each
// generation evaluates Population fresh tables whose Q values are uniform
// in [-Range, Range] (so every state's greedy action is uniform); the best
// table seen is the result.
type Random struct {
	// Range bounds the Q values (default 1).
	Range float64 `json:"range"`
}

// Name returns "random".
func (Random) Name() string { return "random" }

// Check accepts any population of at least 1.
func (m Random) Check(_ *Problem, s SearchSettings) error {
	if m.Range < 0 || !isFiniteScore(m.Range) {
		return fmt.Errorf("--range=%v: must be a non-negative number", m.Range)
	}
	return nil
}

// Run evaluates Generations batches of random tables. Generation g's
// tables depend only on the seed and g.
func (m Random) Run(ctx context.Context, r *Runner) (SearchStatus, error) {
	s, h := r.Settings(), r.Problem().History
	span := m.Range
	if span == 0 {
		span = 1
	}
	for g := range s.Generations {
		rng := rand.New(rand.NewPCG(inner.SubSeed(s.Seed, streamRandom), uint64(g)))
		tables := make([]*policies.Table, s.Population)
		for i := range tables {
			t, err := policies.New(fmt.Sprintf("random-g%d-%d", g, i), h)
			if err != nil {
				return StatusFailed, err
			}
			for j := range t.Q {
				t.Q[j] = span * (2*rng.Float64() - 1)
			}
			tables[i] = t
		}
		evals, err := r.Evaluate(ctx, tables)
		if err != nil {
			return StatusFailed, err
		}
		if err := r.Commit(ctx, g, evals, nil); err != nil {
			return StatusFailed, err
		}
	}
	return StatusGenerations, nil
}
