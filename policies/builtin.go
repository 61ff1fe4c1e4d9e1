package policies

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
)

// BuiltinPrefix marks a built-in policy in a policy reference ("builtin:wsls").
const BuiltinPrefix = "builtin:"

// builtin describes one built-in policy.
type builtin struct {
	doc  string
	make func(h int, seed uint64) (*Table, error)
}

// builtins maps a name to its constructor. It is never modified.
var builtins = map[string]builtin{
	"zero": {
		doc:  "all Q values 0: the start of adaptive learning (statically it always decreases, ties going to dec)",
		make: func(h int, _ uint64) (*Table, error) { return New("zero", h) },
	},
	"random": {
		doc:  "Q values uniform in [-1, 1] from the seed (builtin:random:SEED, else the run seed)",
		make: randomTable,
	},
	"wsls": {
		doc: "win-stay/lose-shift: after a reward repeat the last action; after a penalty reverse it (dec<->inc, keep stays keep); with no reward yet keep",
		make: ruleTable("wsls", func(a, r int) int {
			switch r {
			case Rewarded:
				return a
			case Penalised:
				return 2 - a
			}
			return Keep
		}),
	},
	"sticky": {
		doc: "after a reward repeat the last action; after a penalty or with no reward yet keep (stop moving until exploration moves again)",
		make: ruleTable("sticky", func(a, r int) int {
			if r == Rewarded {
				return a
			}
			return Keep
		}),
	},
	"keep": {
		doc:  "always keep: the do-nothing baseline (only exploration moves weights)",
		make: ruleTable("keep", func(a, r int) int { return Keep }),
	},
}

// BuiltinNames returns the names of the built-in policies, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(builtins)+1)
	for n := range builtins {
		names = append(names, n)
	}
	if _, err := Learned(); err == nil {
		names = append(names, "learned")
	}
	sort.Strings(names)
	return names
}

// BuiltinDoc returns the one-line description of a built-in policy.
func BuiltinDoc(name string) string {
	if name == "learned" {
		return "the policy found by synrl's own search (see its meta for the command, budget and held-out score)"
	}
	return builtins[name].doc
}

// Builtin returns the built-in policy name for history h. seed is used by
// the random policy when the name carries no seed of its own.
func Builtin(name string, h int, seed uint64) (*Table, error) {
	base, arg, hasArg := strings.Cut(name, ":")
	if base == "learned" {
		t, err := Learned()
		if err != nil {
			return nil, err
		}
		if t.History != h {
			return nil, fmt.Errorf("builtin:learned has history %d, not %d", t.History, h)
		}
		return t, nil
	}
	b, ok := builtins[base]
	if !ok {
		return nil, fmt.Errorf("unknown builtin policy %q (known: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	if hasArg {
		if base != "random" {
			return nil, fmt.Errorf("builtin policy %q takes no argument", base)
		}
		s, err := strconv.ParseUint(arg, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("builtin:random:%s: seed is not a non-negative integer", arg)
		}
		seed = s
	}
	if h < MinHistory || h > MaxHistory {
		return nil, fmt.Errorf("history %d out of range [%d, %d]", h, MinHistory, MaxHistory)
	}
	t, err := b.make(h, seed)
	if err != nil {
		return nil, err
	}
	t.Name = name
	t.Meta["origin"] = BuiltinPrefix + name
	return t, nil
}

// Load resolves a policy reference: "builtin:NAME" or a file path.
func Load(ref string, h int, seed uint64) (*Table, error) {
	if name, ok := strings.CutPrefix(ref, BuiltinPrefix); ok {
		return Builtin(name, h, seed)
	}
	if ref == "" {
		return nil, fmt.Errorf("empty policy reference (want FILE or builtin:NAME)")
	}
	if _, err := os.Stat(ref); err != nil {
		return nil, fmt.Errorf("policy file %s: %w", ref, err)
	}
	t, err := ReadFile(ref)
	if err != nil {
		return nil, err
	}
	if t.History != h {
		return nil, fmt.Errorf("policy file %s: history %d, but training uses --history %d", ref, t.History, h)
	}
	return t, nil
}

func randomTable(h int, seed uint64) (*Table, error) {
	t, err := New("random", h)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed7ab1e))
	for i := range t.Q {
		t.Q[i] = 2*rng.Float64() - 1
	}
	t.Meta["seed"] = seed
	return t, nil
}

// ruleTable builds a table whose greedy action depends only on the most
// recent action and reward: Q is 1 for the chosen action and 0 elsewhere.
func ruleTable(name string, rule func(a, r int) int) func(int, uint64) (*Table, error) {
	return func(h int, _ uint64) (*Table, error) {
		t, err := New(name, h)
		if err != nil {
			return nil, err
		}
		for s := range t.NumStates() {
			st := Decode(s, h)
			t.Q[s*NumActions+rule(st.Actions[0], st.Rewards[0])] = 1
		}
		return t, nil
	}
}
