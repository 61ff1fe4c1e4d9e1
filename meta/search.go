package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// A search is a Problem (what a policy is worth), SearchSettings (budget,
// parallelism, seed, store) and a Method (how the next candidates are
// chosen), run by Search into a SearchResult, in the manner of
// gonum/optimize's Minimize.

// Method is an outer-loop search method: qlearn (QLearn), ga (GA), cmaes
// (CMAES) or random (Random). A method chooses candidates and hands them to
// the Runner, which evaluates them in parallel, caches their fitness and
// records every generation.
type Method interface {
	// Name is the method's name, stored with the search.
	Name() string
	// Check reports whether the problem and settings suit the method (its
	// population needs, its own options). Its errors name the flag at fault.
	Check(p *Problem, s SearchSettings) error
	// Run runs the search's generations on r. It returns the reason it
	// stopped; a context error means the search was interrupted.
	Run(ctx context.Context, r *Runner) (SearchStatus, error)
}

// SearchStatus says why a search stopped.
type SearchStatus string

// Search statuses.
const (
	// StatusGenerations: every generation of the budget ran.
	StatusGenerations SearchStatus = "generations"
	// StatusConverged: the method converged before the budget was spent
	// (CMA-ES when its distribution collapses).
	StatusConverged SearchStatus = "converged"
	// StatusInterrupted: the context was cancelled; rerunning resumes.
	StatusInterrupted SearchStatus = "interrupted"
	// StatusFailed: an evaluation or the store failed.
	StatusFailed SearchStatus = "failed"
)

// SearchSettings are the budget, parallelism, seed and logging of a search.
type SearchSettings struct {
	// Generations is the number of generations (default 8). For qlearn a
	// generation is one round of parallel episodes and a merge.
	Generations int
	// Population is the number of candidates per generation (qlearn: of
	// parallel episodes) (default 8).
	Population int
	// Workers is the number of evaluations run at once, one goroutine each
	// (default runtime.NumCPU()). Results do not depend on it.
	Workers int
	// Seed seeds the method and the search evaluation set (default 0).
	Seed uint64
	// Store, when set, logs the search under Name (required then) and
	// answers repeated evaluations from its fitness cache. A search of the
	// same name and configuration is resumed; a different configuration is
	// refused (an *InputError wrapping results.ErrConfigMismatch).
	Store *results.Store
	Name  string
	// HeldOut configures the held-out evaluation run after a completed
	// search (HeldOut.Tasks 0: none).
	HeldOut HeldOutConfig
	// Progress, when set, is called after every generation, on one
	// goroutine at a time.
	Progress func(GenerationReport)
}

// DefaultSearchSettings returns the settings of a small search: 8
// generations of 8, on every CPU, with a held-out evaluation.
func DefaultSearchSettings() SearchSettings {
	return SearchSettings{Generations: 8, Population: 8, Workers: runtime.NumCPU(), HeldOut: DefaultHeldOut()}
}

// GenerationReport describes a completed generation, for progress display.
type GenerationReport struct {
	// Generation counts from 0; Generations is the budget.
	Generation, Generations int
	// Best, Mean and Std are over the generation's candidates' scores.
	Best, Mean, Std float64
	// BestSoFar is the best score of the search so far.
	BestSoFar float64
	// Evaluations is the number of candidates trained in this generation,
	// CacheHits the number answered from the cache, Episodes the qlearn
	// episodes run.
	Evaluations, CacheHits, Episodes int
	// Seconds is the generation's wall time.
	Seconds float64
	// Replayed is true when the generation was already stored (resume).
	Replayed bool
}

// EvalsPerSec is the training work of the generation per second: trained
// evaluations and episodes over its wall time.
func (g GenerationReport) EvalsPerSec() float64 {
	if g.Seconds <= 0 {
		return 0
	}
	return float64(g.Evaluations+g.Episodes) / g.Seconds
}

