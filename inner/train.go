package inner

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Progress is one point of a learning curve, reported every EvalEvery steps
// (and at step 0, before training).
type Progress struct {
	// Step is the number of training steps done.
	Step int
	// Iters is the run's total step budget.
	Iters int
	// BatchLoss is the loss on the current minibatch after the step.
	BatchLoss float64
	// ValLoss and ValAcc are measured on the whole validation set.
	ValLoss, ValAcc float64
	// RewardRate is the fraction of steps since the previous point whose
	// global reward was +1 (synaptic trainer only).
	RewardRate float64
	// MoveRate is the fraction of synapse actions since the previous point
	// that changed a weight, i.e. were not keep (synaptic trainer only).
	MoveRate float64
}

// Result is the outcome of one training run.
type Result struct {
	// Iters is the number of steps done (less than the budget if interrupted).
	Iters int
	// Seconds is the wall time of the training loop, without final evaluation.
	Seconds float64
	// ItersPerSec is Iters / Seconds.
	ItersPerSec float64
	// Final metrics on the full training, validation and test sets.
	TrainLoss, TrainAcc, ValLoss, ValAcc, TestLoss, TestAcc float64
	// InitialValLoss is the validation loss before the first step.
	InitialValLoss float64
	// Curve holds every reported point, step 0 first.
	Curve []Progress
}

// NewInitNet returns a network of the given sizes with weights uniform in
// [-initRange, initRange] and zero biases, drawn from seed's init stream:
// the same seed gives the same initial network whatever the trainer.
func NewInitNet(sizes []int, act Activation, initRange float64, seed uint64) (*Net, error) {
	n, err := NewNet(sizes, act)
	if err != nil {
		return nil, err
	}
	n.Init(NewRand(seed, streamInit), initRange)
	return n, nil
}

// finish fills the final metrics of r from full passes over every split.
func finish(r *Result, ev *Evaluator, data *Data) {
	r.TrainLoss, r.TrainAcc = ev.Eval(data.Train, nil)
	r.ValLoss, r.ValAcc = ev.Eval(data.Val, nil)
	r.TestLoss, r.TestAcc = ev.Eval(data.Test, nil)
	if r.Seconds > 0 {
		r.ItersPerSec = float64(r.Iters) / r.Seconds
	}
}

// checkShape verifies that net fits data.
func checkShape(net *Net, data *Data) error {
	if net.Sizes[0] != data.Dim() {
		return fmt.Errorf("network input %d does not match the task's %d features", net.Sizes[0], data.Dim())
	}
	if c := net.Sizes[len(net.Sizes)-1]; c != data.Classes() {
		return fmt.Errorf("network output %d does not match the task's %d classes", c, data.Classes())
	}
	return nil
}

// batcher draws minibatches: a random subset of batch training samples
// without replacement, in increasing order (for memory locality).
type batcher struct {
	rng  *rand.Rand
	perm []int32
	rows []int32
}

func newBatcher(n, batch int, rng *rand.Rand) *batcher {
	b := &batcher{rng: rng, perm: make([]int32, n), rows: make([]int32, min(batch, n))}
	for i := range b.perm {
		b.perm[i] = int32(i)
	}
	return b
}

// draw returns a new minibatch (valid until the next draw).
func (b *batcher) draw() []int32 {
	n := len(b.perm)
	for i := range b.rows {
		j := i + b.rng.IntN(n-i)
		b.perm[i], b.perm[j] = b.perm[j], b.perm[i]
	}
	copy(b.rows, b.perm[:len(b.rows)])
	slices.Sort(b.rows)
	return b.rows
}
