package inner

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Optimizers of the gradient-descent baseline.
const (
	OptSGD      = "sgd"
	OptMomentum = "momentum"
	OptAdam     = "adam"
)

// GDConfig holds the knobs of the gradient-descent baseline.
type GDConfig struct {
	// Iters is the number of steps (default 3000).
	Iters int
	// Optimizer is sgd, momentum or adam (default sgd).
	Optimizer string
	// LR is the learning rate (default 0.1).
	LR float64
	// Momentum is the momentum coefficient of the momentum optimizer (0.9).
	Momentum float64
	// Beta1, Beta2 and AdamEps are Adam's constants (0.9, 0.999, 1e-8).
	Beta1, Beta2, AdamEps float64
	// Batch is the minibatch size, a new minibatch every step (default 100;
	// capped at the training set).
	Batch int
	// EvalEvery is the number of steps between validation points
	// (default 0: Iters/20, at least 1).
	EvalEvery int
	// Workers is the number of goroutines of the gradient computation and
	// of evaluation (default 1). Results do not depend on it.
	Workers int
	// Seed seeds the minibatches (the caller seeds the initial weights and
	// the split with it too).
	Seed uint64
}

// DefaultGD returns the defaults of the gradient-descent baseline.
func DefaultGD() GDConfig {
	return GDConfig{Iters: 3000, Optimizer: OptSGD, LR: 0.1, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, AdamEps: 1e-8, Batch: 100, Workers: 1}
}

