package inner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/synrl/synrl/policies"
)

// SynapticConfig holds every knob of the synaptic trainer. Zero values are
// not defaults: start from DefaultSynaptic.
type SynapticConfig struct {
	// Iters is the number of training steps (default 3000).
	Iters int
	// Epsilon is the weight step of dec and inc (default 0.001).
	Epsilon float64
	// BiasMult multiplies Epsilon for bias parameters (default 2).
	BiasMult float64
	// SwitchStep, when positive, is the step from which SwitchEpsilon
	// replaces Epsilon (the reference's epsilon switch; default 0: never).
	SwitchStep int
	// SwitchEpsilon is the step size after SwitchStep.
	SwitchEpsilon float64
	// Explore is the probability that a synapse takes a uniformly random
	// action instead of the greedy one (default 0.1).
	Explore float64
	// Batch is the minibatch size (default 1000; capped at the training set).
	Batch int
	// BatchInterval is how many steps a minibatch is kept (default 500).
	BatchInterval int
	// Adaptive updates the Q table online by Q-learning (default false:
	// the policy is static).
	Adaptive bool
	// Alpha and Gamma are the Q-learning rate and discount (0.01, 0.9).
	Alpha, Gamma float64
	// EvalEvery is the number of steps between validation points
	// (default 0: Iters/20, at least 1).
	EvalEvery int
	// Workers is the number of goroutines of the forward pass (default 1).
	Workers int
	// Seed seeds the minibatches and exploration (the caller seeds the
	// initial weights and the split with it too).
	Seed uint64
	// FullForward recomputes the whole forward pass at every step. By
	// default, on sparse (image) data, the first layer's pre-activations
	// are updated from the weight changes instead (see firstLayerCache):
	// the same algorithm, several times faster, with losses equal to
	// float32 rounding.
	FullForward bool
}

// DefaultSynaptic returns the reference defaults of DESIGN.md.
func DefaultSynaptic() SynapticConfig {
	return SynapticConfig{
		Iters: 3000, Epsilon: 0.001, BiasMult: 2, Explore: 0.1,
		Batch: 1000, BatchInterval: 500, Alpha: 0.01, Gamma: 0.9, Workers: 1,
	}
}