// SearchResult is the outcome of a search.
type SearchResult struct {
	// SearchID is the search's row (0 without a store); Resumed is true
	// when an earlier session of it existed.
	SearchID int64
	Resumed  bool
	// Best is the result policy: the best candidate found (the final
	// merged table for qlearn), nil when no generation completed.
	Best *policies.Table
	// BestFitness is Best's fitness on the search evaluation set.
	BestFitness Fitness
	// Status says why the search stopped.
	Status SearchStatus
	// Generations is the number of completed generations.
	Generations int
	// Evaluations counts the evaluations trained in this session (search
	// and held-out; a held-out evaluation counts once per policy and task),
	// CacheHits those answered from a cache, Episodes the qlearn episodes.
	Evaluations, CacheHits, Episodes int
	// WallSeconds is this session's wall time.
	WallSeconds float64
	// EvalSet is the search evaluation set.
	EvalSet EvalSet
	// HeldOut is the held-out evaluation (nil when not run).
	HeldOut *HeldOutReport
}

// Seed streams of a search, derived from SearchSettings.Seed.
const (
	streamEval    = 101
	streamGAInit  = 102
	streamGA      = 103
	streamCMA     = 104
	streamRandom  = 105
	streamQLearn  = 106
	streamHeldOut = 107
)

// SearchConfig returns the configuration of a search as stored: one flat
// JSON object of the problem's fields, the method's options, generations
// and population. Workers, the name and the held-out settings are not part
// of it: they do not change the search's course.
func SearchConfig(p *Problem, s SearchSettings, m Method) ([]byte, error) {
	merged := map[string]any{}
	for _, v := range []any{p, m} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, err
		}
		for k := range part {
			if _, dup := merged[k]; dup {
				return nil, fmt.Errorf("configuration key %q set by both the problem and method %s", k, m.Name())
			}
		}
		maps.Copy(merged, part)
	}
	merged["generations"], merged["population"] = s.Generations, s.Population
	return json.Marshal(merged)
}

func (s SearchSettings) withDefaults() SearchSettings {
	d := DefaultSearchSettings()
	if s.Generations == 0 {
		s.Generations = d.Generations
	}
	if s.Population == 0 {
		s.Population = d.Population
	}
	if s.Workers == 0 {
		s.Workers = d.Workers
	}
	return s
}

// Search runs method m on problem p with settings s. With a store, the
// search is logged (searches, generations, candidates) and resumable: the
// methods are deterministic given the seed, so a rerun replays the stored
// generations from the fitness cache at no training cost (qlearn restarts
// from its last stored table) and ends where an uninterrupted run would
// have. Every completed generation is committed in one transaction, so an
// interruption loses at most the generation in progress.
//
// Invalid input (problem, settings, method options, a stored search of the
// same name with another configuration) is an *InputError and leaves the
// store untouched. When ctx is cancelled the search is closed as
// interrupted and Search returns its partial result with an error wrapping
// ctx.Err().
func Search(ctx context.Context, p Problem, s SearchSettings, m Method) (*SearchResult, error) {
	s = s.withDefaults()
	bad := func(err error) (*SearchResult, error) { return nil, &InputError{err} }
	if m == nil {
		return bad(errors.New("no search method"))
	}
	if err := p.Validate(); err != nil {
		return bad(err)
	}
	switch {
	case s.Generations < 1:
		return bad(fmt.Errorf("--generations=%d: must be at least 1", s.Generations))
	case s.Population < 1:
		return bad(fmt.Errorf("--population=%d: must be at least 1", s.Population))
	case s.Workers < 1:
		return bad(fmt.Errorf("--workers=%d: must be at least 1", s.Workers))
	case s.Store != nil && s.Name == "":
		return bad(errors.New("--name: a logged search needs a name"))
	}
	if err := s.HeldOut.validate(); err != nil {
		return bad(err)
	}
	if err := m.Check(&p, s); err != nil {
		return bad(err)
	}
	if p.Loader == nil {
		p.Loader = inner.NewLoader()
	}
	set, err := p.EvalSet(inner.SubSeed(s.Seed, streamEval))
	if err != nil {
		return bad(err)
	}
	// Every task of the set must load before anything is stored.
	for i, task := range set.Tasks {
		spec, err := inner.ParseTask(task)
		if err == nil {
			_, err = p.Loader.Load(spec, set.TaskSeeds[i])
		}
		if err != nil {
			return bad(fmt.Errorf("--task: %w", err))
		}
	}

	r := &Runner{
		ev:       newEvaluator(&p, s.Store, s.Workers),
		settings: s,
		set:      set,
		started:  time.Now(),
	}
	r.key = p.EvalKey(set)
	r.lastCommit = r.started
	res := &SearchResult{EvalSet: set}
	if s.Store != nil {
		cfg, err := SearchConfig(&p, s, m)
		if err != nil {
			return nil, fmt.Errorf("search %q: configuration: %w", s.Name, err)
		}
		sr, resumed, err := s.Store.StartSearch(ctx, s.Name, m.Name(), cfg, int64(s.Seed), Version)
		if errors.Is(err, results.ErrConfigMismatch) {
			return bad(fmt.Errorf("%w (use another --name, or the stored settings: synrl search show %s)", err, s.Name))
		}
		if err != nil {
			return nil, err
		}
		r.searchID, res.SearchID, res.Resumed = sr.ID, sr.ID, resumed
		if resumed {
			if r.completed, err = s.Store.Generations(ctx, sr.ID); err != nil {
				return nil, r.finish(ctx, res, StatusFailed, err)
			}
		}
	}

	status, err := m.Run(ctx, r)
	switch {
	case err != nil && ctx.Err() != nil:
		status = StatusInterrupted
		err = fmt.Errorf("search %q interrupted after %d of %d generations (rerun to resume): %w",
			s.Name, r.generations, s.Generations, ctx.Err())
	case err != nil:
		status = StatusFailed
		err = fmt.Errorf("search %q (%s): %w", s.Name, m.Name(), err)
	}
	if err == nil && r.hasBest && s.HeldOut.Tasks > 0 {
		res.HeldOut, err = r.heldOut(ctx, r.best.Policy)
		if err != nil {
			status = StatusFailed
			if ctx.Err() != nil {
				status = StatusInterrupted
			}
			err = fmt.Errorf("search %q: held-out evaluation: %w", s.Name, err)
		}
	}
	return res, r.finish(ctx, res, status, err)
}

