package cli

import (
	"context"
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/synrl/synrl/policies"
)

func init() {
	register("policy", "show, diff, export and validate policy files", cmdPolicy)
}

const policyHelp = `Work with policy tables (FILE or builtin:NAME).

  synrl policy show FILE|builtin:NAME      states, greedy actions and Q values
  synrl policy validate FILE...            check files against synrl.policy/v1
  synrl policy diff A B                    states where the greedy actions differ
  synrl policy export builtin:NAME OUT     write a built-in policy to a file
  synrl policy list                        the built-in policies

A state is the synapse's last H actions and the last H global rewards, most
recent first: a=[inc keep] r=[+ -] means it increased then kept, and the
loss fell after the last step but not after the one before. Rewards: +
rewarded, - penalised, 0 none yet.`

func cmdPolicy(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "policy show|validate|diff|export|list [flags] ARGS", policyHelp)
	history := fs.Int("history", 2, "history length for builtin:NAME policies (1-3)")
	seed := fs.Uint64("seed", 1, "seed of builtin:random")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		fs.Usage()
		return usagef("missing subcommand: show, validate, diff, export or list")
	}
	load := func(ref string) (*policies.Table, error) {
		h := *history
		if !strings.HasPrefix(ref, policies.BuiltinPrefix) {
			t, err := policies.ReadFile(ref)
			if err != nil {
				return nil, &UsageError{err}
			}
			return t, nil
		}
		t, err := policies.Load(ref, h, *seed)
		if err != nil {
			return nil, &UsageError{err}
		}
		return t, nil
	}
	want := func(n int, usage string) error {
		if len(rest)-1 != n {
			return usagef("usage: synrl policy %s", usage)
		}
		return nil
	}
	switch rest[0] {
	case "list":
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		for _, n := range policies.BuiltinNames() {
			fmt.Fprintf(w, "builtin:%s\t%s\n", n, policies.BuiltinDoc(n))
		}
		return w.Flush()
	case "show":
		if err := want(1, "show FILE|builtin:NAME"); err != nil {
			return err
		}
		t, err := load(rest[1])
		if err != nil {
			return err
		}
		showPolicy(env, t)
		return nil
	case "validate":
		if len(rest) < 2 {
			return usagef("usage: synrl policy validate FILE...")
		}
		for _, f := range rest[1:] {
			t, err := load(f)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s: ok (%s, history %d, %d states)\n", f, t.Name, t.History, t.NumStates())
		}
		return nil
	case "diff":
		if err := want(2, "diff A B"); err != nil {
			return err
		}
		a, err := load(rest[1])
		if err != nil {
			return err
		}
		b, err := load(rest[2])
		if err != nil {
			return err
		}
		return diffPolicies(env, a, b)
	case "export":
		if err := want(2, "export FILE|builtin:NAME OUT"); err != nil {
			return err
		}
		t, err := load(rest[1])
		if err != nil {
			return err
		}
		t = t.Clone()
		if _, ok := t.Meta["created"]; !ok {
			t.Meta["created"] = time.Now().UTC().Format(time.RFC3339)
		}
		if err := policies.WriteFile(rest[2], t); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", rest[2])
		return nil
	}
	return usagef("unknown policy subcommand %q (want show, validate, diff, export or list)", rest[0])
}

func showPolicy(env *Env, t *policies.Table) {
	fmt.Fprintf(env.Stdout, "policy %s: history %d, %d states x 3 actions\n", t.Name, t.History, t.NumStates())
	for _, k := range []string{"origin", "created", "notes"} {
		if v, ok := t.Meta[k]; ok {
			fmt.Fprintf(env.Stdout, "  %s: %v\n", k, v)
		}
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "state\tactions (t-1..)\trewards (t-1..)\tgreedy\tQ dec\tQ keep\tQ inc\t")
	counts := [3]int{}
	for s := range t.NumStates() {
		st := policies.StateString(s, t.History)
		acts, rews, _ := strings.Cut(strings.TrimPrefix(st, "a=["), "] r=[")
		g := t.Greedy(s)
		counts[g]++
		r := t.Row(s)
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", s, acts, strings.TrimSuffix(rews, "]"), policies.ActionName(g), fq(r[0]), fq(r[1]), fq(r[2]))
	}
	w.Flush()
	fmt.Fprintf(env.Stdout, "greedy actions: %d dec, %d keep, %d inc\n", counts[0], counts[1], counts[2])
}

func fq(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4f", v)
}

func diffPolicies(env *Env, a, b *policies.Table) error {
	if a.History != b.History {
		return usagef("cannot diff: %s has history %d, %s has %d", a.Name, a.History, b.Name, b.History)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "state\t\t%s\t%s\tmax |dQ|\n", a.Name, b.Name)
	n := 0
	maxD := 0.0
	for s := range a.NumStates() {
		d := 0.0
		for i := range 3 {
			d = math.Max(d, math.Abs(a.Row(s)[i]-b.Row(s)[i]))
		}
		maxD = math.Max(maxD, d)
		ga, gb := a.Greedy(s), b.Greedy(s)
		if ga != gb {
			n++
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%.4g\n", s, policies.StateString(s, a.History), policies.ActionName(ga), policies.ActionName(gb), d)
		}
	}
	w.Flush()
	fmt.Fprintf(env.Stdout, "%d of %d states differ in greedy action; largest Q difference %.4g\n", n, a.NumStates(), maxD)
	return nil
}
