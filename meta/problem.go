package meta

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// DefaultTasks is the default task distribution of a search: boundary tasks
// with 2 to 4 input dimensions, 2 or 3 classes and teachers of 4 to 16
// hidden units, 2000 samples each.
const DefaultTasks = "boundary:dims=2-4,classes=2-3,hidden=4-16,samples=2000"

// Problem is what a search optimises: a task distribution, a network family,
// an inner training budget, and how many tasks and seeds one evaluation
// trains on. It turns a policy into a fitness (see Evaluate). Its exported
// fields are its configuration, stored with the search as JSON; two
// problems with the same JSON give the same fitness to the same table.
//
// Zero values are not defaults: start from DefaultProblem.
type Problem struct {
	// Tasks is the task distribution (see ParseTaskDist; default
	// DefaultTasks).
	Tasks string `json:"tasks"`
	// Hidden are the hidden layer sizes of the trained networks (default
	// [16]); input and output sizes come from each task.
	Hidden []int `json:"hidden"`
	// Activation is the hidden activation: relu, tanh or sigmoid (default
	// relu).
	Activation string `json:"activation"`
	// InitRange bounds the initial weights, uniform in +-InitRange (0.1).
	InitRange float64 `json:"init_range"`
	// History is the history length H of the searched tables (default 2).
	History int `json:"history"`
	// Iters is the number of synaptic steps of one training run (300).
	Iters int `json:"iters"`
	// Batch is the minibatch size (200).
	Batch int `json:"batch"`
	// BatchInterval is how many steps a minibatch is kept (100).
	BatchInterval int `json:"batch_interval"`
	// Epsilon is the weight step (0.01: larger than the reference's 0.001
	// so that short runs move the weights).
	Epsilon float64 `json:"epsilon"`
	// BiasMult multiplies Epsilon for biases (2).
	BiasMult float64 `json:"bias_mult"`
	// Explore is the exploration probability of every synapse (0.1).
	Explore float64 `json:"explore"`
	// Adaptive makes evaluations adaptive: the table is the start of online
	// Q-learning instead of a fixed policy (default false: static).
	Adaptive bool `json:"adaptive"`
	// Alpha and Gamma are the Q-learning rate and discount of adaptive runs
	// (0.01, 0.9); qlearn episodes always use them.
	Alpha float64 `json:"alpha"`
	Gamma float64 `json:"gamma"`
	// EvalTasks is K, the number of tasks one evaluation trains on (2).
	EvalTasks int `json:"eval_tasks"`
	// EvalSeeds is S, the number of run seeds per task (1).
	EvalSeeds int `json:"eval_seeds"`

	// Loader loads the tasks. Nil means a fresh loader per evaluation, which
	// is fine for boundary tasks but rereads data files; Search sets one.
	Loader *inner.Loader `json:"-"`
}

// DefaultProblem returns the default problem: a small boundary budget on
// which one evaluation (2 tasks x 1 seed x 300 steps) takes a few tens of
// milliseconds.
func DefaultProblem() Problem {
	return Problem{
		Tasks: DefaultTasks, Hidden: []int{16}, Activation: "relu", InitRange: 0.1, History: 2,
		Iters: 300, Batch: 200, BatchInterval: 100, Epsilon: 0.01, BiasMult: 2, Explore: 0.1,
		Alpha: 0.01, Gamma: 0.9, EvalTasks: 2, EvalSeeds: 1,
	}
}

// Validate reports the first invalid field, named as its command-line flag.
func (p *Problem) Validate() error {
	if _, err := ParseTaskDist(p.Tasks); err != nil {
		return fmt.Errorf("--task: %w", err)
	}
	if _, err := inner.ParseActivation(p.Activation); err != nil {
		return fmt.Errorf("--activation: %w", err)
	}
	for _, h := range p.Hidden {
		if h <= 0 {
			return fmt.Errorf("--hidden: size %d is not positive", h)
		}
	}
	switch {
	case p.History < policies.MinHistory || p.History > policies.MaxHistory:
		return fmt.Errorf("--history=%d: must be in [%d, %d]", p.History, policies.MinHistory, policies.MaxHistory)
	case p.EvalTasks < 1:
		return fmt.Errorf("--tasks=%d: must be at least 1", p.EvalTasks)
	case p.EvalSeeds < 1:
		return fmt.Errorf("--seeds=%d: must be at least 1", p.EvalSeeds)
	case math.IsNaN(p.InitRange) || math.IsInf(p.InitRange, 0) || p.InitRange < 0:
		return fmt.Errorf("--init-range=%v: must be a non-negative number", p.InitRange)
	}
	return p.synaptic(false, 0).Validate()
}

