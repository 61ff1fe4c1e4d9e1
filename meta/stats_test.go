package meta

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/synrl/synrl/results"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

func TestSpreadOf(t *testing.T) {
	// Mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance
	// 32/7.
	s := SpreadOf([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if s.N != 8 || !near(s.Mean, 5) || !near(s.Std, math.Sqrt(32.0/7)) {
		t.Errorf("SpreadOf = %+v, want N 8, mean 5, std %v", s, math.Sqrt(32.0/7))
	}
	// 0.8, 0.9, 1.0: mean 0.9, deviations -0.1, 0, 0.1, variance 0.02/2.
	s = SpreadOf([]float64{0.8, 0.9, 1.0})
	if !near(s.Mean, 0.9) || !near(s.Std, 0.1) {
		t.Errorf("SpreadOf(0.8, 0.9, 1) = %+v, want mean 0.9 std 0.1", s)
	}
	if s := s.Scale(100); !near(s.Mean, 90) || !near(s.Std, 10) {
		t.Errorf("Scale(100) = %+v", s)
	}
	if s := SpreadOf([]float64{3}); s.N != 1 || s.Mean != 3 || !math.IsNaN(s.Std) {
		t.Errorf("one value: %+v, want mean 3 and an unknown std", s)
	}
	if s := SpreadOf(nil); s.N != 0 || !math.IsNaN(s.Mean) || !math.IsNaN(s.Std) {
		t.Errorf("no values: %+v", s)
	}
}

func TestPairedDiffOf(t *testing.T) {
	// Differences 0.02, -0.01, 0.05: mean 0.02, deviations 0, -0.03, 0.03,
	// sample std sqrt(0.0018/2) = 0.03, standard error 0.03/sqrt(3).
	d, err := PairedDiffOf([]float64{0.90, 0.85, 0.80}, []float64{0.88, 0.86, 0.75})
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 3 || !near(d.Mean, 0.02) || math.Abs(d.SE-0.03/math.Sqrt(3)) > 1e-12 {
		t.Errorf("PairedDiffOf = %+v, want N 3, mean 0.02, SE %v", d, 0.03/math.Sqrt(3))
	}
	if p := d.Scale(100); math.Abs(p.Mean-2) > 1e-9 || math.Abs(p.SE-3/math.Sqrt(3)) > 1e-9 {
		t.Errorf("in points: %+v, want 2 ± 1.732", p)
	}
	// Pairing matters: the same values unpaired would have a larger spread.
	d, _ = PairedDiffOf([]float64{1, 2, 3, 4}, []float64{0, 1, 2, 3})
	if d.Mean != 1 || d.SE != 0 {
		t.Errorf("constant difference: %+v, want 1 ± 0", d)
	}
	if _, err := PairedDiffOf([]float64{1, 2}, []float64{1}); err == nil {
		t.Error("unequal lengths: no error")
	}
	if d, _ := PairedDiffOf([]float64{1}, []float64{0.5}); d.Mean != 0.5 || !math.IsNaN(d.SE) {
		t.Errorf("one pair: %+v, want 0.5 and an unknown SE", d)
	}
}

func TestStatsJSON(t *testing.T) {
	b, err := json.Marshal([]any{Spread{N: 1, Mean: 2, Std: math.NaN()}, PairedDiff{N: 2, Mean: -1.5, SE: 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"n":1,"mean":2,"std":null},{"n":2,"mean":-1.5,"se":0.25}]`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var s Spread
	if err := json.Unmarshal([]byte(`{"n":1,"mean":2,"std":null}`), &s); err != nil || s.Mean != 2 || !math.IsNaN(s.Std) {
		t.Errorf("read back %+v, %v", s, err)
	}
	var p PairedDiff
	if err := json.Unmarshal([]byte(`{"n":2,"mean":-1.5,"se":0.25}`), &p); err != nil || p != (PairedDiff{2, -1.5, 0.25}) {
		t.Errorf("read back %+v, %v", p, err)
	}
}

// TestSummarizeArms checks the per-arm table against hand computation, with
// a failed run that must be left out of both its arm and the pairing.
func TestSummarizeArms(t *testing.T) {
	arms := []CompareArm{{Name: "a", Kind: ArmStatic}, {Name: "g", Kind: ArmGD}}
	done := results.StatusDone
	runs := []CompareRun{
		{Arm: "a", Seed: 1, Status: done, ValAcc: 0.90, TestAcc: 0.91, ValLoss: 0.3, Seconds: 2, ItersPerSec: 100},
		{Arm: "a", Seed: 2, Status: done, ValAcc: 0.85, TestAcc: 0.84, ValLoss: 0.4, Seconds: 4, ItersPerSec: 50},
		{Arm: "a", Seed: 3, Status: done, ValAcc: 0.80, TestAcc: 0.83, ValLoss: 0.5, Seconds: 3, ItersPerSec: 75},
		{Arm: "a", Seed: 4, Status: results.StatusFailed, ValAcc: 0.1},
		{Arm: "g", Seed: 1, Status: done, ValAcc: 0.88, TestAcc: 0.90},
		{Arm: "g", Seed: 2, Status: done, ValAcc: 0.86, TestAcc: 0.86},
		{Arm: "g", Seed: 3, Status: done, ValAcc: 0.75, TestAcc: 0.80},
		{Arm: "g", Seed: 4, Status: done, ValAcc: 0.99, TestAcc: 0.99},
	}
	sum, err := SummarizeArms(arms, "g", runs)
	if err != nil {
		t.Fatal(err)
	}
	a, g := sum[0], sum[1]
	if a.Runs != 3 || g.Runs != 4 {
		t.Fatalf("runs %d and %d, want 3 and 4", a.Runs, g.Runs)
	}
	// a: val acc 0.90, 0.85, 0.80: mean 0.85, std 0.05; loss 0.3, 0.4, 0.5:
	// mean 0.4, std 0.1; seconds 2, 4, 3: mean 3, std 1.
	if !near(a.ValAcc.Mean, 0.85) || !near(a.ValAcc.Std, 0.05) || !near(a.ValLoss.Mean, 0.4) ||
		!near(a.ValLoss.Std, 0.1) || !near(a.Seconds.Mean, 3) || !near(a.Seconds.Std, 1) || !near(a.ItersPerSec.Mean, 75) {
		t.Errorf("arm a: %+v", a)
	}
	// Val acc differences over seeds 1-3 (seed 4 failed in a):
	// 0.02, -0.01, 0.05 -> 2 ± 0.03/sqrt(3)*100 points.
	if d := a.ValAccDiff; d == nil || d.N != 3 || math.Abs(d.Mean-2) > 1e-9 || math.Abs(d.SE-100*0.03/math.Sqrt(3)) > 1e-9 {
		t.Errorf("val acc difference %+v, want 2 ± 1.732 over 3 seeds", d)
	}
	// Test acc differences 0.01, -0.02, 0.03: mean 0.00667, deviations
	// 0.00333, -0.02667, 0.02333; sum of squares 0.0012667, variance
	// 0.00063333.
	wantSE := math.Sqrt(0.0012666666666666666/2) / math.Sqrt(3) * 100
	if d := a.TestAccDiff; d == nil || math.Abs(d.Mean-2.0/3) > 1e-9 || math.Abs(d.SE-wantSE) > 1e-9 {
		t.Errorf("test acc difference %+v, want 0.667 ± %v", d, wantSE)
	}
	if g.ValAccDiff != nil || g.TestAccDiff != nil {
		t.Error("the reference has a difference with itself")
	}
	if _, err := SummarizeArms(arms, "nope", runs); err == nil {
		t.Error("unknown reference: no error")
	}
}

func TestParseArm(t *testing.T) {
	for _, c := range []struct {
		in   string
		want CompareArm
	}{
		{"static:builtin:wsls", CompareArm{Name: "static:builtin:wsls", Kind: ArmStatic, Policy: "builtin:wsls"}},
		{" mine=static:/tmp/p.json ", CompareArm{Name: "mine", Kind: ArmStatic, Policy: "/tmp/p.json"}},
		{"adaptive", CompareArm{Name: "adaptive", Kind: ArmAdaptive, Policy: "builtin:zero"}},
		{"adaptive:builtin:random:3", CompareArm{Name: "adaptive:builtin:random:3", Kind: ArmAdaptive, Policy: "builtin:random:3"}},
		{"gd", CompareArm{Name: "gd", Kind: ArmGD}},
		{"gd:adam", CompareArm{Name: "gd:adam", Kind: ArmGD, Optimizer: "adam"}},
		{"gd:sgd:0.1", CompareArm{Name: "gd:sgd:0.1", Kind: ArmGD, Optimizer: "sgd", LR: 0.1}},
	} {
		got, err := ParseArm(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseArm(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "static", "static:", "adaptive:", "gd:rmsprop", "gd:sgd:-1", "gd:sgd:x", "sgd:0.1", "=gd", "a:b=gd"} {
		if a, err := ParseArm(bad); err == nil {
			t.Errorf("ParseArm(%q) = %+v, want an error", bad, a)
		}
	}
	arms, err := ParseArms("static:builtin:wsls,adaptive,gd:sgd:0.1")
	if err != nil || len(arms) != 3 || arms[2].LR != 0.1 {
		t.Errorf("ParseArms = %+v, %v", arms, err)
	}
	for _, bad := range []string{"gd,gd", "gd,,adaptive", "x=gd,x=adaptive"} {
		if _, err := ParseArms(bad); err == nil {
			t.Errorf("ParseArms(%q): no error", bad)
		}
	}
}

func TestPaperPreset(t *testing.T) {
	cs, err := PaperPreset("small", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Hidden != nil || len(cs[1].Hidden) != 1 || cs[1].Hidden[0] != 32 {
		t.Fatalf("preset networks: %+v", cs)
	}
	for _, c := range cs {
		// static learned and wsls, adaptive, gd
		if len(c.Seeds) != 3 || len(c.Arms) != 4 || c.reference() != "gd:sgd:0.1" || c.Task != "mnist" ||
			c.Synaptic.Alpha != PaperAdaptiveAlpha {
			t.Errorf("%s: %d seeds, arms %+v, reference %s", c.Name, len(c.Seeds), c.Arms, c.reference())
		}
		if err := c.Synaptic.Validate(); err != nil {
			t.Error(err)
		}
	}
	if cs, _ := PaperPreset("full", 2); cs[0].Synaptic.Epsilon != 1e-4 || cs[0].Synaptic.Batch != 5000 || len(cs[0].Seeds) != 2 {
		t.Errorf("full: %+v", cs[0].Synaptic)
	}
	if _, err := PaperPreset("huge", 0); err == nil {
		t.Error("unknown budget: no error")
	}
}
