package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// Kinds of comparison arms.
const (
	ArmStatic   = "static"   // a synaptic policy used as a fixed table
	ArmAdaptive = "adaptive" // a synaptic policy learned online from a start table
	ArmGD       = "gd"       // gradient descent
)

// DefaultAdaptiveStart is the start table of an adaptive arm that names none.
const DefaultAdaptiveStart = "builtin:zero"

// CompareArm is one arm of a comparison: one way of training the network,
// run once per seed.
type CompareArm struct {
	// Name labels the arm in tables and in the store (comparison_runs.arm).
	Name string `json:"name"`
	// Kind is static, adaptive or gd.
	Kind string `json:"kind"`
	// Policy is the policy reference (FILE or builtin:NAME) of a static arm,
	// or the start table of an adaptive one.
	Policy string `json:"policy,omitempty"`
	// Optimizer and LR configure a gd arm; empty and 0 mean the
	// comparison's GD configuration.
	Optimizer string  `json:"optimizer,omitempty"`
	LR        float64 `json:"lr,omitempty"`
}

// ArmSyntax documents what ParseArm accepts.
const ArmSyntax = `[NAME=]static:POLICY      a fixed policy: builtin:NAME or a policy FILE
[NAME=]adaptive[:POLICY]  Q-learning online from a start table (default builtin:zero)
[NAME=]gd[:OPT[:LR]]      gradient descent: OPT sgd, momentum or adam, learning rate LR
                          (defaults: --optimizer and --lr)
An arm is named by what was written (e.g. "static:builtin:wsls") unless NAME= is
given. Policy files whose path holds a comma cannot be named in a list.`

// ParseArm parses one arm (see ArmSyntax), e.g. "static:builtin:wsls",
// "mine=static:policy.json", "adaptive", "adaptive:builtin:random:3",
// "gd:adam:0.001".
func ParseArm(s string) (CompareArm, error) {
	s = strings.TrimSpace(s)
	var a CompareArm
	spec := s
	if name, rest, ok := strings.Cut(s, "="); ok {
		if name = strings.TrimSpace(name); name == "" || strings.ContainsAny(name, ":,") {
			return a, fmt.Errorf("arm %q: name %q must be non-empty without ':' or ','", s, name)
		}
		a.Name, spec = name, strings.TrimSpace(rest)
	}
	kind, rest, hasRest := strings.Cut(spec, ":")
	a.Kind = kind
	switch kind {
	case ArmStatic:
		if rest == "" {
			return a, fmt.Errorf("arm %q: static needs a policy (static:builtin:NAME or static:FILE)", s)
		}
		a.Policy = rest
	case ArmAdaptive:
		a.Policy = DefaultAdaptiveStart
		if hasRest {
			if rest == "" {
				return a, fmt.Errorf("arm %q: empty start policy (write adaptive or adaptive:POLICY)", s)
			}
			a.Policy = rest
		}
	case ArmGD:
		if hasRest {
			opt, lr, hasLR := strings.Cut(rest, ":")
			switch opt {
			case inner.OptSGD, inner.OptMomentum, inner.OptAdam:
			default:
				return a, fmt.Errorf("arm %q: unknown optimizer %q (want sgd, momentum or adam)", s, opt)
			}
			a.Optimizer = opt
			if hasLR {
				v, err := strconv.ParseFloat(lr, 64)
				if err != nil || !(v > 0) || math.IsInf(v, 0) {
					return a, fmt.Errorf("arm %q: learning rate %q is not a positive number", s, lr)
				}
				a.LR = v
			}
		}
	default:
		return a, fmt.Errorf("arm %q: unknown kind %q (want static:POLICY, adaptive[:POLICY] or gd[:OPT[:LR]])", s, kind)
	}
	if a.Name == "" {
		a.Name = spec
	}
	return a, nil
}