// finish fills res from the runner and closes the search in the store
// with a status matching status; it returns err joined with any store
// error.
func (r *Runner) finish(ctx context.Context, res *SearchResult, status SearchStatus, err error) error {
	res.Status = status
	res.Generations = r.generations
	res.Evaluations, res.CacheHits = r.ev.counts()
	res.Episodes = r.episodes
	res.WallSeconds = time.Since(r.started).Seconds()
	bestScore := math.NaN()
	var bestJSON, heldJSON []byte
	if r.hasBest {
		res.Best, res.BestFitness, bestScore = r.best.Policy, r.best.Fitness, r.best.Fitness.Score
		bestJSON, _ = policies.Marshal(r.best.Policy)
	}
	if res.HeldOut != nil {
		heldJSON, _ = json.Marshal(res.HeldOut)
	}
	if r.searchID == 0 {
		return err
	}
	st := results.StatusDone
	msg := ""
	switch status {
	case StatusInterrupted:
		st = results.StatusInterrupted
	case StatusFailed:
		st = results.StatusFailed
		if err != nil {
			msg = err.Error()
		}
	}
	// Close the search even when ctx is cancelled, within a bounded time.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if ferr := r.settings.Store.FinishSearch(cctx, r.searchID, st, bestScore, bestJSON, heldJSON, msg); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

// ---------------------------------------------------------------------------
// Runner

// Evaluation is one evaluated candidate.
type Evaluation struct {
	// Policy is the evaluated table.
	Policy *policies.Table
	// Fitness is its fitness on the evaluation set.
	Fitness Fitness
	// Cached is true when the fitness came from a cache (the store's
	// fitness cache, an earlier candidate of this session, or an elite
	// carried over) instead of training.
	Cached bool
	// Seconds is the training wall time (0 when cached).
	Seconds float64
}

// Runner is what a Method runs on: it evaluates candidates on the search
// evaluation set (in parallel, cached) and records generations. It is
// created by Search.
type Runner struct {
	ev        *evaluator
	settings  SearchSettings
	set       EvalSet
	key       string
	searchID  int64
	completed []results.Generation

	started, lastCommit time.Time
	generations         int // committed in this session (including replays)
	episodes            int // qlearn episodes run
	lastEvals, lastHits int
	lastEpisodes        int
	hasBest             bool
	best                Evaluation
}

// Problem returns the search's problem.
func (r *Runner) Problem() *Problem { return r.ev.problem }

// Settings returns the search's settings, defaults filled in.
func (r *Runner) Settings() SearchSettings { return r.settings }

// EvalSet returns the search evaluation set: the tasks and seeds every
// candidate of the search is evaluated on.
func (r *Runner) EvalSet() EvalSet { return r.set }

// Completed returns the generations stored by earlier sessions of the
// search (empty for a new search).
func (r *Runner) Completed() []results.Generation { return r.completed }

// Evaluate returns the fitness of every table, in order, evaluated on the
// search evaluation set on Workers goroutines. Tables seen before (by
// hash) are answered from the session's memory or the store's fitness
// cache; every new fitness is written to the cache as soon as it is known.
func (r *Runner) Evaluate(ctx context.Context, tables []*policies.Table) ([]Evaluation, error) {
	return r.ev.evaluateAll(ctx, tables, r.set, r.key)
}

// Parallel runs f(ctx, i) for i in [0, n) on Workers goroutines and returns
// the first error (which cancels the context of the others).
func (r *Runner) Parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	return r.ev.parallel(ctx, n, f)
}

