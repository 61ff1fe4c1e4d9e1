package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/meta"
	"github.com/synrl/synrl/policies"
)

func init() {
	register("train", "train one network (synaptic policy or gradient descent) and log the run", cmdTrain)
}

// netFlags are the flags that choose a task and a network.
type netFlags struct {
	task, hidden, activation string
	initRange                float64
	seed                     uint64
}

func (f *netFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.task, "task", "boundary", "task: "+strings.Join(taskNames(), " | "))
	fs.StringVar(&f.hidden, "hidden", "32", "hidden layer sizes, e.g. 32 or 64,32; 0 or empty for none")
	fs.StringVar(&f.activation, "activation", "relu", "hidden activation: relu, tanh or sigmoid")
	fs.Float64Var(&f.initRange, "init-range", 0.1, "initial weights uniform in +-init-range (biases start at 0)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the data split, initial weights, minibatches and exploration")
}

func taskNames() []string {
	return []string{"boundary[:dims=,classes=,hidden=,samples=,seed=]", "mnist[:train=,val=,test=]", "fashion", "idx:DIR", "folder:DIR", "csv:FILE"}
}

// parse checks the network flags; errors name the flag.
func (f *netFlags) parse() (hidden []int, act inner.Activation, err error) {
	if _, err := inner.ParseTask(f.task); err != nil {
		return nil, 0, usagef("--task: %v", err)
	}
	if hidden, err = inner.ParseHidden(f.hidden); err != nil {
		return nil, 0, usagef("--hidden: %v", err)
	}
	if act, err = inner.ParseActivation(f.activation); err != nil {
		return nil, 0, usagef("--activation: %v", err)
	}
	return hidden, act, nil
}

// synFlags are the synaptic trainer's flags.
type synFlags struct {
	cfg     inner.SynapticConfig
	policy  string
	history int
}

func (f *synFlags) register(fs *flag.FlagSet) {
	f.cfg = inner.DefaultSynaptic()
	fs.StringVar(&f.policy, "policy", defaultPolicy(), "policy: a policy FILE or builtin:NAME ("+strings.Join(policies.BuiltinNames(), ", ")+")")
	fs.BoolVar(&f.cfg.Adaptive, "adaptive", false, "update the policy online by Q-learning while training (else it is static)")
	registerSynapticKnobs(fs, &f.cfg, "", "(adaptive) ")
	fs.IntVar(&f.history, "history", 2, "history length H of the policy's states (1-3)")
}

// registerSynapticKnobs registers the synaptic trainer's step, exploration,
// minibatch and Q-learning flags on c, each description prefixed by who
// (and the Q-learning ones by adaptive), so train and compare share them.
func registerSynapticKnobs(fs *flag.FlagSet, c *inner.SynapticConfig, who, adaptive string) {
	fs.Float64Var(&c.Alpha, "alpha", c.Alpha, adaptive+"Q-learning rate; with thousands of synapses per step try 1e-5 (see README)")
	fs.Float64Var(&c.Gamma, "gamma", c.Gamma, adaptive+"Q-learning discount")
	fs.Float64Var(&c.Epsilon, "epsilon", c.Epsilon, who+"weight step of dec and inc")
	fs.Float64Var(&c.BiasMult, "bias-mult", c.BiasMult, who+"bias step as a multiple of --epsilon")
	fs.IntVar(&c.SwitchStep, "switch-step", 0, who+"from this step on use --switch-epsilon (0: never)")
	fs.Float64Var(&c.SwitchEpsilon, "switch-epsilon", 0, who+"weight step after --switch-step")
	fs.Float64Var(&c.Explore, "explore", c.Explore, who+"probability that a synapse takes a random action")
	fs.IntVar(&c.BatchInterval, "batch-interval", c.BatchInterval, who+"steps between minibatch redraws")
}

// defaultPolicy is the policy of train and compare when none is given:
// builtin:wsls. builtin:learned does better on boundary tasks and on MNIST
// 784-10 but diverges on MNIST 784-32-10 (see its meta), so it is not the
// default.
func defaultPolicy() string { return "builtin:wsls" }

const trainHelp = `Train one multi-layer perceptron on one task and log the run (its
configuration, curve and final metrics) to the SQLite database.

With --trainer synaptic (the default) every weight and bias is a synapse
that, at each step, looks at its last H actions and the last H global
rewards and decreases, keeps or increases itself by --epsilon following the
policy's Q table; the reward is +1 when the minibatch loss fell strictly,
-1 otherwise. --adaptive also learns the table by Q-learning as it trains;
--save-policy writes the final table. With --trainer gd the same network is
trained by backpropagation (--optimizer, --lr).

Examples:
  synrl train --task boundary --json
  synrl train --task mnist --hidden 0 --policy builtin:wsls --iters 3000 --epsilon 0.01
  synrl train --task mnist --adaptive --policy builtin:zero --save-policy learned.json
  synrl train --task mnist --trainer gd --optimizer sgd --lr 0.1 --batch 100`

