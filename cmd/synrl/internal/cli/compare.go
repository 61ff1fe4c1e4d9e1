package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/meta"
	"github.com/synrl/synrl/policies"
)

func init() {
	register("compare", "compare static and adaptive policies and gradient descent over seeds, with statistics", cmdCompare)
}

const compareHelp = `Train one network on one task with several arms (static policies, adaptive
Q-learning, gradient descent), each once per seed, and print per arm the
mean ± standard deviation over seeds of the final validation and test
accuracy and loss, wall time and iterations per second, and the paired
difference of accuracy with a reference arm (this arm minus the reference
on the same seed, mean ± standard error, in accuracy points). Seed s gives
every arm the same data split, initial weights and minibatches. Seeds are
--seed, --seed+1, ..., --seed+S-1. Every run is logged to the database and
linked to a comparison row (see synrl runs; synrl report plots them).

Arms (--arms, comma-separated):
` + "  " + `{{ARMS}}

--preset paper reproduces the paper's experiment on MNIST (784-10 and
784-32-10, ReLU): a static policy (builtin:learned if shipped, else
builtin:wsls), adaptive Q-learning from builtin:zero and SGD (lr 0.1,
batch 100, the same number of steps), gd as the reference. --budget:
{{BUDGETS}}
With --preset only --budget, --seeds, --workers, --db, --name and --json
may be given.

With --json the last stdout line is one JSON object: the comparison's
summary (for --preset, {"preset", "budget", "comparisons": [...]}).

Examples:
  synrl compare --task boundary --arms static:builtin:wsls,adaptive,gd --seeds 3
  synrl compare --task mnist --hidden 0 --arms wsls=static:builtin:wsls,gd:sgd:0.1,gd:adam:0.001 --iters 3000
  synrl compare --preset paper --budget small`