// Commit records generation gen (counting from 0): its candidates' fitness
// summary, the candidates and the method's state (for resuming) are
// written in one transaction; writing a generation already stored is a
// no-op. It updates the search's best candidate and reports progress.
// A completed generation is written even when ctx is cancelled.
func (r *Runner) Commit(ctx context.Context, gen int, evals []Evaluation, state []byte) error {
	now := time.Now()
	scores := make([]float64, len(evals))
	best := math.Inf(-1)
	for i, e := range evals {
		scores[i] = e.Fitness.Score
		best = max(best, scores[i])
	}
	sp := SpreadOf(scores)
	std := sp.Std
	if len(scores) == 1 {
		std = 0
	}
	evalsN, hitsN := r.ev.counts()
	rep := GenerationReport{
		Generation: gen, Generations: r.settings.Generations, Best: best, Mean: sp.Mean, Std: std,
		Evaluations: evalsN - r.lastEvals, CacheHits: hitsN - r.lastHits, Episodes: r.episodes - r.lastEpisodes,
		Seconds: now.Sub(r.lastCommit).Seconds(), Replayed: gen < len(r.completed),
	}
	r.lastEvals, r.lastHits, r.lastEpisodes, r.lastCommit = evalsN, hitsN, r.episodes, now
	if r.searchID != 0 {
		g := results.Generation{SearchID: r.searchID, Generation: gen, Best: best, Mean: sp.Mean, Std: std,
			Evaluations: rep.Evaluations, WallSeconds: rep.Seconds, StateJSON: state}
		cands := make([]results.Candidate, len(evals))
		for i, e := range evals {
			pj, err := policies.Marshal(e.Policy)
			if err != nil {
				return fmt.Errorf("generation %d candidate %d: %w", gen, i, err)
			}
			sj, err := json.Marshal(e.Fitness.Runs)
			if err != nil {
				return fmt.Errorf("generation %d candidate %d: scores: %w", gen, i, err)
			}
			cands[i] = results.Candidate{Generation: gen, Index: i, Hash: e.Policy.Hash(), PolicyJSON: pj,
				Fitness: e.Fitness.Score, ScoresJSON: sj, WallSeconds: e.Seconds, Cached: e.Cached}
		}
		if err := r.settings.Store.SaveGeneration(context.WithoutCancel(ctx), g, cands); err != nil {
			return err
		}
	}
	for _, e := range evals {
		if !r.hasBest || e.Fitness.Score > r.best.Fitness.Score {
			r.best, r.hasBest = e, true
		}
	}
	r.generations = gen + 1
	rep.BestSoFar = r.best.Fitness.Score
	if r.settings.Progress != nil {
		r.settings.Progress(rep)
	}
	return nil
}

// SetBest makes e the search's result, whatever its fitness (qlearn's
// final table).
func (r *Runner) SetBest(e Evaluation) { r.best, r.hasBest = e, true }