// Validate reports the first invalid field, named as its command-line flag.
func (c GDConfig) Validate() error {
	bad := func(flag string, v any, want string) error {
		return fmt.Errorf("--%s=%v: %s", flag, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	unit := func(v float64) bool { return finite(v) && v >= 0 && v < 1 }
	switch {
	case c.Iters < 1:
		return bad("iters", c.Iters, "must be at least 1")
	case c.Optimizer != OptSGD && c.Optimizer != OptMomentum && c.Optimizer != OptAdam:
		return bad("optimizer", fmt.Sprintf("%q", c.Optimizer), "want sgd, momentum or adam")
	case !finite(c.LR) || c.LR <= 0:
		return bad("lr", c.LR, "must be a positive number")
	case c.Optimizer == OptMomentum && !unit(c.Momentum):
		return bad("momentum", c.Momentum, "must be in [0, 1)")
	case c.Optimizer == OptAdam && !unit(c.Beta1):
		return bad("beta1", c.Beta1, "must be in [0, 1)")
	case c.Optimizer == OptAdam && !unit(c.Beta2):
		return bad("beta2", c.Beta2, "must be in [0, 1)")
	case c.Optimizer == OptAdam && (!finite(c.AdamEps) || c.AdamEps <= 0):
		return bad("adam-eps", c.AdamEps, "must be a positive number")
	case c.Batch < 1:
		return bad("batch", c.Batch, "must be at least 1")
	case c.EvalEvery < 0:
		return bad("eval-every", c.EvalEvery, "must be non-negative")
	case c.Workers < 0:
		return bad("workers", c.Workers, "must be non-negative")
	}
	return nil
}

// TrainGD trains net on data by minibatch gradient descent on the mean
// softmax cross-entropy: a new minibatch of cfg.Batch training samples every
// step (drawn like the synaptic trainer's), the gradient by backpropagation
// through the same forward pass, and an SGD, momentum or Adam update.
// Validation points are reported to obs (and kept in the result's curve)
// every cfg.EvalEvery steps, at step 0 and at the end, measured by the same
// evaluator as the synaptic trainer.
//
// net is trained in place. When ctx is cancelled the run stops after the
// current step and returns its partial result with an error wrapping
// ctx.Err(). When the loss stops being finite (a learning rate too large)
// the run stops with an error and its partial result.
func TrainGD(ctx context.Context, net *Net, data *Data, cfg GDConfig, obs func(Progress)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkShape(net, data); err != nil {
		return nil, err
	}
	if data.Train.N == 0 {
		return nil, fmt.Errorf("task %s: empty training set", data.Name)
	}
	if cfg.EvalEvery == 0 {
		cfg.EvalEvery = max(1, cfg.Iters/20)
	}
	cfg.Workers = max(1, cfg.Workers)
	ev := NewEvaluator(net, cfg.Workers)
	defer ev.Close()
	bat := newBatcher(data.Train.N, cfg.Batch, NewRand(cfg.Seed, streamBatch))
	tr := newGDTrainer(net, data.Train, len(bat.rows), cfg)
	defer tr.close()

	res := &Result{}
	report := func(step int, rows []int32) {
		p := Progress{Step: step, Iters: cfg.Iters}
		p.BatchLoss, _ = ev.Eval(data.Train, rows)
		p.ValLoss, p.ValAcc = ev.Eval(data.Val, nil)
		res.Curve = append(res.Curve, p)
		if obs != nil {
			obs(p)
		}
	}
	rows := bat.draw()
	report(0, rows)
	res.InitialValLoss = res.Curve[0].ValLoss

	start := time.Now()
	var err error
	step := 0
	for step < cfg.Iters {
		if err = ctx.Err(); err != nil {
			err = fmt.Errorf("interrupted at step %d: %w", step, err)
			break
		}
		if step > 0 {
			rows = bat.draw()
		}
		loss := tr.step(rows)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			err = fmt.Errorf("gradient descent diverged at step %d: minibatch loss %v (try a smaller --lr)", step, loss)
			break
		}
		step++
		if step%cfg.EvalEvery == 0 || step == cfg.Iters {
			report(step, rows)
		}
	}
	res.Iters = step
	res.Seconds = time.Since(start).Seconds()
	finish(res, ev, data)
	return res, err
}

// gdTrainer holds the gradient computation, the optimizer state and the
// worker goroutines of one gradient-descent run.
type gdTrainer struct {
	cfg  GDConfig
	net  *Net
	bp   *backprop
	m, v []float32 // momentum velocity, or Adam's first and second moments
	t    int       // steps done, for Adam's bias correction
	// start[w] hands a phase to worker w (w >= 1; worker 0 is the caller);
	// done collects one signal per worker and phase.
	start []chan int
	done  chan struct{}
}

func newGDTrainer(net *Net, train *Dataset, batch int, cfg GDConfig) *gdTrainer {
	workers := max(1, cfg.Workers)
	t := &gdTrainer{cfg: cfg, net: net, bp: newBackprop(net, train, batch, workers)}
	switch cfg.Optimizer {
	case OptMomentum:
		t.m = make([]float32, len(net.Params))
	case OptAdam:
		t.m = make([]float32, len(net.Params))
		t.v = make([]float32, len(net.Params))
	}
	if workers > 1 {
		t.done = make(chan struct{}, workers)
		t.start = make([]chan int, workers)
		for w := 1; w < workers; w++ {
			t.start[w] = make(chan int)
			go func(w int, jobs <-chan int) {
				for phase := range jobs {
					t.bp.run(phase, w)
					t.done <- struct{}{}
				}
			}(w, t.start[w])
		}
	}
	return t
}

// close stops the worker goroutines.
func (t *gdTrainer) close() {
	for _, c := range t.start[min(1, len(t.start)):] {
		close(c)
	}
}

// parallel runs one phase on every worker and waits for all of them.
func (t *gdTrainer) parallel(phase int) {
	for w := 1; w < len(t.start); w++ {
		t.start[w] <- phase
	}
	t.bp.run(phase, 0)
	for w := 1; w < len(t.start); w++ {
		<-t.done
	}
}

// gradient computes the mean gradient over rows into t.bp.grad and returns
// the mean loss of rows before the update.
func (t *gdTrainer) gradient(rows []int32) float64 {
	t.bp.rows = rows
	t.parallel(phaseRows)
	t.parallel(phaseUnits)
	return t.bp.meanLoss()
}

// step does one optimizer step on the minibatch rows and returns its mean
// loss before the step.
func (t *gdTrainer) step(rows []int32) float64 {
	loss := t.gradient(rows)
	g, p := t.bp.grad, t.net.Params
	g = g[:len(p)]
	lr := float32(t.cfg.LR)
	switch t.cfg.Optimizer {
	case OptSGD:
		for i, gi := range g {
			p[i] -= lr * gi
		}
	case OptMomentum:
		// Classical momentum: v = mu v - lr g; w += v.
		mu := float32(t.cfg.Momentum)
		v := t.m[:len(p)]
		for i, gi := range g {
			v[i] = mu*v[i] - lr*gi
			p[i] += v[i]
		}
	case OptAdam:
		t.t++
		b1, b2 := t.cfg.Beta1, t.cfg.Beta2
		// Bias correction folded into the step size and epsilon:
		// w -= lr * mhat / (sqrt(vhat) + eps) with mhat = m/c1, vhat = v/c2.
		c1 := 1 - math.Pow(b1, float64(t.t))
		c2 := 1 - math.Pow(b2, float64(t.t))
		step := float32(t.cfg.LR / c1)
		sc2 := float32(1 / math.Sqrt(c2))
		eps := float32(t.cfg.AdamEps)
		fb1, fb2 := float32(b1), float32(b2)
		m, v := t.m[:len(p)], t.v[:len(p)]
		for i, gi := range g {
			m[i] = fb1*m[i] + (1-fb1)*gi
			v[i] = fb2*v[i] + (1-fb2)*gi*gi
			p[i] -= step * m[i] / (float32(math.Sqrt(float64(v[i])))*sc2 + eps)
		}
	}
	return loss
}
