package meta

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"

	"github.com/MaxHalford/eaopt"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// Genomes of the GA.
const (
	// GenomeGreedy is one integer gene per state, its greedy action; the
	// table is written as Q = one-hot of the gene.
	GenomeGreedy = "greedy"
	// GenomeQ is the real-valued Q table, one gene per value.
	GenomeQ = "q"
)

// GA is a genetic algorithm (eaopt) over policy tables. Each generation
// keeps the Elite best individuals as they are and fills the rest of the
// population with children of tournament-selected parents: uniform
// crossover (with probability Crossover), then mutation of every gene with
// probability Mutation (greedy genome: switch to another action; q genome:
// add Gaussian noise of standard deviation Sigma). Every changed individual
// is marked unevaluated, unlike eaopt's ModGenerational (see EAOPT.md), and
// children are evaluated in parallel on the search's workers.
//
// The GA is deterministic given the search seed, whatever the number of
// workers: eaopt's generators are seeded from it and fitness is a pure
// function of the genome (one evaluation set for the whole search).
type GA struct {
	// Genome is GenomeGreedy (default) or GenomeQ.
	Genome string `json:"genome"`
	// Elite is the number of best individuals kept unchanged (default 1).
	Elite int `json:"elite"`
	// Tournament is the number of contestants per parent selection (3).
	Tournament int `json:"tournament"`
	// Crossover is the probability that two parents are crossed (0.7).
	Crossover float64 `json:"crossover"`
	// Mutation is the per-gene mutation probability (0.05).
	Mutation float64 `json:"mutation"`
	// Sigma is the mutation step of the q genome (0.5).
	Sigma float64 `json:"sigma"`
}

// DefaultGA returns the default GA options.
func DefaultGA() GA {
	return GA{Genome: GenomeGreedy, Elite: 1, Tournament: 3, Crossover: 0.7, Mutation: 0.05, Sigma: 0.5}
}

// Name returns "ga".
func (GA) Name() string { return "ga" }

// Check requires a population of at least Elite + 2 (two children per
// generation) and valid options.
func (m GA) Check(_ *Problem, s SearchSettings) error {
	prob := func(v float64) bool { return isFiniteScore(v) && v >= 0 && v <= 1 }
	switch {
	case m.Genome != GenomeGreedy && m.Genome != GenomeQ:
		return fmt.Errorf("--genome=%q: want %s or %s", m.Genome, GenomeGreedy, GenomeQ)
	case m.Elite < 0:
		return fmt.Errorf("--elite=%d: must be non-negative", m.Elite)
	case s.Population < m.Elite+2:
		return fmt.Errorf("--population=%d: ga needs at least --elite + 2 = %d (two children per generation)", s.Population, m.Elite+2)
	case m.Tournament < 1:
		return fmt.Errorf("--tournament=%d: must be at least 1", m.Tournament)
	case !prob(m.Crossover):
		return fmt.Errorf("--crossover=%v: must be a probability in [0, 1]", m.Crossover)
	case !prob(m.Mutation):
		return fmt.Errorf("--mutation=%v: must be a probability in [0, 1]", m.Mutation)
	case !isFiniteScore(m.Sigma) || m.Sigma < 0:
		return fmt.Errorf("--sigma=%v: must be a non-negative number", m.Sigma)
	}
	return nil
}