// synaptic returns the inner trainer's configuration for one run.
func (p *Problem) synaptic(adaptive bool, seed uint64) inner.SynapticConfig {
	c := inner.DefaultSynaptic()
	c.Iters, c.Batch, c.BatchInterval = p.Iters, p.Batch, p.BatchInterval
	c.Epsilon, c.BiasMult, c.Explore = p.Epsilon, p.BiasMult, p.Explore
	c.Adaptive, c.Alpha, c.Gamma = adaptive, p.Alpha, p.Gamma
	c.EvalEvery = max(1, p.Iters) // no intermediate validation: only the result counts
	c.Workers = 1                 // searches run evaluations in parallel instead
	c.Seed = seed
	return c
}

// ---------------------------------------------------------------------------
// Task distributions

// IntRange is an inclusive range of integers, written "N" or "A-B".
type IntRange struct{ Min, Max int }

// String returns "N" or "A-B".
func (r IntRange) String() string {
	if r.Min == r.Max {
		return strconv.Itoa(r.Min)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

func (r IntRange) draw(rng *rand.Rand) int { return r.Min + rng.IntN(r.Max-r.Min+1) }

func parseRange(s string) (IntRange, error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := lo, error(nil)
	if isRange {
		hi, err2 = strconv.Atoi(b)
	}
	if err1 != nil || err2 != nil || lo < 1 || hi < lo {
		return IntRange{}, fmt.Errorf("%q is not a positive integer N or a range A-B with A <= B", s)
	}
	return IntRange{lo, hi}, nil
}

// TaskFamily is one component of a task distribution: boundary tasks with
// sampled parameters, or one fixed data set whose split is drawn.
type TaskFamily struct {
	// Boundary is true for a family of boundary tasks; Dims, Classes and
	// Teacher are then the ranges each task's parameters are drawn from
	// (uniformly), Samples its sample count, and the teacher seed is drawn.
	Boundary               bool
	Dims, Classes, Teacher IntRange
	Samples                int
	// Fixed is the task of a non-boundary family (mnist, fashion, idx,
	// folder, csv); each drawn task is a different split of it.
	Fixed inner.TaskSpec
}

// TaskDist is a task distribution: a uniform mixture of families.
type TaskDist []TaskFamily

// ParseTaskDist parses a task distribution: families joined by "+", each
// drawn with equal probability. A family is either
//
//	boundary[:dims=R,classes=R,hidden=R,samples=N]
//
// where R is N or a range A-B (defaults: dims 2-4, classes 2-3, hidden
// 4-16, samples 2000; hidden is the teacher's hidden layer and each task's
// teacher seed is drawn), or any other task of inner.ParseTask (e.g.
// "mnist:train=2000,val=500,test=500"), whose drawn tasks differ by their
// split seed. An empty string is DefaultTasks.
func ParseTaskDist(s string) (TaskDist, error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultTasks
	}
	var dist TaskDist
	for _, part := range strings.Split(s, "+") {
		part = strings.TrimSpace(part)
		kind, rest, _ := strings.Cut(part, ":")
		if kind != "boundary" {
			spec, err := inner.ParseTask(part)
			if err != nil {
				return nil, err
			}
			dist = append(dist, TaskFamily{Fixed: spec})
			continue
		}
		f := TaskFamily{Boundary: true, Dims: IntRange{2, 4}, Classes: IntRange{2, 3}, Teacher: IntRange{4, 16}, Samples: 2000}
		seen := map[string]bool{}
		if rest != "" {
			for _, kv := range strings.Split(rest, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("task distribution %q: option %q is not key=value", s, kv)
				}
				if seen[k] {
					return nil, fmt.Errorf("task distribution %q: option %q given twice", s, k)
				}
				seen[k] = true
				var err error
				switch k {
				case "dims":
					f.Dims, err = parseRange(v)
				case "classes":
					f.Classes, err = parseRange(v)
					if err == nil && f.Classes.Min < 2 {
						err = fmt.Errorf("%q: need at least 2 classes", v)
					}
				case "hidden":
					f.Teacher, err = parseRange(v)
				case "samples":
					f.Samples, err = strconv.Atoi(v)
					if err == nil && f.Samples < 20 {
						err = fmt.Errorf("%q: need at least 20 samples", v)
					}
				case "seed":
					err = errors.New("the teacher seed is drawn for every task; it cannot be set in a distribution")
				default:
					err = errors.New("unknown option (boundary distributions take dims, classes, hidden, samples)")
				}
				if err != nil {
					return nil, fmt.Errorf("task distribution %q: %s: %w", s, k, err)
				}
			}
		}
		dist = append(dist, f)
	}
	return dist, nil
}