// ParseArms parses a comma-separated list of arms (see ArmSyntax). Arm
// names must be unique.
func ParseArms(s string) ([]CompareArm, error) {
	var arms []CompareArm
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			return nil, fmt.Errorf("arms %q: empty arm", s)
		}
		a, err := ParseArm(f)
		if err != nil {
			return nil, err
		}
		if seen[a.Name] {
			return nil, fmt.Errorf("arms %q: arm %q given twice (name one with NAME=...)", s, a.Name)
		}
		seen[a.Name] = true
		arms = append(arms, a)
	}
	return arms, nil
}

// trainer returns the Trial trainer of the arm.
func (a CompareArm) trainer() string {
	if a.Kind == ArmGD {
		return TrainerGD
	}
	return TrainerSynaptic
}

// CompareConfig describes a comparison: several arms trained on one task
// and network, each once per seed. The same seed gives every arm the same
// data split, initial weights and minibatch stream, so the runs of one seed
// are paired.
type CompareConfig struct {
	// Name names the comparison in the store.
	Name string
	// Task is the task specification (see inner.ParseTask).
	Task string
	// Hidden are the hidden layer sizes; Activation their activation.
	Hidden     []int
	Activation inner.Activation
	// InitRange bounds the initial weights (uniform in +-InitRange).
	InitRange float64
	// History is H of the synaptic policies (default 0: 2).
	History int
	// Arms are the arms, in table order.
	Arms []CompareArm
	// Seeds are the run seeds, one paired run per arm and seed.
	Seeds []uint64
	// Reference names the arm the others are compared with ("": the first
	// gd arm, else the first arm).
	Reference string
	// Synaptic configures static and adaptive arms; its Adaptive, Seed and
	// Workers fields are set per run.
	Synaptic inner.SynapticConfig
	// GD configures gd arms; an arm's Optimizer and LR override it. Its
	// Seed and Workers are set per run.
	GD inner.GDConfig
	// Workers is the number of runs trained in parallel (default 0: 1);
	// each run is single-threaded.
	Workers int
	// Command is the command line, for provenance.
	Command string
}

// reference returns the name of the reference arm.
func (c *CompareConfig) reference() string {
	if c.Reference != "" {
		return c.Reference
	}
	for _, a := range c.Arms {
		if a.Kind == ArmGD {
			return a.Name
		}
	}
	if len(c.Arms) > 0 {
		return c.Arms[0].Name
	}
	return ""
}

func (c *CompareConfig) history() int {
	if c.History == 0 {
		return 2
	}
	return c.History
}

// gdConfig returns the gradient-descent configuration of arm a.
func (c *CompareConfig) gdConfig(a CompareArm) inner.GDConfig {
	g := c.GD
	if a.Optimizer != "" {
		g.Optimizer = a.Optimizer
	}
	if a.LR != 0 {
		g.LR = a.LR
	}
	g.Workers = 1
	return g
}

// MarshalJSON writes the configuration as stored with the comparison.
func (c CompareConfig) MarshalJSON() ([]byte, error) {
	s := c.Synaptic
	g := c.GD
	return json.Marshal(map[string]any{
		"name": c.Name, "task": c.Task, "hidden": c.Hidden, "activation": c.Activation.String(),
		"init_range": c.InitRange, "history": c.history(), "arms": c.Arms, "seeds": c.Seeds,
		"reference": c.reference(), "workers": c.Workers, "command": c.Command,
		"synaptic": map[string]any{
			"iters": s.Iters, "epsilon": s.Epsilon, "bias_mult": s.BiasMult, "explore": s.Explore,
			"batch": s.Batch, "batch_interval": s.BatchInterval, "alpha": s.Alpha, "gamma": s.Gamma,
			"eval_every": s.EvalEvery, "switch_step": s.SwitchStep, "switch_epsilon": s.SwitchEpsilon,
		},
		"gd": map[string]any{
			"iters": g.Iters, "optimizer": g.Optimizer, "lr": g.LR, "batch": g.Batch, "eval_every": g.EvalEvery,
			"momentum": g.Momentum, "beta1": g.Beta1, "beta2": g.Beta2, "adam_eps": g.AdamEps,
		},
	})
}