func cmdCompare(ctx context.Context, env *Env, args []string) error {
	budgets := meta.PaperBudgets()
	var bdoc []string
	for _, b := range budgets {
		bdoc = append(bdoc, fmt.Sprintf("  %-7s %s", b.Name, b.Doc))
	}
	help := strings.ReplaceAll(compareHelp, "{{ARMS}}", strings.ReplaceAll(meta.ArmSyntax, "\n", "\n  "))
	help = strings.ReplaceAll(help, "{{BUDGETS}}", strings.Join(bdoc, "\n"))
	fs := newFlagSet(env, "compare [flags]", help)

	var nf netFlags
	nf.register(fs)
	syn := inner.DefaultSynaptic()
	registerSynapticKnobs(fs, &syn, "synaptic arms: ", "adaptive arms: ")
	fs.IntVar(&syn.Batch, "batch", syn.Batch, "synaptic arms: minibatch size")
	history := fs.Int("history", 2, "synaptic arms: history length H of the policies' states (1-3)")
	gd := inner.DefaultGD()
	fs.StringVar(&gd.Optimizer, "optimizer", gd.Optimizer, "gd arms without OPT: sgd, momentum or adam")
	fs.Float64Var(&gd.LR, "lr", gd.LR, "gd arms without LR: learning rate")
	fs.IntVar(&gd.Batch, "gd-batch", gd.Batch, "gd arms: minibatch size (a new one every step)")
	gdIters := fs.Int("gd-iters", 0, "gd arms: steps (0: --iters)")
	iters := fs.Int("iters", 3000, "training steps of every run")
	evalEvery := fs.Int("eval-every", 0, "steps between validation points of the curves (0: iters/20)")
	arms := fs.String("arms", "static:"+defaultPolicy()+",adaptive,gd", "comma-separated arms (see above)")
	seeds := fs.Int("seeds", 3, "number of seeds S (with --preset: the budget's unless given)")
	ref := fs.String("ref", "", "reference arm of the paired differences (default: the first gd arm, else the first arm)")
	workers := fs.Int("workers", runtime.NumCPU(), "runs trained in parallel (each run is single-threaded)")
	dbPath := fs.String("db", "synrl.db", "SQLite database file")
	name := fs.String("name", "", "comparison name in the database (default: from the task and network)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on the last stdout line")
	preset := fs.String("preset", "", "run a preset instead: paper")
	budget := fs.String("budget", "small", "budget of --preset paper: small, medium or full")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *workers < 1 {
		return usagef("--workers=%d: must be at least 1", *workers)
	}
	if set["seeds"] && *seeds < 1 {
		return usagef("--seeds=%d: must be at least 1", *seeds)
	}

	var configs []meta.CompareConfig
	switch *preset {
	case "":
		if set["budget"] {
			return usagef("--budget: only with --preset")
		}
		hidden, act, err := nf.parse()
		if err != nil {
			return err
		}
		armList, err := meta.ParseArms(*arms)
		if err != nil {
			return usagef("--arms: %v", err)
		}
		if *history < policies.MinHistory || *history > policies.MaxHistory {
			return usagef("--history=%d: must be %d to %d", *history, policies.MinHistory, policies.MaxHistory)
		}
		if gd.Batch < 1 {
			return usagef("--gd-batch=%d: must be at least 1", gd.Batch)
		}
		if *gdIters < 0 {
			return usagef("--gd-iters=%d: must be non-negative", *gdIters)
		}
		syn.Iters, syn.EvalEvery = *iters, *evalEvery
		gd.Iters, gd.EvalEvery = *iters, *evalEvery
		if *gdIters > 0 {
			gd.Iters = *gdIters
		}
		seedList := make([]uint64, *seeds)
		for i := range seedList {
			seedList[i] = nf.seed + uint64(i)
		}
		n := *name
		if n == "" {
			n = fmt.Sprintf("%s hidden=%s %s", nf.task, nf.hidden, nf.activation)
		}
		configs = append(configs, meta.CompareConfig{
			Name: n, Task: nf.task, Hidden: hidden, Activation: act, InitRange: nf.initRange,
			History: *history, Arms: armList, Seeds: seedList, Reference: *ref,
			Synaptic: syn, GD: gd,
		})
	case "paper":
		// The flags --preset leaves to the user.
		presetFlags := map[string]bool{"preset": true, "budget": true, "seeds": true, "workers": true, "db": true, "name": true, "json": true}
		var extra []string
		for f := range set {
			if !presetFlags[f] {
				extra = append(extra, "--"+f)
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			return usagef("%s: not with --preset paper (it sets the task, network, arms and budget; see --help)", strings.Join(extra, ", "))
		}
		n := 0
		if set["seeds"] {
			n = *seeds
		}
		var err error
		if configs, err = meta.PaperPreset(*budget, n); err != nil {
			return &UsageError{err}
		}
		if *name != "" {
			for i := range configs {
				configs[i].Name = *name + " " + strings.TrimPrefix(configs[i].Name, "paper ")
			}
		}
	default:
		return usagef("--preset=%q: the only preset is paper", *preset)
	}
	total := 0
	for i := range configs {
		configs[i].Workers = *workers
		configs[i].Command = commandLine("compare", args)
		total += len(configs[i].Arms) * len(configs[i].Seeds)
	}

	store, err := openStore(*dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	loader := inner.NewLoader()
	bar := newProgress(env, total, "comparing")
	base := 0
	var out []*meta.CompareResult
	for i, c := range configs {
		res, err := meta.RunComparison(ctx, store, loader, c, func(e meta.CompareEvent) {
			status := fmt.Sprintf("val acc %.4f", e.Run.ValAcc)
			if e.Err != nil {
				status = string(e.Run.Status)
			}
			bar.set(base+e.Done, fmt.Sprintf("%s: %s seed %d %s", c.Name, e.Run.Arm, e.Run.Seed, status))
		})
		if res != nil {
			if i > 0 || err != nil {
				fmt.Fprintln(env.Stdout)
			}
			if terr := res.WriteTable(env.Stdout); terr != nil {
				return terr
			}
			out = append(out, res)
		}
		if err != nil {
			bar.stop()
			return err
		}
		base += len(c.Arms) * len(c.Seeds)
	}
	bar.finish()
	fmt.Fprintf(env.Stdout, "stored in %s (synrl runs list; synrl report --db %s)\n", *dbPath, *dbPath)
	if *asJSON {
		var v any = out[0]
		if *preset != "" {
			v = map[string]any{"preset": *preset, "budget": *budget, "comparisons": out}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("--json: %w", err)
		}
		fmt.Fprintln(env.Stdout, string(b))
	}
	return nil
}