// String returns the distribution in the form ParseTaskDist reads.
func (d TaskDist) String() string {
	parts := make([]string, len(d))
	for i, f := range d {
		if f.Boundary {
			parts[i] = fmt.Sprintf("boundary:dims=%s,classes=%s,hidden=%s,samples=%d", f.Dims, f.Classes, f.Teacher, f.Samples)
		} else {
			parts[i] = f.Fixed.String()
		}
	}
	return strings.Join(parts, "+")
}

// Seed ranges: tasks and run seeds drawn for a search have bit 62 clear,
// those of held-out evaluations have it set, so the two never share a task
// or a seed. Both stay below 2^63 (task options are signed integers).
const heldOutBit = 1 << 62

func drawSeed(rng *rand.Rand, heldOut bool) uint64 {
	v := rng.Uint64() >> 2 // 62 bits
	if v == 0 {
		v = 1
	}
	if heldOut {
		v |= heldOutBit
	}
	return v
}

// drawTask draws one task and its split seed.
func (d TaskDist) drawTask(rng *rand.Rand, heldOut bool) (inner.TaskSpec, uint64) {
	f := d[rng.IntN(len(d))]
	if !f.Boundary {
		return f.Fixed, drawSeed(rng, heldOut)
	}
	p := inner.BoundaryParams{
		Dims: f.Dims.draw(rng), Classes: f.Classes.draw(rng), Hidden: f.Teacher.draw(rng),
		Samples: f.Samples, Seed: drawSeed(rng, heldOut),
	}
	return p.Spec(), drawSeed(rng, heldOut)
}

// ---------------------------------------------------------------------------
// Evaluation sets

// EvalSet is what one evaluation trains on: every task with every run seed.
// All candidates evaluated on one set share its tasks and seeds (common
// random numbers), so their differences are not noise.
type EvalSet struct {
	// Tasks are the task specifications (inner.ParseTask syntax).
	Tasks []string `json:"tasks"`
	// TaskSeeds are the split seeds, one per task.
	TaskSeeds []uint64 `json:"task_seeds"`
	// RunSeeds seed the initial weights, minibatches and exploration of the
	// runs; every task is trained once with each.
	RunSeeds []uint64 `json:"run_seeds"`
}

// Runs returns the number of training runs of the set.
func (s EvalSet) Runs() int { return len(s.Tasks) * len(s.RunSeeds) }

// EvalSet draws the search evaluation set of seed: EvalTasks tasks from the
// distribution and EvalSeeds run seeds, a deterministic function of the
// seed. Search sets and held-out sets never share tasks or seeds.
func (p *Problem) EvalSet(seed uint64) (EvalSet, error) {
	return p.drawSet(seed, p.EvalTasks, p.EvalSeeds, false)
}

// HeldOutSet draws a held-out evaluation set of k tasks and s seeds from a
// seed range disjoint from every search set's (tasks of a fixed data set
// differ by split seed only).
func (p *Problem) HeldOutSet(seed uint64, k, s int) (EvalSet, error) {
	return p.drawSet(seed, k, s, true)
}

func (p *Problem) drawSet(seed uint64, k, s int, heldOut bool) (EvalSet, error) {
	dist, err := ParseTaskDist(p.Tasks)
	if err != nil {
		return EvalSet{}, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x7a5c5e7))
	var set EvalSet
	for range k {
		spec, ts := dist.drawTask(rng, heldOut)
		set.Tasks = append(set.Tasks, spec.String())
		set.TaskSeeds = append(set.TaskSeeds, ts)
	}
	for range s {
		set.RunSeeds = append(set.RunSeeds, drawSeed(rng, heldOut))
	}
	return set, nil
}

// EvalKey returns the fitness cache key of evaluations on set: a hash of
// the problem's configuration, the set and the program version, so a table
// already evaluated the same way is never trained again.
func (p *Problem) EvalKey(set EvalSet) string {
	cfg, _ := json.Marshal(p)
	st, _ := json.Marshal(set)
	h := sha256.New()
	fmt.Fprintf(h, "synrl.eval/v1\x00%s\x00%s\x00%s", Version, cfg, st)
	return hex.EncodeToString(h.Sum(nil))
}

// ---------------------------------------------------------------------------
// Fitness

// RunScore is the outcome of one training run of an evaluation.
type RunScore struct {
	// Task is the task specification, TaskSeed its split seed and Seed the
	// run seed (initial weights, minibatches, exploration).
	Task     string `json:"task"`
	TaskSeed uint64 `json:"task_seed"`
	Seed     uint64 `json:"seed"`
	// Score is the run's LossScore.
	Score float64 `json:"score"`
	// InitialValLoss and ValLoss are the validation loss before and after
	// training; ValAcc the final validation accuracy. Non-finite values are
	// written as 0 with Diverged set.
	InitialValLoss float64 `json:"initial_val_loss"`
	ValLoss        float64 `json:"val_loss"`
	ValAcc         float64 `json:"val_acc"`
	Diverged       bool    `json:"diverged,omitempty"`
}