// Run evolves the population for the search's generations: generation 0 is
// the random initial population, every later one a Model step.
func (m GA) Run(ctx context.Context, r *Runner) (SearchStatus, error) {
	s := r.Settings()
	h := r.Problem().History
	run := &gaRun{ctx: ctx, r: r, opts: m, h: h}

	// The initial population comes from its own stream and is evaluated in
	// one parallel batch; eaopt's genome factory then hands it out.
	rng := rand.New(rand.NewSource(int64(inner.SubSeed(s.Seed, streamGAInit))))
	initial := make([]*tableGenome, s.Population)
	for i := range initial {
		initial[i] = run.randomGenome(rng)
	}
	if err := run.evaluate(initial); err != nil {
		return StatusFailed, err
	}
	next := 0

	ga, err := eaopt.GAConfig{
		NPops: 1, PopSize: uint(s.Population), NGenerations: uint(max(1, s.Generations-1)), HofSize: 1,
		Model: run,
		// Children are evaluated by the model on the search's workers;
		// eaopt's own ParallelEval would use GOMAXPROCS fixed chunks.
		ParallelEval: false,
		Callback:     run.callback,
		EarlyStop: func(ga *eaopt.GA) bool {
			return run.err != nil || ctx.Err() != nil || int(ga.Generations)+1 >= s.Generations
		},
		RNG: rand.New(rand.NewSource(int64(inner.SubSeed(s.Seed, streamGA)))),
	}.NewGA()
	if err != nil {
		return StatusFailed, fmt.Errorf("eaopt: %w", err)
	}
	err = ga.Minimize(func(*rand.Rand) eaopt.Genome {
		g := initial[next%len(initial)]
		next++
		return g
	})
	switch {
	case run.err != nil:
		return StatusFailed, run.err
	case err != nil:
		return StatusFailed, err
	case ctx.Err() != nil:
		return StatusInterrupted, ctx.Err()
	}
	return StatusGenerations, nil
}

// gaRun is one GA search: the eaopt Model and the glue to the Runner.
type gaRun struct {
	ctx  context.Context
	r    *Runner
	opts GA
	h    int
	err  error // first error of the callback or model
}

// tableGenome is the GA's genome: greedy actions or Q values, with the
// evaluation of its current genes once known.
type tableGenome struct {
	run   *gaRun
	genes []float64 // greedy: the action 0, 1 or 2 of each state; q: Q values
	ev    *Evaluation
}

func (run *gaRun) randomGenome(rng *rand.Rand) *tableGenome {
	n := policies.NumStates(run.h)
	if run.opts.Genome == GenomeQ {
		n *= policies.NumActions
	}
	g := &tableGenome{run: run, genes: make([]float64, n)}
	for i := range g.genes {
		if run.opts.Genome == GenomeQ {
			g.genes[i] = 2*rng.Float64() - 1
		} else {
			g.genes[i] = float64(rng.Intn(policies.NumActions))
		}
	}
	return g
}

// table returns the genome's policy table.
func (g *tableGenome) table() *policies.Table {
	t, _ := policies.New(g.run.opts.Name(), g.run.h)
	if g.run.opts.Genome == GenomeQ {
		copy(t.Q, g.genes)
		return t
	}
	for s, a := range g.genes {
		t.Q[s*policies.NumActions+int(a)] = 1
	}
	return t
}

// Evaluate returns -score. The model evaluates every new individual before
// eaopt asks, so this is a lookup; the fallback evaluates on the spot.
func (g *tableGenome) Evaluate() (float64, error) {
	if g.ev == nil {
		if err := g.run.evaluate([]*tableGenome{g}); err != nil {
			return math.Inf(1), err
		}
	}
	return -g.ev.Fitness.Score, nil
}

// Mutate switches each gene with probability Mutation: to one of the two
// other actions (greedy) or by Gaussian noise (q).
func (g *tableGenome) Mutate(rng *rand.Rand) {
	o := g.run.opts
	for i := range g.genes {
		if rng.Float64() >= o.Mutation {
			continue
		}
		if o.Genome == GenomeQ {
			g.genes[i] += o.Sigma * rng.NormFloat64()
		} else {
			g.genes[i] = float64((int(g.genes[i]) + 1 + rng.Intn(2)) % policies.NumActions)
		}
		g.ev = nil
	}
}

// Crossover swaps each gene with the mate's with probability 1/2.
func (g *tableGenome) Crossover(other eaopt.Genome, rng *rand.Rand) {
	mate := other.(*tableGenome)
	for i := range g.genes {
		if rng.Intn(2) == 0 && g.genes[i] != mate.genes[i] {
			g.genes[i], mate.genes[i] = mate.genes[i], g.genes[i]
			g.ev, mate.ev = nil, nil
		}
	}
}