// CompareRun is the outcome of one run of a comparison.
type CompareRun struct {
	Arm   string `json:"arm"`
	Seed  uint64 `json:"seed"`
	RunID int64  `json:"run_id"`
	// Status is the run's final status (done, failed or interrupted).
	Status results.Status `json:"status"`
	Iters  int            `json:"iters"`
	// Final metrics (accuracies as fractions) and throughput.
	ValAcc      float64 `json:"val_acc"`
	TestAcc     float64 `json:"test_acc"`
	ValLoss     float64 `json:"val_loss"`
	TestLoss    float64 `json:"test_loss"`
	Seconds     float64 `json:"seconds"`
	ItersPerSec float64 `json:"iters_per_sec"`
}

// compareRunJSON is CompareRun's JSON form: metrics that are not finite
// (a diverged run) are null.
type compareRunJSON struct {
	Arm         string         `json:"arm"`
	Seed        uint64         `json:"seed"`
	RunID       int64          `json:"run_id"`
	Status      results.Status `json:"status"`
	Iters       int            `json:"iters"`
	ValAcc      *float64       `json:"val_acc"`
	TestAcc     *float64       `json:"test_acc"`
	ValLoss     *float64       `json:"val_loss"`
	TestLoss    *float64       `json:"test_loss"`
	Seconds     *float64       `json:"seconds"`
	ItersPerSec *float64       `json:"iters_per_sec"`
}

