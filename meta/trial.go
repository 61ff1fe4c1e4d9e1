package meta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// Version is the program version written with every run and search.
const Version = "0.1.0"

// InputError marks an error caused by the user's input (a task, a policy,
// a flag value) found before a run starts; the command line maps it to exit
// status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Trial is one training run of one network on one task, logged as a run.
type Trial struct {
	// Task is the task specification (see inner.ParseTask).
	Task string
	// Hidden are the hidden layer sizes (empty for none).
	Hidden []int
	// Activation is the hidden activation.
	Activation inner.Activation
	// InitRange bounds the initial weights (uniform in +-InitRange).
	InitRange float64
	// Trainer is "synaptic" or "gd".
	Trainer string
	// Policy is the synaptic policy (nil for gd); PolicyRef names it as the
	// user gave it (a file or builtin:NAME).
	Policy    *policies.Table
	PolicyRef string
	// Synaptic and GD configure the trainers; only the one named by Trainer
	// is used. Their Seed fields are overwritten with Seed.
	Synaptic inner.SynapticConfig
	GD       inner.GDConfig
	// Seed seeds the split, the initial weights, the minibatches and
	// exploration.
	Seed uint64
	// Command is the command line, for provenance.
	Command string
}

// Trainer names.
const (
	TrainerSynaptic = "synaptic"
	TrainerGD       = "gd"
)

// TrialResult is the outcome of a logged trial.
type TrialResult struct {
	// RunID is the run's row in the store.
	RunID int64
	// Result holds the metrics and curve.
	*inner.Result
	// Shape is the network shape, e.g. "784-32-10".
	Shape string
	// Policy is the policy at the end (the learned table when adaptive).
	Policy *policies.Table
}

// Params returns every hyperparameter of the trial, as stored with the run.
func (t Trial) Params() map[string]any {
	p := map[string]any{"init_range": t.InitRange, "hidden": t.Hidden, "activation": t.Activation.String(), "seed": t.Seed}
	switch t.Trainer {
	case TrainerSynaptic:
		c := t.Synaptic
		p["iters"], p["epsilon"], p["bias_mult"], p["explore"] = c.Iters, c.Epsilon, c.BiasMult, c.Explore
		p["batch"], p["batch_interval"], p["adaptive"] = c.Batch, c.BatchInterval, c.Adaptive
		p["alpha"], p["gamma"], p["eval_every"] = c.Alpha, c.Gamma, c.EvalEvery
		p["switch_step"], p["switch_epsilon"] = c.SwitchStep, c.SwitchEpsilon
		if t.Policy != nil {
			p["history"] = t.Policy.History
		}
	case TrainerGD:
		c := t.GD
		p["iters"], p["optimizer"], p["lr"], p["batch"], p["eval_every"] = c.Iters, c.Optimizer, c.LR, c.Batch, c.EvalEvery
		p["momentum"], p["beta1"], p["beta2"] = c.Momentum, c.Beta1, c.Beta2
	}
	return p
}

// Prepare checks the trial and loads its data and initial network. Every
// error it returns is an *InputError.
func (t Trial) Prepare(loader *inner.Loader) (*inner.Data, *inner.Net, error) {
	bad := func(err error) (*inner.Data, *inner.Net, error) { return nil, nil, &InputError{err} }
	switch t.Trainer {
	case TrainerSynaptic:
		if t.Policy == nil {
			return bad(errors.New("synaptic trainer needs a policy"))
		}
		if err := t.Synaptic.Validate(); err != nil {
			return bad(err)
		}
	case TrainerGD:
		if err := t.GD.Validate(); err != nil {
			return bad(err)
		}
	default:
		return bad(fmt.Errorf("--trainer=%q: want synaptic or gd", t.Trainer))
	}
	if t.InitRange < 0 {
		return bad(fmt.Errorf("--init-range=%v: must be non-negative", t.InitRange))
	}
	spec, err := inner.ParseTask(t.Task)
	if err != nil {
		return bad(err)
	}
	data, err := loader.Load(spec, t.Seed)
	if err != nil {
		return bad(err)
	}
	sizes := append(append([]int{data.Dim()}, t.Hidden...), data.Classes())
	net, err := inner.NewInitNet(sizes, t.Activation, t.InitRange, t.Seed)
	if err != nil {
		return bad(err)
	}
	return data, net, nil
}

