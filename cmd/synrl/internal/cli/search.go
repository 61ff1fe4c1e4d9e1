package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/meta"
	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

func init() {
	register("search", "search for a synaptic policy (qlearn, ga, cmaes, random); resumable by name", cmdSearch)
}

const searchHelp = `Search for the policy table every synapse shares, over a distribution of
tasks, and write the best one to --out. Methods:

  qlearn  the paper's method: adaptive Q-learning episodes on sampled tasks,
          --population of them in parallel per generation, their tables
          averaged and carried on; the final table, frozen, is the result
  ga      genetic algorithm (eaopt) over the greedy action of every state
          (--genome greedy) or the real-valued Q table (--genome q), with
          elitism, tournament selection, uniform crossover and mutation
  cmaes   CMA-ES (gonum/optimize) over the real-valued Q table
  random  random tables: the baseline every method must beat

A candidate's fitness is the mean, over --tasks tasks x --seeds seeds drawn
once for the whole search (the same for every candidate), of the score
1 - final validation loss / initial validation loss (clipped to [-1, 1];
divergence scores -1). After the search, the best policy and the builtins
wsls, sticky, zero and random are evaluated on held-out tasks and seeds the
search never saw.

Every generation and candidate is stored in --db under --name. Rerunning
the same command resumes the search where it stopped (Ctrl-C or kill loses
at most the generation in progress) and ends with the result an
uninterrupted run would have had; a different configuration under the same
name is refused. Evaluations are cached by policy hash, so a table seen
before is not trained again.

--config FILE reads flag values from a JSON object keyed by flag name
(e.g. {"method": "ga", "generations": 30}); flags on the command line win.

Subcommands:
  synrl search list [--db PATH] [--json]
  synrl search show [--db PATH] [--json] NAME

Examples:
  synrl search --name demo
  synrl search --name ga1 --method ga --generations 30 --population 16 --tasks 4
  synrl search --name big --method cmaes --task boundary:dims=2-8,classes=2-4 --iters 1000
  synrl search --name mn --method ga --task mnist:train=2000,val=500,test=500 --hidden 0`

// methodFlags lists the method-specific flags and the methods they apply to.
var methodFlags = map[string][]string{
	"genome": {"ga"}, "elite": {"ga"}, "tournament": {"ga"}, "crossover": {"ga"}, "mutation": {"ga"},
	"sigma": {"ga", "cmaes"}, "range": {"random"}, "init": {"qlearn"},
}

// searchOptions are the parsed flags of synrl search.
type searchOptions struct {
	name, method, out, dbPath string
	problem                   meta.Problem
	settings                  meta.SearchSettings
	ga                        meta.GA
	cma                       meta.CMAES
	random                    meta.Random
	qlearn                    meta.QLearn
	asJSON                    bool
	command                   string
}

func cmdSearch(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return cmdSearchList(ctx, env, args[1:])
		case "show":
			return cmdSearchShow(ctx, env, args[1:])
		}
	}
	o, err := parseSearchFlags(env, args)
	if err != nil {
		return err
	}
	return runSearch(ctx, env, o)
}