// heldOut evaluates the best policy and the baselines on the held-out set.
func (r *Runner) heldOut(ctx context.Context, best *policies.Table) (*HeldOutReport, error) {
	return heldOut(ctx, r.ev, r.settings.HeldOut, best)
}

// ---------------------------------------------------------------------------
// evaluator: parallel, cached evaluations

// evaluator evaluates tables for one problem on a pool of workers, with a
// memory of the session's evaluations and the store's fitness cache.
type evaluator struct {
	problem *Problem
	store   *results.Store
	workers int

	mu            sync.Mutex
	memo          map[string]*memoEntry // evalKey + "/" + policy hash
	trained, hits int
}

type memoEntry struct {
	done chan struct{}
	fit  Fitness
	err  error
}

func newEvaluator(p *Problem, store *results.Store, workers int) *evaluator {
	return &evaluator{problem: p, store: store, workers: max(1, workers), memo: map[string]*memoEntry{}}
}

// counts returns the trained evaluations and cache hits so far.
func (e *evaluator) counts() (trained, hits int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.trained, e.hits
}

func (e *evaluator) parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.workers)
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return f(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

func (e *evaluator) evaluateAll(ctx context.Context, tables []*policies.Table, set EvalSet, key string) ([]Evaluation, error) {
	out := make([]Evaluation, len(tables))
	err := e.parallel(ctx, len(tables), func(ctx context.Context, i int) error {
		var err error
		out[i], err = e.evaluate(ctx, tables[i], set, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// evaluate returns the fitness of t on set (whose cache key is key),
// training only when neither this session nor the store knows it. Two
// concurrent requests for one table train it once.
func (e *evaluator) evaluate(ctx context.Context, t *policies.Table, set EvalSet, key string) (Evaluation, error) {
	hash := t.Hash()
	mk := key + "/" + hash
	e.mu.Lock()
	if m, ok := e.memo[mk]; ok {
		e.mu.Unlock()
		select {
		case <-m.done:
		case <-ctx.Done():
			return Evaluation{}, ctx.Err()
		}
		if m.err != nil {
			return Evaluation{}, m.err
		}
		e.mu.Lock()
		e.hits++
		e.mu.Unlock()
		return Evaluation{Policy: t, Fitness: m.fit, Cached: true}, nil
	}
	m := &memoEntry{done: make(chan struct{})}
	e.memo[mk] = m
	e.mu.Unlock()

	ev, err := e.compute(ctx, t, hash, set, key)
	m.fit, m.err = ev.Fitness, err
	e.mu.Lock()
	switch {
	case err != nil:
		delete(e.memo, mk) // a later request tries again
	case ev.Cached:
		e.hits++
	default:
		e.trained++
	}
	e.mu.Unlock()
	close(m.done)
	return ev, err
}

func (e *evaluator) compute(ctx context.Context, t *policies.Table, hash string, set EvalSet, key string) (Evaluation, error) {
	if e.store != nil {
		score, scores, ok, err := e.store.CachedFitness(ctx, hash, key)
		if err != nil {
			return Evaluation{}, err
		}
		if ok {
			f := Fitness{Score: score}
			if err := json.Unmarshal(scores, &f.Runs); err != nil {
				return Evaluation{}, fmt.Errorf("fitness cache of policy %s: %w", hash, err)
			}
			for _, r := range f.Runs {
				f.Acc += r.ValAcc
			}
			if len(f.Runs) > 0 {
				f.Acc /= float64(len(f.Runs))
			}
			return Evaluation{Policy: t, Fitness: f, Cached: true}, nil
		}
	}
	start := time.Now()
	f, err := e.problem.EvaluateSet(ctx, t, set)
	if err != nil {
		return Evaluation{}, err
	}
	ev := Evaluation{Policy: t, Fitness: f, Seconds: time.Since(start).Seconds()}
	if e.store != nil {
		sj, err := json.Marshal(f.Runs)
		if err != nil {
			return Evaluation{}, err
		}
		if err := e.store.PutFitness(context.WithoutCancel(ctx), hash, key, f.Score, sj); err != nil {
			return Evaluation{}, err
		}
	}
	return ev, nil
}