func cmdTrain(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "train [flags]", trainHelp)
	var nf netFlags
	var sf synFlags
	nf.register(fs)
	sf.register(fs)
	gd := inner.DefaultGD()
	trainer := fs.String("trainer", "synaptic", "trainer: synaptic or gd")
	fs.StringVar(&gd.Optimizer, "optimizer", gd.Optimizer, "gd optimizer: sgd, momentum or adam")
	fs.Float64Var(&gd.LR, "lr", gd.LR, "gd learning rate")
	iters := fs.Int("iters", 3000, "training steps")
	batch := fs.Int("batch", 0, "minibatch size (default 1000 for synaptic, 100 for gd)")
	evalEvery := fs.Int("eval-every", 0, "steps between validation points of the curve (0: iters/20)")
	workers := fs.Int("workers", runtime.NumCPU(), "goroutines of the forward pass (results do not depend on it)")
	dbPath := fs.String("db", "synrl.db", "SQLite database file")
	asJSON := fs.Bool("json", false, "print the final metrics as one JSON object on the last stdout line")
	savePolicy := fs.String("save-policy", "", "write the final policy table to this FILE (synaptic)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	hidden, act, err := nf.parse()
	if err != nil {
		return err
	}
	if *workers < 1 {
		return usagef("--workers=%d: must be at least 1", *workers)
	}
	t := meta.Trial{
		Task: nf.task, Hidden: hidden, Activation: act, InitRange: nf.initRange,
		Trainer: *trainer, Seed: nf.seed, Command: commandLine("train", args),
	}
	switch *trainer {
	case meta.TrainerSynaptic:
		if *batch == 0 {
			*batch = 1000
		}
		sf.cfg.Iters, sf.cfg.Batch, sf.cfg.EvalEvery, sf.cfg.Workers = *iters, *batch, *evalEvery, *workers
		if sf.history < policies.MinHistory || sf.history > policies.MaxHistory {
			return usagef("--history=%d: must be %d to %d", sf.history, policies.MinHistory, policies.MaxHistory)
		}
		p, err := policies.Load(sf.policy, sf.history, nf.seed)
		if err != nil {
			return usagef("--policy: %v", err)
		}
		t.Policy, t.PolicyRef, t.Synaptic = p, sf.policy, sf.cfg
	case meta.TrainerGD:
		if *batch == 0 {
			*batch = 100
		}
		gd.Iters, gd.Batch, gd.EvalEvery, gd.Workers = *iters, *batch, *evalEvery, *workers
		if *savePolicy != "" {
			return usagef("--save-policy: only the synaptic trainer has a policy")
		}
		t.GD = gd
	default:
		return usagef("--trainer=%q: want synaptic or gd", *trainer)
	}
	// Validate every flag before touching the database, so bad input leaves
	// no row behind.
	if err := validateTrial(t); err != nil {
		return err
	}
	store, err := openStore(*dbPath)
	if err != nil {
		return err
	}
	defer store.Close()

	bar := newProgress(env, *iters, "train "+nf.task)
	res, err := meta.RunTrial(ctx, store, inner.NewLoader(), t, func(p inner.Progress) {
		bar.set(p.Step, fmt.Sprintf("loss %.4f  val loss %.4f  val acc %.4f", p.BatchLoss, p.ValLoss, p.ValAcc))
	})
	if err != nil {
		bar.stop()
		if res != nil && res.Result != nil && errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.Stderr, "interrupted: run %d closed as interrupted after %d steps\n", res.RunID, res.Iters)
		}
		return err
	}
	bar.finish()
	if *savePolicy != "" && res.Policy != nil {
		p := res.Policy.Clone()
		p.Meta["origin"] = fmt.Sprintf("synrl train run %d", res.RunID)
		p.Meta["notes"] = t.Command
		if err := policies.WriteFile(*savePolicy, p); err != nil {
			return fmt.Errorf("--save-policy: %w", err)
		}
	}
	summary := map[string]any{
		"run_id": res.RunID, "task": nf.task, "shape": res.Shape, "trainer": *trainer,
		"iters": res.Iters, "seconds": res.Seconds, "iters_per_sec": res.ItersPerSec,
		"train_loss": res.TrainLoss, "train_acc": res.TrainAcc, "val_loss": res.ValLoss, "val_acc": res.ValAcc,
		"test_loss": res.TestLoss, "test_acc": res.TestAcc, "initial_val_loss": res.InitialValLoss, "seed": nf.seed,
	}
	if t.Trainer == meta.TrainerSynaptic {
		summary["policy"], summary["adaptive"] = sf.policy, sf.cfg.Adaptive
	}
	if *asJSON {
		b, err := json.Marshal(summary)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	fmt.Fprintf(env.Stdout, "run %d done: %s %s %s, %d steps in %.1fs (%.0f steps/s)\n",
		res.RunID, nf.task, res.Shape, *trainer, res.Iters, res.Seconds, res.ItersPerSec)
	fmt.Fprintf(env.Stdout, "  train loss %.4f acc %.4f | val loss %.4f acc %.4f | test loss %.4f acc %.4f\n",
		res.TrainLoss, res.TrainAcc, res.ValLoss, res.ValAcc, res.TestLoss, res.TestAcc)
	fmt.Fprintf(env.Stdout, "  stored in %s (synrl runs show %d)\n", *dbPath, res.RunID)
	return nil
}

// validateTrial checks the trainer configuration without loading data.
func validateTrial(t meta.Trial) error {
	var err error
	switch t.Trainer {
	case meta.TrainerSynaptic:
		err = t.Synaptic.Validate()
	case meta.TrainerGD:
		err = t.GD.Validate()
	}
	if err != nil {
		return &UsageError{err}
	}
	if t.InitRange < 0 {
		return usagef("--init-range=%v: must be non-negative", t.InitRange)
	}
	return nil
}