// Fitness is the result of evaluating a policy. Score is what searches
// maximise (they minimise -Score).
type Fitness struct {
	// Score is the mean of the runs' scores.
	Score float64 `json:"score"`
	// Acc is the mean final validation accuracy of the runs.
	Acc float64 `json:"acc"`
	// Runs holds every run, task-major (all seeds of task 0 first).
	Runs []RunScore `json:"runs"`
}

// WorstScore is the score of a diverged run and the lower clip of scores.
const WorstScore = -1

// LossScore returns the score of one run: the relative reduction of the
// validation loss, 1 - final/initial, clipped to [-1, 1]. 0 means no
// progress, 1 a perfect fit, negative a loss that grew; it is comparable
// across tasks of different difficulty and class counts. A non-finite or
// non-positive loss (divergence) scores WorstScore.
func LossScore(initialValLoss, valLoss float64) float64 {
	if !isFiniteScore(initialValLoss) || !isFiniteScore(valLoss) || initialValLoss <= 0 || valLoss < 0 {
		return WorstScore
	}
	return max(WorstScore, min(1, 1-valLoss/initialValLoss))
}

func isFiniteScore(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func finiteOrZero(v float64) float64 {
	if isFiniteScore(v) {
		return v
	}
	return 0
}

// Evaluate returns the fitness of policy on the search evaluation set of
// evalSeed (see EvalSet): the policy, static or adaptive as configured,
// trains a fresh network on every task with every seed, one run after the
// other on the calling goroutine. It is a pure function of the table's Q
// values, the problem and evalSeed.
func (p *Problem) Evaluate(ctx context.Context, policy *policies.Table, evalSeed uint64) (Fitness, error) {
	set, err := p.EvalSet(evalSeed)
	if err != nil {
		return Fitness{}, err
	}
	return p.EvaluateSet(ctx, policy, set)
}

// EvaluateSet is Evaluate on a given set.
func (p *Problem) EvaluateSet(ctx context.Context, policy *policies.Table, set EvalSet) (Fitness, error) {
	if policy == nil {
		return Fitness{}, errors.New("evaluate: no policy")
	}
	if policy.History != p.History {
		return Fitness{}, fmt.Errorf("evaluate policy %s: history %d, problem uses %d", policy.Name, policy.History, p.History)
	}
	var f Fitness
	for k, task := range set.Tasks {
		for _, seed := range set.RunSeeds {
			res, _, err := p.train(ctx, policy, task, set.TaskSeeds[k], seed, p.Adaptive)
			if err != nil {
				return Fitness{}, fmt.Errorf("evaluate policy %s: %w", policy.Name, err)
			}
			rs := RunScore{Task: task, TaskSeed: set.TaskSeeds[k], Seed: seed,
				Score:          LossScore(res.InitialValLoss, res.ValLoss),
				InitialValLoss: finiteOrZero(res.InitialValLoss), ValLoss: finiteOrZero(res.ValLoss), ValAcc: finiteOrZero(res.ValAcc),
				Diverged: !isFiniteScore(res.InitialValLoss) || !isFiniteScore(res.ValLoss)}
			f.Runs = append(f.Runs, rs)
			f.Score += rs.Score
			f.Acc += rs.ValAcc
		}
	}
	if n := len(f.Runs); n > 0 {
		f.Score /= float64(n)
		f.Acc /= float64(n)
	}
	return f, nil
}

// train runs one synaptic training: a fresh network of the problem's family
// on task (split with taskSeed), initialised and trained with seed. It
// returns the result and the final table (learned when adaptive).
func (p *Problem) train(ctx context.Context, policy *policies.Table, task string, taskSeed, seed uint64, adaptive bool) (*inner.Result, *policies.Table, error) {
	spec, err := inner.ParseTask(task)
	if err != nil {
		return nil, nil, err
	}
	loader := p.Loader
	if loader == nil {
		loader = inner.NewLoader()
	}
	data, err := loader.Load(spec, taskSeed)
	if err != nil {
		return nil, nil, err
	}
	act, err := inner.ParseActivation(p.Activation)
	if err != nil {
		return nil, nil, err
	}
	sizes := append(append([]int{data.Dim()}, p.Hidden...), data.Classes())
	net, err := inner.NewInitNet(sizes, act, p.InitRange, seed)
	if err != nil {
		return nil, nil, err
	}
	res, final, err := inner.TrainSynaptic(ctx, net, data, policy, p.synaptic(adaptive, seed), nil)
	if err != nil {
		return nil, nil, fmt.Errorf("task %s seed %d: %w", task, seed, err)
	}
	return res, final, nil
}