// Validate reports the first invalid field, named as its command-line flag.
func (c SynapticConfig) Validate() error {
	bad := func(flag string, v any, want string) error {
		return fmt.Errorf("--%s=%v: %s", flag, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Iters < 1:
		return bad("iters", c.Iters, "must be at least 1")
	case !finite(c.Epsilon) || c.Epsilon <= 0:
		return bad("epsilon", c.Epsilon, "must be a positive number")
	case !finite(c.BiasMult) || c.BiasMult < 0:
		return bad("bias-mult", c.BiasMult, "must be a non-negative number")
	case c.SwitchStep < 0:
		return bad("switch-step", c.SwitchStep, "must be non-negative")
	case c.SwitchStep > 0 && (!finite(c.SwitchEpsilon) || c.SwitchEpsilon <= 0):
		return bad("switch-epsilon", c.SwitchEpsilon, "must be a positive number")
	case !finite(c.Explore) || c.Explore < 0 || c.Explore > 1:
		return bad("explore", c.Explore, "must be in [0, 1]")
	case c.Batch < 1:
		return bad("batch", c.Batch, "must be at least 1")
	case c.BatchInterval < 1:
		return bad("batch-interval", c.BatchInterval, "must be at least 1")
	case !finite(c.Alpha) || c.Alpha < 0 || c.Alpha > 1:
		return bad("alpha", c.Alpha, "must be in [0, 1]")
	case !finite(c.Gamma) || c.Gamma < 0 || c.Gamma > 1:
		return bad("gamma", c.Gamma, "must be in [0, 1]")
	case c.EvalEvery < 0:
		return bad("eval-every", c.EvalEvery, "must be non-negative")
	}
	return nil
}

// TrainSynaptic trains net on data with the synaptic policy: at every step
// each parameter (synapse) chooses dec, keep or inc from the shared table
// given its last H actions and the last H global rewards, the minibatch loss
// is measured, and the reward is +1 if it fell strictly below the previous
// step's loss on the same minibatch, else -1. With cfg.Adaptive the table
// learns by Q-learning as it goes.
//
// net is trained in place. The returned table is the policy at the end: a
// learned copy when adaptive, policy itself when static. When ctx is
// cancelled the run stops after the current step and returns its partial
// result with an error wrapping ctx.Err().
func TrainSynaptic(ctx context.Context, net *Net, data *Data, policy *policies.Table, cfg SynapticConfig, obs func(Progress)) (*Result, *policies.Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkShape(net, data); err != nil {
		return nil, nil, err
	}
	if policy == nil {
		return nil, nil, errors.New("no policy")
	}
	if err := policy.Validate(); err != nil {
		return nil, nil, fmt.Errorf("policy %s: %w", policy.Name, err)
	}
	if cfg.Adaptive {
		policy = policy.Clone()
	}
	if cfg.EvalEvery == 0 {
		cfg.EvalEvery = max(1, cfg.Iters/20)
	}
	st := newSynState(net, policy, cfg)
	ev := NewEvaluator(net, cfg.Workers)
	defer ev.Close()
	bat := newBatcher(data.Train.N, cfg.Batch, NewRand(cfg.Seed, streamBatch))

	res := &Result{}
	report := func(step int, batchLoss float64, rewards, moves, actions int) {
		p := Progress{Step: step, Iters: cfg.Iters, BatchLoss: batchLoss}
		p.ValLoss, p.ValAcc = ev.Eval(data.Val, nil)
		if step > 0 {
			p.RewardRate = float64(rewards) / float64(max(1, step-lastStep(res)))
			p.MoveRate = float64(moves) / float64(max(1, actions))
		}
		res.Curve = append(res.Curve, p)
		if obs != nil {
			obs(p)
		}
	}

	var cache *firstLayerCache
	if !cfg.FullForward && data.Train.Sparse() {
		cache = newFirstLayerCache(net, data.Train, cfg.Batch, cfg.Workers)
		defer cache.close()
	}
	var rows []int32
	draw := func() {
		rows = bat.draw()
		if cache != nil {
			cache.reset(rows)
		}
	}
	batchLoss := func() float64 {
		if cache != nil {
			return cache.batchLoss()
		}
		l, _ := ev.Eval(data.Train, rows)
		return l
	}
	draw()
	prevLoss := batchLoss()
	report(0, prevLoss, 0, 0, 0)
	res.InitialValLoss = res.Curve[0].ValLoss

	start := time.Now()
	rewards, moves, actions := 0, 0, 0
	var err error
	step := 0
	for step < cfg.Iters {
		if err = ctx.Err(); err != nil {
			err = fmt.Errorf("interrupted at step %d: %w", step, err)
			break
		}
		if step > 0 && step%cfg.BatchInterval == 0 {
			// A new minibatch: the previous loss is measured again on it so
			// the reward compares like with like (the reference compares
			// across batches; see DESIGN.md).
			draw()
			prevLoss = batchLoss()
		}
		eps := cfg.Epsilon
		if cfg.SwitchStep > 0 && step >= cfg.SwitchStep {
			eps = cfg.SwitchEpsilon
		}
		st.act(float32(eps), float32(eps*cfg.BiasMult))
		if cache != nil {
			cache.update(st.hist, &st.actOf, float32(eps), float32(eps*cfg.BiasMult), st.pairs())
		}
		loss := batchLoss()
		if math.IsNaN(loss) {
			err = fmt.Errorf("loss is NaN at step %d: the weights diverged (try a smaller --epsilon)", step+1)
			break
		}
		reward := policies.Penalised
		if loss < prevLoss {
			reward = policies.Rewarded
			rewards++
		}
		moves += st.moves()
		actions += len(net.Params)
		st.learn(reward)
		prevLoss = loss
		step++
		if step%cfg.EvalEvery == 0 || step == cfg.Iters {
			report(step, loss, rewards, moves, actions)
			rewards, moves, actions = 0, 0, 0
		}
	}
	res.Iters = step
	res.Seconds = time.Since(start).Seconds()
	finish(res, ev, data)
	return res, policy, err
}

func lastStep(r *Result) int {
	if len(r.Curve) == 0 {
		return 0
	}
	return r.Curve[len(r.Curve)-1].Step
}

// synState is the per-synapse state of the synaptic trainer and the shared
// policy. A synapse's state index is actionPart*3^H + rewardPart; the
// reward part is global, so per synapse only the action part is kept, in
// one byte.
type synState struct {
	net    *Net
	q      *policies.Table
	cfg    SynapticConfig
	h      int     // history length H
	na     int     // 3^H: number of action parts
	top    int     // 3^(H-1): weight of the most recent digit
	hist   []uint8 // action part of every parameter
	biases []int32 // indices of the bias parameters
	rHist  int     // reward part, shared by all synapses
	next   []uint8 // next[h*3+a]: action part after taking a from h
	rng    fastRand
	skip   int // greedy synapses left before the next exploring one
	// The exploring synapses of the current step: index, action part and
	// weight before the step.
	expPos []int32
	expOld []uint8
	expW   []float32
	gaps   *gapSampler
	// Greedy action, weight change and next action part per action part,
	// for the current reward part. Indexed by a byte, so the hot loop needs
	// no bounds checks.
	gAct   [256]uint8
	gDelta [256]float32
	gNext  [256]uint8
	// actOf[a] is the most recent action of action part a.
	actOf [256]uint8
	// histN[a] counts the synapses whose action part is a before the step;
	// it is advanced in closed form from the step's (a, action) counts, so
	// the hot loop counts nothing.
	histN    []int
	exploreN []int32   // synapses that explored, per (action part, action)
	target   []float64 // scratch for Q targets
	newHist  []int     // scratch for the next histN
}

func newSynState(net *Net, q *policies.Table, cfg SynapticConfig) *synState {
	h := q.History
	na := policies.Pow3(h)
	s := &synState{
		net: net, q: q, cfg: cfg, h: h, na: na, top: na / 3,
		hist:     make([]uint8, len(net.Params)),
		next:     make([]uint8, na*3),
		histN:    make([]int, na),
		exploreN: make([]int32, na*3),
		target:   make([]float64, na*3),
		newHist:  make([]int, na),
		rng:      fastRand{s: SubSeed(cfg.Seed, streamExplore)},
	}
	// Actions start as keep and rewards as none: every digit is 1.
	start := (na - 1) / 2
	for i := range s.hist {
		s.hist[i] = uint8(start)
	}
	s.rHist = start
	s.histN[start] = len(s.hist)
	for a := range na {
		for act := range 3 {
			s.next[a*3+act] = uint8(act*s.top + a/3)
		}
	}
	for a := range na {
		s.actOf[a] = uint8(a / s.top)
	}
	for i := range net.Params {
		if net.IsBias(i) {
			s.biases = append(s.biases, int32(i))
		}
	}
	s.gaps = newGapSampler(SubSeed(cfg.Seed, streamExploreGaps), cfg.Explore)
	s.skip = s.gaps.next()
	return s
}

// act lets every synapse choose and apply an action.
func (s *synState) act(eps, biasEps float32) {
	q := s.q.Q
	for a := range s.na {
		st := a*s.na + s.rHist
		g := policies.Argmax3(q[st*3], q[st*3+1], q[st*3+2])
		s.gAct[a] = uint8(g)
		s.gDelta[a] = float32(g-1) * eps
		s.gNext[a] = s.next[a*3+g]
	}
	clear(s.exploreN)
	p, hist := s.net.Params, s.hist
	hist = hist[:len(p)]
	// The synapses that explore this step, from the geometric gaps, with
	// their action part and weight before the step.
	s.expPos, s.expOld, s.expW = s.expPos[:0], s.expOld[:0], s.expW[:0]
	pos, rem := 0, s.skip
	for rem < len(p)-pos {
		pos += rem
		s.expPos = append(s.expPos, int32(pos))
		s.expOld = append(s.expOld, hist[pos])
		s.expW = append(s.expW, p[pos])
		pos++
		rem = s.gaps.next()
	}
	s.skip = rem - (len(p) - pos)
	// Every synapse acts greedily in one tight loop...
	gDelta, gNext := &s.gDelta, &s.gNext
	for i, a := range hist {
		p[i] += gDelta[a]
		hist[i] = gNext[a]
	}
	// ...and the exploring ones are then set to a uniform action (the
	// greedy one included) from their saved state.
	for j, i := range s.expPos {
		act := s.rng.action()
		a := s.expOld[j]
		p[i] = s.expW[j] + float32(int(act)-1)*eps
		hist[i] = s.next[int(a)*3+int(act)]
		s.exploreN[int(a)*3+int(act)]++
	}
	// Biases moved by eps above; bring them to biasEps. The action just taken
	// is the most significant digit of the new action part.
	if extra := biasEps - eps; extra != 0 {
		for _, i := range s.biases {
			act := int(hist[i]) / s.top
			p[i] += float32(act-1) * extra
		}
	}
}

// moves returns how many synapses changed their weight in the last act.
func (s *synState) moves() int {
	n := 0
	for a := range s.na {
		n += s.count(a, policies.Dec) + s.count(a, policies.Inc)
	}
	return n
}

// pairs counts, over all synapses, the (previous action, action) pairs of
// the last act. Valid between act and learn.
func (s *synState) pairs() [3][3]int {
	var p [3][3]int
	for a := range s.na {
		prev := s.actOf[a]
		for act := range 3 {
			p[prev][act] += s.count(a, act)
		}
	}
	return p
}

// advance moves histN to the action parts after the last act.
func (s *synState) advance() {
	clear(s.newHist)
	for a := range s.na {
		for act := range 3 {
			s.newHist[s.next[a*3+act]] += s.count(a, act)
		}
	}
	s.histN, s.newHist = s.newHist, s.histN
}

// learn pushes the step's reward into the shared history and, when
// adaptive, applies the Q-learning update of every synapse's transition.
//
// All synapses that took action act from action part a share the state
// s = a*3^H + rOld and the next state s' = next(a, act)*3^H + rNew, so their
// n identical updates Q <- Q + alpha*(T - Q), T = R + gamma*max Q[s'], are
// applied at once in closed form: Q <- T + (1-alpha)^n (Q - T). Targets are
// computed from the table as it was before this step's updates.
func (s *synState) learn(reward int) {
	rOld := s.rHist
	rNew := reward*s.top + rOld/3
	s.rHist = rNew
	if !s.cfg.Adaptive {
		s.advance()
		return
	}
	r := -1.0
	if reward == policies.Rewarded {
		r = 1
	}
	q := s.q.Q
	alpha, gamma := s.cfg.Alpha, s.cfg.Gamma
	for a := range s.na {
		for act := range 3 {
			n := s.count(a, act)
			if n == 0 {
				continue
			}
			sp := int(s.next[a*3+act])*s.na + rNew
			s.target[a*3+act] = r + gamma*max(q[sp*3], q[sp*3+1], q[sp*3+2])
		}
	}
	for a := range s.na {
		for act := range 3 {
			n := s.count(a, act)
			if n == 0 {
				continue
			}
			i := (a*s.na+rOld)*3 + act
			t := s.target[a*3+act]
			q[i] = t + math.Pow(1-alpha, float64(n))*(q[i]-t)
		}
	}
	s.advance()
}

// count returns how many synapses took action act from action part a in the
// last act: those that explored into act, plus, for the greedy action, all
// the others.
func (s *synState) count(a, act int) int {
	n := int(s.exploreN[a*3+act])
	if int(s.gAct[a]) == act {
		n += s.histN[a] - int(s.exploreN[a*3]+s.exploreN[a*3+1]+s.exploreN[a*3+2])
	}
	return n
}
