package meta

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/optimize"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// CMAES is the covariance matrix adaptation evolution strategy of
// gonum/optimize (CmaEsChol) over the real-valued Q table: 3^(2H)*3
// dimensions (243 for H = 2), minimising -score. The search starts from the
// all-zero table with step size Sigma; a generation is one CMA-ES iteration
// of Population samples, evaluated in parallel on the search's workers.
//
// Search drives CmaEsChol through gonum's optimize.Method protocol itself
// (Init, Run, and the task channels) instead of optimize.Minimize, so that
// a generation's samples are evaluated as one batch with their indices
// known, cancellation stops between evaluations, and the fitness cache and
// store see every sample. The sampling is seeded from the search seed, so
// runs are deterministic.
type CMAES struct {
	// Sigma is the initial step size (default 0.5).
	Sigma float64 `json:"sigma"`
}

// DefaultCMAES returns the default CMA-ES options.
func DefaultCMAES() CMAES { return CMAES{Sigma: 0.5} }

// Name returns "cmaes".
func (CMAES) Name() string { return "cmaes" }

// Check requires a population of at least 2 (CMA-ES recombines the best
// half) and a positive step size.
func (m CMAES) Check(_ *Problem, s SearchSettings) error {
	if s.Population < 2 {
		return fmt.Errorf("--population=%d: cmaes needs at least 2", s.Population)
	}
	if !isFiniteScore(m.Sigma) || m.Sigma <= 0 {
		return fmt.Errorf("--sigma=%v: must be a positive number", m.Sigma)
	}
	return nil
}

// Run runs Generations CMA-ES iterations.
func (m CMAES) Run(ctx context.Context, r *Runner) (status SearchStatus, err error) {
	s := r.Settings()
	h := r.Problem().History
	dim := policies.NumStates(h) * policies.NumActions
	cma := &optimize.CmaEsChol{
		InitStepSize: m.Sigma,
		Population:   s.Population,
		Src:          rand.NewPCG(inner.SubSeed(s.Seed, streamCMA), streamCMA),
	}
	n := cma.Init(dim, s.Population) // every sample of a generation at once
	ops := make(chan optimize.Task, n)
	res := make(chan optimize.Task, n)
	tasks := make([]optimize.Task, n)
	for i := range tasks {
		tasks[i].Location = &optimize.Location{X: make([]float64, dim)}
	}
	tasks[0].Op = optimize.NoOperation // the initial mean: zero, not evaluated
	done := make(chan struct{})
	go func() {
		defer close(done)
		cma.Run(ops, res, tasks)
	}()
	// stop ends the method's Run as optimize.Minimize does: PostIteration,
	// close the results, then read operations until the method closes them.
	stop := func() {
		res <- optimize.Task{Op: optimize.PostIteration}
		close(res)
		for range ops {
		}
		<-done
	}
	defer stop()

	for g := range s.Generations {
		batch := make([]optimize.Task, 0, n)
		for len(batch) < n {
			t := <-ops
			switch t.Op {
			case optimize.FuncEvaluation:
				batch = append(batch, t)
			case optimize.MethodDone:
				if _, err := cma.Status(); err != nil {
					return StatusFailed, fmt.Errorf("cmaes: %w", err)
				}
				return StatusConverged, nil
			case optimize.MajorIteration:
				res <- t // the method then sends the next generation
			default:
				return StatusFailed, fmt.Errorf("cmaes: unexpected operation %v", t.Op)
			}
		}
		tables := make([]*policies.Table, n)
		for _, t := range batch {
			tb, err := policies.New(fmt.Sprintf("cmaes-g%d-%d", g, t.ID), h)
			if err != nil {
				return StatusFailed, err
			}
			copy(tb.Q, t.X)
			tables[t.ID] = tb
		}
		evals, err := r.Evaluate(ctx, tables)
		if err != nil {
			return StatusFailed, err
		}
		if err := r.Commit(ctx, g, evals, nil); err != nil {
			return StatusFailed, err
		}
		for _, t := range batch {
			t.F = -evals[t.ID].Fitness.Score
			res <- t
		}
	}
	return StatusGenerations, nil
}
