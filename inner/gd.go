package inner

import (
	"context"
	"errors"
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
	// Batch is the minibatch size, a new minibatch every step (default 100).
	Batch int
	// EvalEvery is the number of steps between validation points
	// (default 0: Iters/20, at least 1).
	EvalEvery int
	// Workers is the number of goroutines of the forward pass (default 1).
	Workers int
	// Seed seeds the minibatches.
	Seed uint64
}

// DefaultGD returns the defaults of the gradient-descent baseline.
func DefaultGD() GDConfig {
	return GDConfig{Iters: 3000, Optimizer: "sgd", LR: 0.1, Momentum: 0.9, Beta1: 0.9, Beta2: 0.999, AdamEps: 1e-8, Batch: 100, Workers: 1}
}

// Validate reports the first invalid field, named as its command-line flag.
func (c GDConfig) Validate() error { return errors.New("gradient descent: not implemented yet") }

// TrainGD trains net on data by backpropagation (not implemented yet).
func TrainGD(ctx context.Context, net *Net, data *Data, cfg GDConfig, obs func(Progress)) (*Result, error) {
	return nil, errors.New("gradient descent: not implemented yet")
}