// Clone returns a deep copy (the evaluation is shared: it is immutable).
func (g *tableGenome) Clone() eaopt.Genome {
	return &tableGenome{run: g.run, genes: append([]float64(nil), g.genes...), ev: g.ev}
}

// evaluate evaluates the genomes without an evaluation, in parallel.
func (run *gaRun) evaluate(gs []*tableGenome) error {
	var todo []*tableGenome
	var tables []*policies.Table
	for _, g := range gs {
		if g.ev == nil {
			todo = append(todo, g)
			tables = append(tables, g.table())
		}
	}
	evals, err := run.r.Evaluate(run.ctx, tables)
	if err != nil {
		return err
	}
	for i, g := range todo {
		g.ev = &evals[i]
	}
	return nil
}

// Apply is the generational model with elitism: the population arrives
// sorted by fitness (best first); the Elite best are kept as clones, the
// others replaced by children of tournament-selected parents, then every
// child is evaluated.
func (run *gaRun) Apply(pop *eaopt.Population) error {
	rng, old := pop.RNG, pop.Individuals
	n := len(old)
	next := make(eaopt.Individuals, 0, n)
	for i := range min(run.opts.Elite, n) {
		next = append(next, old[i].Clone(rng))
	}
	for len(next) < n {
		a := run.tournament(old, rng).Clone(rng)
		b := run.tournament(old, rng).Clone(rng)
		if rng.Float64() < run.opts.Crossover {
			a.Genome.Crossover(b.Genome, rng)
		}
		a.Genome.Mutate(rng)
		b.Genome.Mutate(rng)
		for _, c := range []eaopt.Individual{a, b} {
			if len(next) < n {
				c.Evaluated, c.Fitness = false, math.Inf(1)
				next = append(next, c)
			}
		}
	}
	gs := make([]*tableGenome, n)
	for i, ind := range next {
		g := ind.Genome.(*tableGenome)
		if g.ev != nil {
			// An elite, or a child equal to its parent: its fitness is
			// carried over, not trained again.
			carried := *g.ev
			carried.Cached, carried.Seconds = true, 0
			g.ev = &carried
		}
		gs[i] = g
	}
	if err := run.evaluate(gs); err != nil {
		if run.err == nil {
			run.err = err
		}
		return err
	}
	copy(pop.Individuals, next)
	return nil
}

// tournament returns the fittest of Tournament individuals drawn with
// replacement.
func (run *gaRun) tournament(indis eaopt.Individuals, rng *rand.Rand) eaopt.Individual {
	best := indis[rng.Intn(len(indis))]
	for range run.opts.Tournament - 1 {
		if c := indis[rng.Intn(len(indis))]; c.Fitness < best.Fitness {
			best = c
		}
	}
	return best
}

// Validate implements eaopt.Model.
func (run *gaRun) Validate() error {
	if run.opts.Tournament < 1 {
		return errors.New("tournament size must be at least 1")
	}
	return nil
}

// callback commits the generation eaopt just finished (sorted, best first).
func (run *gaRun) callback(ga *eaopt.GA) {
	if run.err != nil {
		return
	}
	indis := ga.Populations[0].Individuals
	evals := make([]Evaluation, len(indis))
	for i, ind := range indis {
		g := ind.Genome.(*tableGenome)
		if g.ev == nil {
			run.err = fmt.Errorf("generation %d: individual %d has no evaluation", ga.Generations, i)
			return
		}
		evals[i] = *g.ev
		evals[i].Policy = g.ev.Policy.Clone()
		evals[i].Policy.Name = fmt.Sprintf("ga-g%d-%d", ga.Generations, i)
	}
	if err := run.r.Commit(run.ctx, int(ga.Generations), evals, nil); err != nil {
		run.err = err
	}
}