// MarshalJSON writes the run with null for metrics that are not finite.
func (r CompareRun) MarshalJSON() ([]byte, error) {
	return json.Marshal(compareRunJSON{
		Arm: r.Arm, Seed: r.Seed, RunID: r.RunID, Status: r.Status, Iters: r.Iters,
		ValAcc: finiteOrNil(r.ValAcc), TestAcc: finiteOrNil(r.TestAcc),
		ValLoss: finiteOrNil(r.ValLoss), TestLoss: finiteOrNil(r.TestLoss),
		Seconds: finiteOrNil(r.Seconds), ItersPerSec: finiteOrNil(r.ItersPerSec),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (r *CompareRun) UnmarshalJSON(b []byte) error {
	var v compareRunJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = CompareRun{
		Arm: v.Arm, Seed: v.Seed, RunID: v.RunID, Status: v.Status, Iters: v.Iters,
		ValAcc: nanIfNil(v.ValAcc), TestAcc: nanIfNil(v.TestAcc),
		ValLoss: nanIfNil(v.ValLoss), TestLoss: nanIfNil(v.TestLoss),
		Seconds: nanIfNil(v.Seconds), ItersPerSec: nanIfNil(v.ItersPerSec),
	}
	return nil
}

// ArmSummary summarises the finished runs of one arm.
type ArmSummary struct {
	Arm  string `json:"arm"`
	Kind string `json:"kind"`
	// Runs is the number of finished (done) runs summarised.
	Runs int `json:"runs"`
	// Mean and sample standard deviation over seeds of the final
	// accuracies (fractions), losses, wall seconds and iterations per second.
	ValAcc      Spread `json:"val_acc"`
	TestAcc     Spread `json:"test_acc"`
	ValLoss     Spread `json:"val_loss"`
	TestLoss    Spread `json:"test_loss"`
	Seconds     Spread `json:"seconds"`
	ItersPerSec Spread `json:"iters_per_sec"`
	// ValAccDiff and TestAccDiff are the paired differences against the
	// reference arm (this arm minus the reference on the same seed, over
	// the seeds where both finished), in accuracy points; nil for the
	// reference itself.
	ValAccDiff  *PairedDiff `json:"val_acc_diff_points,omitempty"`
	TestAccDiff *PairedDiff `json:"test_acc_diff_points,omitempty"`
}

// CompareResult is the outcome of a comparison, stored as its result JSON.
type CompareResult struct {
	// ID is the comparison's row in the store.
	ID   int64  `json:"comparison_id"`
	Name string `json:"name"`
	Task string `json:"task"`
	// Shape is the network shape, e.g. "784-32-10".
	Shape string `json:"shape"`
	// Reference is the arm the paired differences are taken against.
	Reference string `json:"reference"`
	// Seeds are the run seeds.
	Seeds []uint64 `json:"seeds"`
	// Status is done, failed or interrupted.
	Status results.Status `json:"status"`
	// Seconds is the wall time of the whole comparison.
	Seconds float64      `json:"seconds"`
	Arms    []ArmSummary `json:"arms"`
	// Runs lists every run, ordered by arm (in arm order) then seed.
	Runs []CompareRun `json:"runs"`
}

// CompareEvent reports a finished run of a comparison to an observer.
type CompareEvent struct {
	// Done runs out of Total.
	Done, Total int
	// Run is the run that just ended.
	Run CompareRun
	// Err is its error, if any.
	Err error
}

// SummarizeArms computes the per-arm summaries of a comparison from its
// runs: the spread of every metric over the done runs of each arm, and the
// paired differences of accuracies against arm ref over the seeds where
// both finished. Arms without runs get N = 0 spreads.
func SummarizeArms(arms []CompareArm, ref string, runs []CompareRun) ([]ArmSummary, error) {
	type key struct {
		arm  string
		seed uint64
	}
	done := map[key]CompareRun{}
	for _, r := range runs {
		if r.Status == results.StatusDone {
			done[key{r.Arm, r.Seed}] = r
		}
	}
	var seeds []uint64
	seen := map[uint64]bool{}
	for _, r := range runs {
		if !seen[r.Seed] {
			seen[r.Seed] = true
			seeds = append(seeds, r.Seed)
		}
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	metric := func(arm string, f func(CompareRun) float64) []float64 {
		var xs []float64
		for _, s := range seeds {
			if r, ok := done[key{arm, s}]; ok {
				xs = append(xs, f(r))
			}
		}
		return xs
	}
	refFound := false
	for _, a := range arms {
		refFound = refFound || a.Name == ref
	}
	if !refFound {
		return nil, fmt.Errorf("reference arm %q is not one of the arms", ref)
	}
	var out []ArmSummary
	for _, a := range arms {
		s := ArmSummary{
			Arm: a.Name, Kind: a.Kind,
			ValAcc:      SpreadOf(metric(a.Name, func(r CompareRun) float64 { return r.ValAcc })),
			TestAcc:     SpreadOf(metric(a.Name, func(r CompareRun) float64 { return r.TestAcc })),
			ValLoss:     SpreadOf(metric(a.Name, func(r CompareRun) float64 { return r.ValLoss })),
			TestLoss:    SpreadOf(metric(a.Name, func(r CompareRun) float64 { return r.TestLoss })),
			Seconds:     SpreadOf(metric(a.Name, func(r CompareRun) float64 { return r.Seconds })),
			ItersPerSec: SpreadOf(metric(a.Name, func(r CompareRun) float64 { return r.ItersPerSec })),
		}
		s.Runs = s.ValAcc.N
		if a.Name != ref {
			var xv, rv, xt, rt []float64
			for _, seed := range seeds {
				x, ok1 := done[key{a.Name, seed}]
				r, ok2 := done[key{ref, seed}]
				if ok1 && ok2 {
					xv, rv = append(xv, x.ValAcc), append(rv, r.ValAcc)
					xt, rt = append(xt, x.TestAcc), append(rt, r.TestAcc)
				}
			}
			dv, err := PairedDiffOf(xv, rv)
			if err != nil {
				return nil, err
			}
			dt, err := PairedDiffOf(xt, rt)
			if err != nil {
				return nil, err
			}
			dv, dt = dv.Scale(100), dt.Scale(100)
			s.ValAccDiff, s.TestAccDiff = &dv, &dt
		}
		out = append(out, s)
	}
	return out, nil
}

// compareJob is one run of a comparison.
type compareJob struct {
	arm    CompareArm
	seed   uint64
	policy *policies.Table
}

// prepare checks the configuration and loads every policy; every error it
// returns is an *InputError.
func (c *CompareConfig) prepare(loader *inner.Loader) ([]compareJob, error) {
	bad := func(format string, args ...any) ([]compareJob, error) {
		return nil, &InputError{fmt.Errorf(format, args...)}
	}
	if len(c.Arms) == 0 {
		return bad("--arms: no arms to compare")
	}
	if len(c.Seeds) == 0 {
		return bad("--seeds: no seeds")
	}
	seen := map[uint64]bool{}
	for _, s := range c.Seeds {
		if seen[s] {
			return bad("seed %d given twice: runs are paired by seed", s)
		}
		seen[s] = true
	}
	if c.Workers < 0 {
		return bad("--workers=%d: must be non-negative", c.Workers)
	}
	names := map[string]bool{}
	synaptic := false
	for _, a := range c.Arms {
		if names[a.Name] {
			return bad("--arms: arm %q given twice", a.Name)
		}
		names[a.Name] = true
		switch a.Kind {
		case ArmStatic, ArmAdaptive:
			synaptic = true
		case ArmGD:
			if err := c.gdConfig(a).Validate(); err != nil {
				return bad("arm %s: %w", a.Name, err)
			}
		default:
			return bad("arm %s: unknown kind %q", a.Name, a.Kind)
		}
	}
	if ref := c.reference(); !names[ref] {
		return bad("--ref=%q: not one of the arms", ref)
	}
	if synaptic {
		if err := c.Synaptic.Validate(); err != nil {
			return bad("%w", err)
		}
	}
	var jobs []compareJob
	for _, seed := range c.Seeds {
		for _, a := range c.Arms {
			j := compareJob{arm: a, seed: seed}
			if a.Kind != ArmGD {
				p, err := policies.Load(a.Policy, c.history(), seed)
				if err != nil {
					return bad("arm %s: %w", a.Name, err)
				}
				j.policy = p
			}
			jobs = append(jobs, j)
		}
	}
	// Load the data and build the network of the first run once, so that a
	// bad task or network is reported before anything is stored.
	if _, _, err := c.trial(jobs[0]).Prepare(loader); err != nil {
		return nil, err
	}
	return jobs, nil
}

// trial returns the logged trial of a job.
func (c *CompareConfig) trial(j compareJob) Trial {
	t := Trial{
		Task: c.Task, Hidden: c.Hidden, Activation: c.Activation, InitRange: c.InitRange,
		Trainer: j.arm.trainer(), Seed: j.seed, Command: c.Command,
	}
	if j.arm.Kind == ArmGD {
		t.GD = c.gdConfig(j.arm)
	} else {
		t.Policy, t.PolicyRef = j.policy, j.arm.Policy
		t.Synaptic = c.Synaptic
		t.Synaptic.Adaptive = j.arm.Kind == ArmAdaptive
		t.Synaptic.Workers = 1
	}
	return t
}

// RunComparison runs every arm of c once per seed, c.Workers runs at a
// time, each logged as a run (RunTrial) and linked to a comparison row
// under its arm and seed. The comparison is closed as done with the result
// as its JSON summary; as interrupted when ctx is cancelled; as failed when
// a run fails (the other runs are then stopped). obs, if not nil, is called
// after each run, never concurrently.
//
// Input errors (a bad arm, policy, task or knob) are *InputErrors returned
// before anything is stored. On a later error the partial result is
// returned with the error.
func RunComparison(ctx context.Context, store *results.Store, loader *inner.Loader, c CompareConfig, obs func(CompareEvent)) (*CompareResult, error) {
	jobs, err := c.prepare(loader)
	if err != nil {
		return nil, err
	}
	cfgJSON, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("comparison %q: configuration: %w", c.Name, err)
	}
	id, err := store.StartComparison(ctx, c.Name, cfgJSON, Version)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res := &CompareResult{ID: id, Name: c.Name, Task: c.Task, Reference: c.reference(), Seeds: c.Seeds}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error // the first run failure (not an interruption)
		done     int
	)
	// Writes that close the books must happen even after cancellation.
	bg := context.WithoutCancel(ctx)
	next := make(chan compareJob)
	var wg sync.WaitGroup
	for range min(max(1, c.Workers), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				tr, err := RunTrial(runCtx, store, loader, c.trial(j), nil)
				run := CompareRun{Arm: j.arm.Name, Seed: j.seed, Status: results.StatusFailed}
				if tr != nil {
					run.RunID = tr.RunID
					if tr.Shape != "" {
						mu.Lock()
						res.Shape = tr.Shape
						mu.Unlock()
					}
					if r := tr.Result; r != nil {
						run.Iters, run.Seconds, run.ItersPerSec = r.Iters, r.Seconds, r.ItersPerSec
						run.ValAcc, run.TestAcc, run.ValLoss, run.TestLoss = r.ValAcc, r.TestAcc, r.ValLoss, r.TestLoss
					}
					switch {
					case err == nil:
						run.Status = results.StatusDone
					case runCtx.Err() != nil:
						run.Status = results.StatusInterrupted
					}
					if lerr := store.AddComparisonRun(bg, id, tr.RunID, j.arm.Name, int64(j.seed)); lerr != nil {
						err = errors.Join(err, lerr)
						run.Status = results.StatusFailed
					}
				}
				mu.Lock()
				res.Runs = append(res.Runs, run)
				done++
				// A run that fails while nothing was cancelled fails the
				// comparison and stops the others; runs that end because of a
				// cancellation (Ctrl-C or that stop) are interruptions.
				if err != nil && firstErr == nil && runCtx.Err() == nil {
					firstErr = fmt.Errorf("arm %s seed %d: %w", j.arm.Name, j.seed, err)
					cancel()
				}
				if obs != nil {
					obs(CompareEvent{Done: done, Total: len(jobs), Run: run, Err: err})
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		if runCtx.Err() != nil {
			break
		}
		select {
		case next <- j:
		case <-runCtx.Done():
		}
	}
	close(next)
	wg.Wait()

	// Runs in arm order, then seed order.
	armIndex := map[string]int{}
	for i, a := range c.Arms {
		armIndex[a.Name] = i
	}
	sort.Slice(res.Runs, func(i, j int) bool {
		a, b := res.Runs[i], res.Runs[j]
		if armIndex[a.Arm] != armIndex[b.Arm] {
			return armIndex[a.Arm] < armIndex[b.Arm]
		}
		return a.Seed < b.Seed
	})
	res.Seconds = time.Since(start).Seconds()
	res.Arms, err = SummarizeArms(c.Arms, res.Reference, res.Runs)
	if err != nil {
		firstErr = errors.Join(firstErr, err)
	}
	var runErr error
	switch {
	case firstErr != nil:
		res.Status, runErr = results.StatusFailed, firstErr
	case ctx.Err() != nil:
		res.Status = results.StatusInterrupted
		runErr = fmt.Errorf("interrupted after %d of %d runs: %w", countDone(res.Runs), len(jobs), ctx.Err())
	default:
		res.Status = results.StatusDone
	}
	summary, err := json.Marshal(res)
	if err != nil {
		// Never leave the row running: close it as failed without a summary.
		res.Status, summary = results.StatusFailed, nil
		runErr = errors.Join(runErr, fmt.Errorf("summary: %w", err))
	}
	closeCtx, cancelClose := context.WithTimeout(bg, 30*time.Second)
	defer cancelClose()
	if err := store.FinishComparison(closeCtx, id, res.Status, summary); err != nil {
		return res, errors.Join(runErr, err)
	}
	if runErr != nil {
		return res, fmt.Errorf("comparison %d: %w", id, runErr)
	}
	return res, nil
}

func countDone(runs []CompareRun) int {
	n := 0
	for _, r := range runs {
		if r.Status == results.StatusDone {
			n++
		}
	}
	return n
}
