package meta

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// tinyProblem is a boundary problem small enough that one evaluation takes
// a few milliseconds.
func tinyProblem() Problem {
	p := DefaultProblem()
	p.Tasks = "boundary:dims=2-3,classes=2-3,hidden=4-12,samples=800"
	p.Hidden = []int{8}
	p.Iters, p.Batch, p.BatchInterval = 120, 100, 60
	p.EvalTasks, p.EvalSeeds = 2, 1
	return p
}

func TestParseTaskDist(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "", want: "boundary:dims=2-4,classes=2-3,hidden=4-16,samples=2000"},
		{in: "boundary", want: "boundary:dims=2-4,classes=2-3,hidden=4-16,samples=2000"},
		{in: "boundary:dims=3,classes=2-4,samples=500", want: "boundary:dims=3,classes=2-4,hidden=4-16,samples=500"},
		{in: "boundary:dims=2+mnist:train=100,val=50,test=50", want: "boundary:dims=2,classes=2-3,hidden=4-16,samples=2000+mnist:test=50,train=100,val=50"},
		{in: "boundary:seed=3", err: "drawn"},
		{in: "boundary:dims=4-2", err: "range"},
		{in: "boundary:classes=1", err: "2 classes"},
		{in: "boundary:dims=2,dims=3", err: "twice"},
		{in: "boundary:depth=2", err: "unknown option"},
		{in: "nosuch", err: "unknown task"},
	} {
		d, err := ParseTaskDist(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTaskDist(%q) error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTaskDist(%q): %v", tc.in, err)
			continue
		}
		if got := d.String(); got != tc.want {
			t.Errorf("ParseTaskDist(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestEvalSetsDeterministicAndDisjoint(t *testing.T) {
	p := DefaultProblem()
	a, err := p.EvalSet(7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.EvalSet(7)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("EvalSet(7) differs between calls: %v vs %v", a, b)
	}
	if c, _ := p.EvalSet(8); reflect.DeepEqual(a, c) {
		t.Fatal("EvalSet(7) == EvalSet(8)")
	}
	if a.Runs() != p.EvalTasks*p.EvalSeeds {
		t.Fatalf("%d runs, want %d", a.Runs(), p.EvalTasks*p.EvalSeeds)
	}
	h, _ := p.HeldOutSet(7, 5, 3)
	if len(h.Tasks) != 5 || len(h.RunSeeds) != 3 {
		t.Fatalf("held-out set %d tasks x %d seeds, want 5 x 3", len(h.Tasks), len(h.RunSeeds))
	}
	teacherSeed := func(task string) uint64 {
		spec, err := inner.ParseTask(task)
		if err != nil {
			t.Fatal(err)
		}
		var s uint64
		for _, c := range spec.Opts["seed"] {
			s = s*10 + uint64(c-'0')
		}
		return s
	}
	for seed := range uint64(20) {
		s, _ := p.EvalSet(seed)
		for i, task := range s.Tasks {
			if teacherSeed(task)&heldOutBit != 0 || s.TaskSeeds[i]&heldOutBit != 0 {
				t.Fatalf("search set %d uses a held-out seed: %s %d", seed, task, s.TaskSeeds[i])
			}
		}
		for _, rs := range s.RunSeeds {
			if rs&heldOutBit != 0 {
				t.Fatalf("search set %d uses held-out run seed %d", seed, rs)
			}
		}
	}
	for i, task := range h.Tasks {
		if teacherSeed(task)&heldOutBit == 0 || h.TaskSeeds[i]&heldOutBit == 0 {
			t.Fatalf("held-out task %s %d is in the search range", task, h.TaskSeeds[i])
		}
	}
	for _, rs := range h.RunSeeds {
		if rs&heldOutBit == 0 {
			t.Fatalf("held-out run seed %d is in the search range", rs)
		}
	}
}

func TestLossScore(t *testing.T) {
	for _, tc := range []struct{ initial, final, want float64 }{
		{1, 0.5, 0.5},
		{1, 1, 0},
		{1, 0, 1},
		{1, 3, -1}, // clipped
		{1, math.NaN(), WorstScore},
		{1, math.Inf(1), WorstScore},
		{math.NaN(), 1, WorstScore},
		{0, 1, WorstScore},
	} {
		if got := LossScore(tc.initial, tc.final); got != tc.want {
			t.Errorf("LossScore(%v, %v) = %v, want %v", tc.initial, tc.final, got, tc.want)
		}
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	p := tinyProblem()
	wsls, _ := policies.Builtin("wsls", 2, 0)
	zero, _ := policies.Builtin("zero", 2, 0)
	ctx := context.Background()
	a, err := p.Evaluate(ctx, wsls, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Evaluate(ctx, wsls, 3)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two evaluations differ:\n%+v\n%+v", a, b)
	}
	if len(a.Runs) != 2 || a.Runs[0].Task == a.Runs[1].Task {
		t.Fatalf("runs %+v: want 2 runs on 2 tasks", a.Runs)
	}
	z, _ := p.Evaluate(ctx, zero, 3)
	if !(a.Score > z.Score) {
		t.Errorf("wsls score %.4f not above zero's %.4f", a.Score, z.Score)
	}
	h1, _ := policies.Builtin("wsls", 1, 0)
	if _, err := p.Evaluate(ctx, h1, 3); err == nil || !strings.Contains(err.Error(), "history") {
		t.Errorf("history mismatch: error %v", err)
	}
	if p.EvalKey(EvalSet{Tasks: []string{"a"}}) == p.EvalKey(EvalSet{Tasks: []string{"b"}}) {
		t.Error("EvalKey ignores the set")
	}
	q := p
	q.Iters++
	if set, _ := p.EvalSet(1); p.EvalKey(set) == q.EvalKey(set) {
		t.Error("EvalKey ignores the problem")
	}
}