// RunTrial prepares, runs and logs one trial: the run's row is written when
// it starts, its curve as it goes, and it is closed as done, failed or
// interrupted. Input errors (an *InputError) leave no row behind.
func RunTrial(ctx context.Context, store *results.Store, loader *inner.Loader, t Trial, obs func(inner.Progress)) (*TrialResult, error) {
	data, net, err := t.Prepare(loader)
	if err != nil {
		return nil, err
	}
	spec := results.RunSpec{
		Task: data.Name, Shape: net.Shape(), Activation: t.Activation.String(), Trainer: t.Trainer,
		Seed: int64(t.Seed), Params: t.Params(), Version: Version, Command: t.Command,
	}
	if t.Trainer == TrainerSynaptic {
		spec.Policy, spec.Adaptive = t.PolicyRef, t.Synaptic.Adaptive
		if spec.Policy == "" {
			spec.Policy = t.Policy.Name
		}
		if spec.PolicyJSON, err = policies.Marshal(t.Policy); err != nil {
			return nil, &InputError{fmt.Errorf("policy %s: %w", spec.Policy, err)}
		}
	}
	runID, err := store.StartRun(ctx, spec)
	if err != nil {
		return nil, err
	}
	// Curve points are written as they come; a write error stops nothing
	// but is reported when the run closes.
	var curveErr error
	record := func(p inner.Progress) {
		pts := []results.Point{
			{Step: p.Step, Metric: "batch_loss", Value: p.BatchLoss},
			{Step: p.Step, Metric: "val_loss", Value: p.ValLoss},
			{Step: p.Step, Metric: "val_acc", Value: p.ValAcc},
		}
		if t.Trainer == TrainerSynaptic && p.Step > 0 {
			pts = append(pts, results.Point{Step: p.Step, Metric: "reward_rate", Value: p.RewardRate},
				results.Point{Step: p.Step, Metric: "move_rate", Value: p.MoveRate})
		}
		if err := store.AppendCurve(context.WithoutCancel(ctx), runID, pts); err != nil && curveErr == nil {
			curveErr = err
		}
		if obs != nil {
			obs(p)
		}
	}
	out := &TrialResult{RunID: runID, Shape: net.Shape()}
	var res *inner.Result
	switch t.Trainer {
	case TrainerSynaptic:
		cfg := t.Synaptic
		cfg.Seed = t.Seed
		res, out.Policy, err = inner.TrainSynaptic(ctx, net, data, t.Policy, cfg, record)
	case TrainerGD:
		cfg := t.GD
		cfg.Seed = t.Seed
		res, err = inner.TrainGD(ctx, net, data, cfg, record)
	}
	out.Result = res
	if err == nil && curveErr != nil {
		err = fmt.Errorf("run %d: writing curve: %w", runID, curveErr)
	}
	status := results.StatusDone
	errMsg := ""
	switch {
	case err != nil && ctx.Err() != nil:
		status, errMsg = results.StatusInterrupted, err.Error()
	case err != nil:
		status, errMsg = results.StatusFailed, err.Error()
	}
	var m results.Metrics
	if res != nil {
		m = results.Metrics{
			Iters: res.Iters, Seconds: res.Seconds, ItersPerSec: res.ItersPerSec,
			TrainLoss: res.TrainLoss, TrainAcc: res.TrainAcc, ValLoss: res.ValLoss, ValAcc: res.ValAcc,
			TestLoss: res.TestLoss, TestAcc: res.TestAcc,
		}
	}
	var finalJSON []byte
	if out.Policy != nil {
		finalJSON, _ = policies.Marshal(out.Policy)
	}
	// The run is closed even when ctx is cancelled: a bounded background
	// context makes sure the row never stays "running".
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if ferr := store.FinishRun(closeCtx, runID, status, m, errMsg, finalJSON); ferr != nil {
		return out, errors.Join(err, fmt.Errorf("run %d: closing: %w", runID, ferr))
	}
	if err != nil {
		return out, fmt.Errorf("run %d: %w", runID, err)
	}
	return out, nil
}
