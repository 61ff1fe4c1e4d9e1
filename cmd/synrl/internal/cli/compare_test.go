package cli

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/synrl/synrl/meta"
	"github.com/synrl/synrl/results"
)

// TestCompareBoundaryThreeArms runs a comparison of three arms over three
// seeds on a boundary task and checks it against the store: every run is
// stored, done and linked, and the summary's spreads and paired
// differences equal those recomputed by hand from the stored runs.
func TestCompareBoundaryThreeArms(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	code, out, stderr := run(t, "compare", "--task", "boundary:samples=1000", "--hidden", "8",
		"--arms", "static:builtin:wsls,adaptive,gd", "--seeds", "3", "--iters", "300",
		"--batch", "200", "--batch-interval", "50", "--epsilon", "0.01", "--gd-batch", "50", "--lr", "0.5",
		"--workers", "2", "--db", db, "--name", "three arms", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("\n%s", out)
	for _, want := range []string{"arm", "val acc %", "Δ test acc", "static:builtin:wsls", "adaptive", "(reference)", "paired difference with gd"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res meta.CompareResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("last line is not the JSON summary: %v", err)
	}

	ctx := context.Background()
	s, err := results.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cs, err := s.Comparisons(ctx)
	if err != nil || len(cs) != 1 || cs[0].Status != results.StatusDone || cs[0].Name != "three arms" || cs[0].ID != res.ID {
		t.Fatalf("comparisons %+v, %v", cs, err)
	}
	links, err := s.ComparisonRuns(ctx, res.ID)
	if err != nil || len(links) != 9 {
		t.Fatalf("%d linked runs, %v; want 3 arms x 3 seeds", len(links), err)
	}
	// acc[arm][seed] from the stored runs.
	val := map[string]map[int64]float64{}
	test := map[string]map[int64]float64{}
	for _, l := range links {
		r, err := s.Run(ctx, l.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != results.StatusDone || r.Seed != l.Seed {
			t.Errorf("run %d (%s seed %d): status %s seed %d", r.ID, l.Arm, l.Seed, r.Status, r.Seed)
		}
		wantTrainer := "synaptic"
		if l.Arm == "gd" {
			wantTrainer = "gd"
		}
		if r.Trainer != wantTrainer || r.Adaptive != (l.Arm == "adaptive") {
			t.Errorf("run %d of arm %s: trainer %s adaptive %v", r.ID, l.Arm, r.Trainer, r.Adaptive)
		}
		if val[l.Arm] == nil {
			val[l.Arm], test[l.Arm] = map[int64]float64{}, map[int64]float64{}
		}
		val[l.Arm][l.Seed], test[l.Arm][l.Seed] = r.ValAcc, r.TestAcc
	}
	if len(val) != 3 || len(val["gd"]) != 3 {
		t.Fatalf("arms and seeds: %v", val)
	}
	if res.Reference != "gd" || len(res.Arms) != 3 {
		t.Fatalf("summary: reference %q, %d arms", res.Reference, len(res.Arms))
	}
	for _, a := range res.Arms {
		// Mean and sample std of the arm's val acc, by hand.
		var xs []float64
		for _, v := range val[a.Arm] {
			xs = append(xs, v)
		}
		sort.Float64s(xs)
		mean := (xs[0] + xs[1] + xs[2]) / 3
		std := math.Sqrt(((xs[0]-mean)*(xs[0]-mean) + (xs[1]-mean)*(xs[1]-mean) + (xs[2]-mean)*(xs[2]-mean)) / 2)
		if a.Runs != 3 || math.Abs(a.ValAcc.Mean-mean) > 1e-12 || math.Abs(a.ValAcc.Std-std) > 1e-12 {
			t.Errorf("%s: val acc %+v, by hand %v ± %v", a.Arm, a.ValAcc, mean, std)
		}
		if a.Arm == "gd" {
			if a.ValAccDiff != nil {
				t.Error("the reference has a difference")
			}
			continue
		}
		for _, c := range []struct {
			name string
			acc  map[string]map[int64]float64
			got  *meta.PairedDiff
		}{{"val", val, a.ValAccDiff}, {"test", test, a.TestAccDiff}} {
			// Paired differences in points, seed by seed.
			var d [3]float64
			for i, seed := range []int64{1, 2, 3} {
				d[i] = 100 * (c.acc[a.Arm][seed] - c.acc["gd"][seed])
			}
			m := (d[0] + d[1] + d[2]) / 3
			se := math.Sqrt(((d[0]-m)*(d[0]-m)+(d[1]-m)*(d[1]-m)+(d[2]-m)*(d[2]-m))/2) / math.Sqrt(3)
			if c.got == nil || c.got.N != 3 || math.Abs(c.got.Mean-m) > 1e-9 || math.Abs(c.got.SE-se) > 1e-9 {
				t.Errorf("%s %s acc difference %+v, by hand %v ± %v", a.Arm, c.name, c.got, m, se)
			}
		}
	}
	// The stored summary is the printed one.
	var stored meta.CompareResult
	if err := json.Unmarshal(cs[0].ResultJSON, &stored); err != nil || stored.Arms[0].ValAcc != res.Arms[0].ValAcc {
		t.Errorf("stored summary %+v, %v", stored.Arms, err)
	}
	// gd learns the boundary task.
	if a := res.Arms[2]; a.ValAcc.Mean < 0.8 {
		t.Errorf("gd val acc %v", a.ValAcc)
	}
}

func TestCompareBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown arm kind", []string{"--arms", "bogus:x"}, "--arms"},
		{"static without policy", []string{"--arms", "static,gd"}, "static needs a policy"},
		{"unknown optimizer", []string{"--arms", "gd:rmsprop"}, "rmsprop"},
		{"duplicate arm", []string{"--arms", "gd,gd"}, "twice"},
		{"no such policy file", []string{"--arms", "static:" + filepath.Join(dir, "none.json") + ",gd"}, "none.json"},
		{"unknown reference", []string{"--arms", "adaptive,gd", "--ref", "static"}, "--ref"},
		{"zero seeds", []string{"--seeds", "0"}, "--seeds"},
		{"bad task", []string{"--task", "nope"}, "--task"},
		{"bad knob", []string{"--epsilon", "-1"}, "--epsilon"},
		{"bad lr", []string{"--arms", "gd", "--lr", "0"}, "--lr"},
		{"bad gd batch", []string{"--arms", "gd", "--gd-batch", "0"}, "--gd-batch"},
		{"preset with task", []string{"--preset", "paper", "--task", "boundary"}, "--task"},
		{"unknown preset", []string{"--preset", "nope"}, "--preset"},
		{"unknown budget", []string{"--preset", "paper", "--budget", "huge"}, "--budget"},
		{"budget without preset", []string{"--budget", "full"}, "--budget"},
		{"argument", []string{"extra"}, "extra"},
	} {
		args := append([]string{"compare", "--db", db}, c.args...)
		code, _, stderr := run(t, args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", c.name, code, stderr, c.want)
		}
	}
	s, err := results.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if cs, _ := s.Comparisons(context.Background()); len(cs) != 0 {
		t.Errorf("bad input stored %d comparisons", len(cs))
	}
	if runs, _ := s.Runs(context.Background(), results.RunFilter{}); len(runs) != 0 {
		t.Errorf("bad input stored %d runs", len(runs))
	}
}

func TestCompareHelp(t *testing.T) {
	code, out, _ := run(t, "compare", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"static:POLICY", "adaptive[:POLICY]", "gd[:OPT[:LR]]", "--preset", "small", "full", "gd-batch"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
