package policies

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
)

// Actions a synapse can take.
const (
	Dec  = 0 // decrease the weight by one step
	Keep = 1 // leave the weight unchanged
	Inc  = 2 // increase the weight by one step
)

// Reward digits in a state.
const (
	Penalised = 0 // the loss did not fall
	NoReward  = 1 // no reward yet (start of training)
	Rewarded  = 2 // the loss fell strictly
)

// NumActions is the number of actions of every policy.
const NumActions = 3

// MinHistory and MaxHistory bound the history length H a table may have.
const (
	MinHistory = 1
	MaxHistory = 3
)

// Table is a Q table: Q[state*3+action]. It is the policy every synapse of a
// network shares. The zero value is not usable; build one with New.
type Table struct {
	// Name names the policy (file name, builtin name or search result).
	Name string
	// History is H, the number of past actions and rewards in a state.
	History int
	// Q holds NumStates(History) rows of 3 values, row-major.
	Q []float64
	// Meta is free-form provenance: origin, created, notes, and anything else.
	Meta map[string]any
	// extra keeps unknown top-level JSON fields for a lossless round trip.
	extra map[string]any
}

// Pow3 returns 3^n for small n.
func Pow3(n int) int {
	p := 1
	for range n {
		p *= 3
	}
	return p
}

// NumStates returns the number of states, 3^(2H), for history h.
func NumStates(h int) int { return Pow3(2 * h) }

// New returns an all-zero table for history h.
func New(name string, h int) (*Table, error) {
	if h < MinHistory || h > MaxHistory {
		return nil, fmt.Errorf("history %d out of range [%d, %d]", h, MinHistory, MaxHistory)
	}
	return &Table{Name: name, History: h, Q: make([]float64, NumStates(h)*NumActions), Meta: map[string]any{}}, nil
}

// NumStates returns the number of states of t.
func (t *Table) NumStates() int { return NumStates(t.History) }

// Row returns the three Q values of state s (a slice into t.Q).
func (t *Table) Row(s int) []float64 { return t.Q[s*NumActions : s*NumActions+NumActions] }

// Greedy returns the greedy action of state s: argmax of its row, ties broken
// towards the lowest action index as the reference implementation does.
func (t *Table) Greedy(s int) int {
	return Argmax3(t.Q[s*NumActions], t.Q[s*NumActions+1], t.Q[s*NumActions+2])
}

// Argmax3 returns the index of the largest of three values, ties to the lowest.
func Argmax3(a, b, c float64) int {
	best, v := 0, a
	if b > v {
		best, v = 1, b
	}
	if c > v {
		best = 2
	}
	return best
}

// GreedyActions returns the greedy action of every state.
func (t *Table) GreedyActions() []int {
	g := make([]int, t.NumStates())
	for s := range g {
		g[s] = t.Greedy(s)
	}
	return g
}

// Clone returns a deep copy of t (Meta is copied one level deep).
func (t *Table) Clone() *Table {
	c := &Table{Name: t.Name, History: t.History, Q: append([]float64(nil), t.Q...)}
	c.Meta = make(map[string]any, len(t.Meta))
	for k, v := range t.Meta {
		c.Meta[k] = v
	}
	if t.extra != nil {
		c.extra = make(map[string]any, len(t.extra))
		for k, v := range t.extra {
			c.extra[k] = v
		}
	}
	return c
}

// Validate checks the history, the row count and that every value is finite.
func (t *Table) Validate() error {
	if t.History < MinHistory || t.History > MaxHistory {
		return fmt.Errorf("history %d out of range [%d, %d]", t.History, MinHistory, MaxHistory)
	}
	if want := NumStates(t.History) * NumActions; len(t.Q) != want {
		return fmt.Errorf("q has %d rows, history %d needs %d", len(t.Q)/NumActions, t.History, NumStates(t.History))
	}
	for i, v := range t.Q {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("q[%d][%d] is %v: values must be finite", i/NumActions, i%NumActions, v)
		}
	}
	return nil
}

// Hash returns a hex SHA-256 of the history and the Q values, a stable key
// for the table's content (the name and meta are not part of it).
func (t *Table) Hash() string {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(t.History))
	h.Write(b[:])
	for _, v := range t.Q {
		if v == 0 {
			v = 0 // fold -0 into +0
		}
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// State is a decoded state: the last H actions and rewards, most recent first.
type State struct {
	Actions []int // a[t-1], ..., a[t-H]
	Rewards []int // r[t-1], ..., r[t-H]
}

// Encode returns the state index of actions and rewards (most recent first).
func Encode(actions, rewards []int) int {
	s := 0
	for _, a := range actions {
		s = s*3 + a
	}
	for _, r := range rewards {
		s = s*3 + r
	}
	return s
}

// Decode returns the actions and rewards of state s for history h.
func Decode(s, h int) State {
	st := State{Actions: make([]int, h), Rewards: make([]int, h)}
	for i := h - 1; i >= 0; i-- {
		st.Rewards[i] = s % 3
		s /= 3
	}
	for i := h - 1; i >= 0; i-- {
		st.Actions[i] = s % 3
		s /= 3
	}
	return st
}

// ActionName returns "dec", "keep" or "inc".
func ActionName(a int) string {
	switch a {
	case Dec:
		return "dec"
	case Keep:
		return "keep"
	case Inc:
		return "inc"
	}
	return fmt.Sprintf("action(%d)", a)
}

// RewardName returns "-", "0" (none yet) or "+".
func RewardName(r int) string {
	switch r {
	case Penalised:
		return "-"
	case NoReward:
		return "0"
	case Rewarded:
		return "+"
	}
	return fmt.Sprintf("reward(%d)", r)
}

// StateString describes state s of history h, e.g. "a=[inc keep] r=[+ -]".
func StateString(s, h int) string {
	st := Decode(s, h)
	out := "a=["
	for i, a := range st.Actions {
		if i > 0 {
			out += " "
		}
		out += ActionName(a)
	}
	out += "] r=["
	for i, r := range st.Rewards {
		if i > 0 {
			out += " "
		}
		out += RewardName(r)
	}
	return out + "]"
}