func parseSearchFlags(env *Env, args []string) (*searchOptions, error) {
	fs := newFlagSet(env, "search --name NAME [flags] | search list | search show NAME", searchHelp)
	o := &searchOptions{
		problem: meta.DefaultProblem(), settings: meta.DefaultSearchSettings(),
		ga: meta.DefaultGA(), cma: meta.DefaultCMAES(), random: meta.Random{Range: 1}, qlearn: meta.DefaultQLearn(),
		command: commandLine("search", args),
	}
	p, s := &o.problem, &o.settings
	fs.StringVar(&o.name, "name", "", "name of the search (required): rerunning with the same name resumes it")
	fs.StringVar(&o.method, "method", "qlearn", "search method: qlearn, ga, cmaes or random")
	fs.StringVar(&o.out, "out", "", "write the best policy to this FILE (default NAME.policy.json)")
	fs.StringVar(&o.dbPath, "db", "synrl.db", "SQLite database file")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as one JSON object on the last stdout line")
	configFile := fs.String("config", "", "read flag values from this JSON FILE (flags given on the command line win)")
	// The problem.
	fs.StringVar(&p.Tasks, "task", p.Tasks, "task distribution: boundary[:dims=A-B,classes=A-B,hidden=A-B,samples=N], mnist:..., fashion:..., idx:DIR, folder:DIR, csv:FILE, joined by + for a mix")
	hidden := fs.String("hidden", "16", "hidden layer sizes of the trained networks, e.g. 16 or 32,16; 0 for none")
	fs.StringVar(&p.Activation, "activation", p.Activation, "hidden activation: relu, tanh or sigmoid")
	fs.Float64Var(&p.InitRange, "init-range", p.InitRange, "initial weights uniform in +-init-range")
	fs.IntVar(&p.History, "history", p.History, "history length H of the policy's states (1-3)")
	fs.IntVar(&p.Iters, "iters", p.Iters, "training steps of every run")
	fs.IntVar(&p.Batch, "batch", p.Batch, "minibatch size")
	fs.IntVar(&p.BatchInterval, "batch-interval", p.BatchInterval, "steps between minibatch redraws")
	fs.Float64Var(&p.Epsilon, "epsilon", p.Epsilon, "weight step of dec and inc")
	fs.Float64Var(&p.BiasMult, "bias-mult", p.BiasMult, "bias step as a multiple of --epsilon")
	fs.Float64Var(&p.Explore, "explore", p.Explore, "probability that a synapse takes a random action")
	fs.BoolVar(&p.Adaptive, "adaptive", p.Adaptive, "evaluate candidates as the start of adaptive Q-learning instead of static policies")
	fs.Float64Var(&p.Alpha, "alpha", p.Alpha, "Q-learning rate (qlearn episodes, --adaptive)")
	fs.Float64Var(&p.Gamma, "gamma", p.Gamma, "Q-learning discount (qlearn episodes, --adaptive)")
	fs.IntVar(&p.EvalTasks, "tasks", p.EvalTasks, "K: tasks per evaluation")
	fs.IntVar(&p.EvalSeeds, "seeds", p.EvalSeeds, "S: run seeds per task")
	// The budget.
	fs.IntVar(&s.Generations, "generations", s.Generations, "generations")
	fs.IntVar(&s.Population, "population", s.Population, "candidates per generation (qlearn: parallel episodes)")
	fs.IntVar(&s.Workers, "workers", runtime.NumCPU(), "evaluations run at once (results do not depend on it)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed of the method and of the search's tasks")
	fs.IntVar(&s.HeldOut.Tasks, "heldout-tasks", s.HeldOut.Tasks, "held-out tasks (0: no held-out evaluation)")
	fs.IntVar(&s.HeldOut.Seeds, "heldout-seeds", s.HeldOut.Seeds, "held-out run seeds per task")
	fs.Uint64Var(&s.HeldOut.Seed, "heldout-seed", s.HeldOut.Seed, "seed of the held-out set (the same for every search, so they compare)")
	// Method options.
	fs.StringVar(&o.ga.Genome, "genome", o.ga.Genome, "ga genome: greedy (one action per state) or q (the Q table)")
	fs.IntVar(&o.ga.Elite, "elite", o.ga.Elite, "ga: best individuals kept unchanged")
	fs.IntVar(&o.ga.Tournament, "tournament", o.ga.Tournament, "ga: contestants per tournament selection")
	fs.Float64Var(&o.ga.Crossover, "crossover", o.ga.Crossover, "ga: crossover probability")
	fs.Float64Var(&o.ga.Mutation, "mutation", o.ga.Mutation, "ga: per-gene mutation probability")
	sigma := fs.Float64("sigma", 0.5, "ga --genome q: mutation step; cmaes: initial step size")
	fs.Float64Var(&o.random.Range, "range", o.random.Range, "random: Q values uniform in +-range")
	fs.StringVar(&o.qlearn.Init, "init", o.qlearn.Init, "qlearn: starting table, a policy FILE or builtin:NAME")

	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if err := noArgs(fs); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *configFile != "" {
		if err := applyConfigFile(fs, *configFile, set); err != nil {
			return nil, err
		}
	}
	if o.name == "" {
		return nil, usagef("--name is required (it names the search in the database and resumes it)")
	}
	switch o.method {
	case "qlearn", "ga", "cmaes", "random":
	default:
		return nil, usagef("--method=%q: want qlearn, ga, cmaes or random", o.method)
	}
	var misplaced []string
	for f := range set {
		if ms, ok := methodFlags[f]; ok && !methodTakes(ms, o.method) {
			misplaced = append(misplaced, fmt.Sprintf("--%s (%s only)", f, strings.Join(ms, ", ")))
		}
	}
	if len(misplaced) > 0 {
		sort.Strings(misplaced)
		return nil, usagef("--method=%s does not take %s", o.method, strings.Join(misplaced, ", "))
	}
	var err error
	if p.Hidden, err = inner.ParseHidden(*hidden); err != nil {
		return nil, usagef("--hidden: %v", err)
	}
	if p.Hidden == nil {
		p.Hidden = []int{}
	}
	o.ga.Sigma, o.cma.Sigma = *sigma, *sigma
	if o.out == "" {
		o.out = o.name + ".policy.json"
	}
	if dir := filepath.Dir(o.out); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, usagef("--out %s: directory %s does not exist", o.out, dir)
		}
	}
	return o, nil
}

