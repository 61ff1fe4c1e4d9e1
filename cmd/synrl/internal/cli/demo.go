package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func init() {
	register("demo", "the main job on built-in defaults: search, compare, report", cmdDemo)
}

const demoHelp = `Run synrl's main job end to end on built-in defaults, with no downloads:

  1. search: evolve a policy table (eaopt GA) on synthetic decision-boundary
     tasks, and evaluate the best one on held-out tasks;
  2. compare: the found policy and builtin:learned and builtin:wsls
     (static) vs adaptive Q-learning (from builtin:zero) vs gradient descent, over several seeds, on a boundary
     task (2-32-2) and on MNIST (784-10; synrl compare --preset paper runs
     both of the paper's networks);
  3. report: figures and an HTML page from the database.

Everything goes to --dir (database, policy, report). Rerunning resumes the
search by name, so a second run is quicker. --budget small takes a few
minutes on 2 cores; tiny is for tests.`

// demoBudget sizes the demo's three stages.
type demoBudget struct {
	generations, population, searchIters, searchTasks int
	boundaryIters, boundarySeeds                      int
	mnist                                             string
	mnistIters, mnistSeeds                            int
}

var demoBudgets = map[string]demoBudget{
	"tiny":  {2, 4, 150, 2, 300, 2, "mnist:train=1000,val=300,test=300", 200, 2},
	"small": {8, 12, 400, 3, 3000, 3, "mnist:train=20000,val=5000,test=10000", 3000, 3},
}

func cmdDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "demo [flags]", demoHelp)
	dir := fs.String("dir", "synrl-demo", "output folder: synrl.db, found.policy.json, report/")
	budgetName := fs.String("budget", "small", "small or tiny")
	workers := fs.Int("workers", 0, "goroutines (0: the number of CPUs)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	b, ok := demoBudgets[*budgetName]
	if !ok {
		return usagef("--budget=%q: want small or tiny", *budgetName)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return usagef("--dir: %v", err)
	}
	db := filepath.Join(*dir, "synrl.db")
	policy := filepath.Join(*dir, "found.policy.json")
	report := filepath.Join(*dir, "report")
	w := []string{}
	if *workers > 0 {
		w = []string{"--workers", strconv.Itoa(*workers)}
	}
	itoa := strconv.Itoa
	start := time.Now()
	stage := func(n int, what string) {
		fmt.Fprintf(env.Stdout, "\n== %d/3 %s (%s elapsed)\n", n, what, time.Since(start).Round(time.Second))
	}

	stage(1, "search: evolve a policy on boundary tasks")
	err := cmdSearch(ctx, env, append([]string{
		"--name", "demo-ga-" + *budgetName, "--method", "ga", "--db", db, "--out", policy,
		"--generations", itoa(b.generations), "--population", itoa(b.population),
		"--iters", itoa(b.searchIters), "--tasks", itoa(b.searchTasks), "--seeds", "1",
	}, w...))
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}

	arms := "static:" + policy + ",static:builtin:learned,static:builtin:wsls,adaptive:builtin:zero,gd:sgd:0.1"
	stage(2, "compare on a boundary task: found policy vs builtin:learned vs wsls vs adaptive vs gradient descent")
	err = cmdCompare(ctx, env, append([]string{
		"--name", "demo-boundary", "--task", "boundary", "--hidden", "32", "--arms", arms,
		"--seeds", itoa(b.boundarySeeds), "--iters", itoa(b.boundaryIters), "--db", db,
	}, w...))
	if err != nil {
		return fmt.Errorf("compare boundary: %w", err)
	}
	fmt.Fprintf(env.Stdout, "\n   ... and on MNIST (%s), 784-10\n", b.mnist)
	err = cmdCompare(ctx, env, append([]string{
		"--name", "demo-mnist", "--task", b.mnist, "--hidden", "0", "--arms", arms,
		"--seeds", itoa(b.mnistSeeds), "--iters", itoa(b.mnistIters), "--epsilon", "0.01", "--db", db,
		// Each adaptive step applies one Q update per synapse, 7,850 on
		// 784-10: the reference's alpha 0.01 then overwrites the table
		// every step, and adaptive training does not learn (see README).
		"--alpha", "0.00001",
	}, w...))
	if err != nil {
		return fmt.Errorf("compare mnist: %w", err)
	}

	stage(3, "report")
	if err := cmdReport(ctx, env, []string{"--db", db, "--out", report}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	abs, _ := filepath.Abs(filepath.Join(report, "index.html"))
	fmt.Fprintf(env.Stdout, "\ndemo done in %s. Open the report: %s\n", time.Since(start).Round(time.Second), abs)
	return nil
}