// applyConfigFile sets every flag named in the JSON object of path that is
// not in set (given on the command line).
func applyConfigFile(fs *flag.FlagSet, path string, set map[string]bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usagef("--config: %v", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers keep their text: 1000000 stays an integer
	if err := dec.Decode(&m); err != nil {
		return usagef("--config %s: not a JSON object of flag values: %v", path, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "config" || fs.Lookup(k) == nil {
			return usagef("--config %s: unknown flag %q", path, k)
		}
		if set[k] {
			continue
		}
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = fmt.Sprint(x)
		case []any: // e.g. "hidden": [32, 16]
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			v = strings.Join(parts, ",")
		default:
			return usagef("--config %s: flag %q: unsupported value %v", path, k, x)
		}
		if err := fs.Set(k, v); err != nil {
			return usagef("--config %s: flag %q: %v", path, k, err)
		}
		set[k] = true
	}
	return nil
}

func methodTakes(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (o *searchOptions) methodValue() meta.Method {
	switch o.method {
	case "ga":
		return o.ga
	case "cmaes":
		return o.cma
	case "random":
		return o.random
	}
	return o.qlearn
}

func runSearch(ctx context.Context, env *Env, o *searchOptions) error {
	store, err := openStore(o.dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	s := o.settings
	s.Store, s.Name = store, o.name
	bar := newProgress(env, s.Generations, "search "+o.name+" ("+o.method+")")
	s.Progress = func(g meta.GenerationReport) {
		desc := fmt.Sprintf("gen %d/%d best %.3f mean %.3f | so far %.3f | %.1f eval/s",
			g.Generation+1, g.Generations, g.Best, g.Mean, g.BestSoFar, g.EvalsPerSec())
		if g.Replayed {
			desc = fmt.Sprintf("gen %d/%d replayed from the store | so far %.3f", g.Generation+1, g.Generations, g.BestSoFar)
		}
		bar.set(g.Generation+1, desc)
	}
	res, err := meta.Search(ctx, o.problem, s, o.methodValue())
	if err != nil {
		bar.stop()
		var ie *meta.InputError
		if res != nil && !errors.As(err, &ie) && errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.Stderr, "interrupted: search %s closed as interrupted after %d generations; rerun the same command to resume\n",
				o.name, res.Generations)
		}
		return err
	}
	bar.finish()
	if res.Best == nil {
		return fmt.Errorf("search %q: no generation completed", o.name)
	}
	best := res.Best.Clone()
	best.Name = o.name
	held := math.NaN()
	if res.HeldOut != nil {
		held, _ = res.HeldOut.Score("best")
	}
	best.Meta = map[string]any{
		"origin":  fmt.Sprintf("synrl search %s (method %s, search %d in %s)", o.name, o.method, res.SearchID, o.dbPath),
		"created": time.Now().UTC().Format(time.RFC3339),
		"notes": fmt.Sprintf("%s; fitness %.4f on the search's %d tasks x %d seeds (score = 1 - val loss / initial val loss)",
			o.command, res.BestFitness.Score, o.problem.EvalTasks, o.problem.EvalSeeds),
		"method": o.method, "search": o.name, "fitness": res.BestFitness.Score, "command": o.command,
		"generations": res.Generations, "population": s.Population, "seed": s.Seed, "task": o.problem.Tasks,
	}
	if !math.IsNaN(held) {
		best.Meta["heldout_score"] = held
	}
	if err := policies.WriteFile(o.out, best); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if o.asJSON {
		return printSearchJSON(env.Stdout, o, res)
	}
	verb := "done"
	if res.Resumed {
		verb = "done (resumed)"
	}
	if res.Status == meta.StatusConverged {
		verb += ", converged early"
	}
	fmt.Fprintf(env.Stdout, "search %s (%s) %s: %d generations; this session %d evaluations trained, %d from the cache",
		o.name, o.method, verb, res.Generations, res.Evaluations, res.CacheHits)
	if res.Episodes > 0 {
		fmt.Fprintf(env.Stdout, ", %d episodes", res.Episodes)
	}
	fmt.Fprintf(env.Stdout, ", %.1fs\n", res.WallSeconds)
	fmt.Fprintf(env.Stdout, "  best fitness %.4f (mean of 1 - val loss / initial val loss over %d task(s) x %d seed(s); val acc %.3f)\n",
		res.BestFitness.Score, o.problem.EvalTasks, o.problem.EvalSeeds, res.BestFitness.Acc)
	if res.HeldOut != nil {
		writeHeldOut(env.Stdout, res.HeldOut)
	}
	fmt.Fprintf(env.Stdout, "  policy written to %s; stored in %s (synrl search show %s)\n", o.out, o.dbPath, o.name)
	return nil
}

func writeHeldOut(w io.Writer, h *meta.HeldOutReport) {
	fmt.Fprintf(w, "  held-out: %d task(s) x %d seed(s) the search never saw\n", len(h.Set.Tasks), len(h.Set.RunSeeds))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "    policy\tscore\tstd\tval acc\tbest - this (SE)")
	for i, p := range h.Policies {
		diff := ""
		if i > 0 {
			diff = fmt.Sprintf("%+.4f (%.4f)", p.VsBest.Mean, p.VsBest.SE)
		}
		fmt.Fprintf(tw, "    %s\t%.4f\t%.4f\t%.3f\t%s\n", p.Name, p.Score, p.Std, p.Acc, diff)
	}
	tw.Flush()
}

func printSearchJSON(w io.Writer, o *searchOptions, res *meta.SearchResult) error {
	out := map[string]any{
		"search_id": res.SearchID, "name": o.name, "method": o.method, "status": res.Status, "resumed": res.Resumed,
		"generations": res.Generations, "evaluations": res.Evaluations, "cache_hits": res.CacheHits,
		"episodes": res.Episodes, "seconds": res.WallSeconds, "best_fitness": res.BestFitness.Score,
		"best_acc": res.BestFitness.Acc, "out": o.out,
	}
	if res.HeldOut != nil {
		held := map[string]float64{}
		for _, p := range res.HeldOut.Policies {
			held[p.Name] = p.Score
		}
		out["heldout"] = held
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, string(b))
	return nil
}

// ---------------------------------------------------------------------------
// search list, search show

func cmdSearchList(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "search list [flags]", "List the searches of the database, newest first.")
	dbPath := fs.String("db", "synrl.db", "SQLite database file")
	asJSON := fs.Bool("json", false, "print a JSON array")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	store, err := openStore(*dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	srs, err := store.Searches(ctx)
	if err != nil {
		return err
	}
	type row struct {
		ID          int64    `json:"id"`
		Name        string   `json:"name"`
		Method      string   `json:"method"`
		Status      string   `json:"status"`
		Generations int      `json:"generations"`
		Best        *float64 `json:"best_fitness"`
		HeldOut     *float64 `json:"heldout_score"`
		Started     string   `json:"started"`
		WallSeconds float64  `json:"wall_seconds"`
	}
	rows := make([]row, 0, len(srs))
	for _, sr := range srs {
		gs, err := store.Generations(ctx, sr.ID)
		if err != nil {
			return err
		}
		r := row{ID: sr.ID, Name: sr.Name, Method: sr.Method, Status: string(sr.Status), Generations: len(gs),
			Best: finiteOrNull(bestOf(sr, gs)), Started: sr.Started.Format(time.RFC3339), WallSeconds: sr.WallSeconds}
		if h := heldOutOf(sr); h != nil {
			if v, ok := h.Score("best"); ok {
				r.HeldOut = finiteOrNull(v)
			}
		}
		rows = append(rows, r)
	}
	if *asJSON {
		b, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintf(env.Stdout, "no searches in %s\n", *dbPath)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tMETHOD\tSTATUS\tGENS\tBEST\tHELD-OUT\tSTARTED\tSECONDS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%.1f\n", r.ID, r.Name, r.Method, r.Status, r.Generations,
			fmtOrDash(r.Best), fmtOrDash(r.HeldOut), r.Started, r.WallSeconds)
	}
	return tw.Flush()
}

// bestOf is the search's best fitness: stored when finished, else the best
// of its generations.
func bestOf(sr results.Search, gs []results.Generation) float64 {
	if !math.IsNaN(sr.BestFitness) {
		return sr.BestFitness
	}
	best := math.NaN()
	for _, g := range gs {
		if math.IsNaN(best) || g.Best > best {
			best = g.Best
		}
	}
	return best
}

func heldOutOf(sr results.Search) *meta.HeldOutReport {
	if len(sr.HeldOutJSON) == 0 {
		return nil
	}
	var h meta.HeldOutReport
	if json.Unmarshal(sr.HeldOutJSON, &h) != nil {
		return nil
	}
	return &h
}

func finiteOrNull(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func fmtOrDash(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *v)
}

func cmdSearchShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "search show [flags] NAME", "Show a search: configuration, generations, best policy and held-out results.")
	dbPath := fs.String("db", "synrl.db", "SQLite database file")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("search show takes one search NAME (see synrl search list)")
	}
	name := fs.Arg(0)
	store, err := openStore(*dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	sr, err := store.SearchByName(ctx, name)
	if errors.Is(err, results.ErrNotFound) {
		return usagef("no search named %q in %s (see synrl search list)", name, *dbPath)
	}
	if err != nil {
		return err
	}
	gs, err := store.Generations(ctx, sr.ID)
	if err != nil {
		return err
	}
	cands, err := store.Candidates(ctx, sr.ID)
	if err != nil {
		return err
	}
	held := heldOutOf(sr)
	if *asJSON {
		type gen struct {
			Generation  int      `json:"generation"`
			Best        *float64 `json:"best"`
			Mean        *float64 `json:"mean"`
			Std         *float64 `json:"std"`
			Evaluations int      `json:"evaluations"`
			WallSeconds *float64 `json:"wall_seconds"`
		}
		out := map[string]any{
			"id": sr.ID, "name": sr.Name, "method": sr.Method, "status": sr.Status, "seed": sr.Seed,
			"version": sr.Version, "started": sr.Started.Format(time.RFC3339), "wall_seconds": sr.WallSeconds,
			"resumes": sr.Resumes, "best_fitness": finiteOrNull(bestOf(sr, gs)), "config": json.RawMessage(sr.Config),
			"candidates": len(cands), "error": sr.Error,
		}
		if !sr.Ended.IsZero() {
			out["ended"] = sr.Ended.Format(time.RFC3339)
		}
		gens := make([]gen, len(gs))
		for i, g := range gs {
			gens[i] = gen{g.Generation, finiteOrNull(g.Best), finiteOrNull(g.Mean), finiteOrNull(g.Std), g.Evaluations, finiteOrNull(g.WallSeconds)}
		}
		out["generations"] = gens
		if len(sr.BestPolicyJSON) > 0 {
			out["best_policy"] = json.RawMessage(sr.BestPolicyJSON)
		}
		if held != nil {
			out["heldout"] = held
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, string(b))
		return nil
	}
	w := env.Stdout
	fmt.Fprintf(w, "search %d %q: method %s, seed %d, status %s, version %s\n", sr.ID, sr.Name, sr.Method, sr.Seed, sr.Status, sr.Version)
	fmt.Fprintf(w, "  started %s", sr.Started.Format(time.RFC3339))
	if !sr.Ended.IsZero() {
		fmt.Fprintf(w, ", ended %s", sr.Ended.Format(time.RFC3339))
	}
	fmt.Fprintf(w, ", %.1fs over %d session(s)\n", sr.WallSeconds, sr.Resumes+1)
	if sr.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", sr.Error)
	}
	fmt.Fprintf(w, "  config: %s\n", sr.Config)
	fmt.Fprintf(w, "  %d generations, %d candidates; best fitness %s\n", len(gs), len(cands), fmtOrDash(finiteOrNull(bestOf(sr, gs))))
	if len(gs) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    gen\tbest\tmean\tstd\ttrained\tseconds")
		for _, g := range gs {
			fmt.Fprintf(tw, "    %d\t%.4f\t%.4f\t%.4f\t%d\t%.1f\n", g.Generation, g.Best, g.Mean, g.Std, g.Evaluations, g.WallSeconds)
		}
		tw.Flush()
	}
	if len(sr.BestPolicyJSON) > 0 {
		if t, err := policies.Parse(sr.BestPolicyJSON); err == nil {
			fmt.Fprintf(w, "  best policy (greedy action per state, %d states): %s\n", t.NumStates(), greedyString(t))
		}
	}
	if held != nil {
		writeHeldOut(w, held)
	}
	return nil
}

// greedyString writes the greedy actions as one letter per state: d, k, i.
func greedyString(t *policies.Table) string {
	var b strings.Builder
	for _, a := range t.GreedyActions() {
		b.WriteByte("dki"[a])
	}
	return b.String()
}
