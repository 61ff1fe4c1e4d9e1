package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

// tinySearch are flags of a search that takes well under a second.
func tinySearch(dir, name string, extra ...string) []string {
	args := []string{"search", "--name", name, "--db", filepath.Join(dir, "s.db"),
		"--out", filepath.Join(dir, name+".json"), "--task", "boundary:dims=2,classes=2,samples=600",
		"--hidden", "8", "--iters", "80", "--batch", "100", "--generations", "2", "--population", "4",
		"--heldout-tasks", "2", "--heldout-seeds", "1"}
	return append(args, extra...)
}

func TestSearchCommandMethods(t *testing.T) {
	dir := t.TempDir()
	for _, method := range []string{"qlearn", "ga", "cmaes", "random"} {
		code, out, errs := run(t, tinySearch(dir, method, "--method", method, "--json")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", method, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var res struct {
			Name        string             `json:"name"`
			Status      string             `json:"status"`
			Generations int                `json:"generations"`
			BestFitness float64            `json:"best_fitness"`
			HeldOut     map[string]float64 `json:"heldout"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
			t.Fatalf("%s: last line %q: %v", method, lines[len(lines)-1], err)
		}
		if res.Name != method || res.Generations != 2 || len(res.HeldOut) != 5 {
			t.Errorf("%s: result %+v", method, res)
		}
		p, err := policies.ReadFile(filepath.Join(dir, method+".json"))
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if p.Meta["method"] != method || p.Meta["heldout_score"] == nil || !strings.Contains(p.Meta["notes"].(string), "synrl search") {
			t.Errorf("%s: policy meta %v", method, p.Meta)
		}
	}

	code, out, _ := run(t, "search", "list", "--db", filepath.Join(dir, "s.db"))
	if code != 0 || strings.Count(out, "done") != 4 || !strings.Contains(out, "cmaes") {
		t.Errorf("search list: exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, "search", "show", "--db", filepath.Join(dir, "s.db"), "ga")
	if code != 0 || !strings.Contains(out, `"ga"`) || !strings.Contains(out, "held-out") || !strings.Contains(out, "builtin:wsls") {
		t.Errorf("search show: exit %d:\n%s", code, out)
	}
	code, out, _ = run(t, "search", "show", "--json", "--db", filepath.Join(dir, "s.db"), "ga")
	var shown map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || len(shown["generations"].([]any)) != 2 || shown["candidates"].(float64) != 8 {
		t.Errorf("search show --json: exit %d:\n%s", code, out)
	}
	if code, _, errs := run(t, "search", "show", "--db", filepath.Join(dir, "s.db"), "nosuch"); code != 2 || !strings.Contains(errs, "nosuch") {
		t.Errorf("show of an unknown search: exit %d: %s", code, errs)
	}

	// Rerunning resumes and trains nothing.
	code, out, errs := run(t, tinySearch(dir, "ga", "--method", "ga")...)
	if code != 0 || !strings.Contains(out, "resumed") || !strings.Contains(out, "0 evaluations trained") {
		t.Errorf("rerun: exit %d: %s%s", code, out, errs)
	}
}

func TestSearchCommandBadInput(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, tinySearch(dir, "a", "--method", "ga")...); code != 0 {
		t.Fatalf("first search: %s", errs)
	}
	before, err := os.ReadFile(filepath.Join(dir, "a.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown method", tinySearch(dir, "b", "--method", "anneal"), `--method="anneal"`},
		{"ga population", tinySearch(dir, "b", "--method", "ga", "--population", "2"), "--population=2"},
		{"cmaes population", tinySearch(dir, "b", "--method", "cmaes", "--population", "1"), "--population=1"},
		{"flag of another method", tinySearch(dir, "b", "--method", "random", "--elite", "3"), "--elite (ga only)"},
		{"no name", []string{"search", "--db", filepath.Join(dir, "s.db")}, "--name"},
		{"bad task", tinySearch(dir, "b", "--task", "boundary:dims=x"), "--task"},
		{"bad genome", tinySearch(dir, "b", "--method", "ga", "--genome", "bits"), "--genome"},
		{"config mismatch", tinySearch(dir, "a", "--method", "ga", "--iters", "90"), "iters: old 80 new 90"},
		{"method mismatch", tinySearch(dir, "a", "--method", "random"), `method: old "ga" new "random"`},
		{"corrupt database", []string{"search", "--name", "c", "--db", filepath.Join(dir, "a.json")}, "--db"},
	} {
		code, _, errs := run(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.name, code, errs, tc.want)
		}
	}
	after, _ := os.ReadFile(filepath.Join(dir, "a.json"))
	if !bytes.Equal(before, after) {
		t.Error("a refused search overwrote the policy file")
	}
	if _, err := os.Stat(filepath.Join(dir, "b.json")); err == nil {
		t.Error("a refused search wrote a policy file")
	}
}

func TestSearchConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"method": "random", "generations": 3, "population": 5, "hidden": [4], "batch-interval": 40, "seed": 12345678901234}`), 0o644)
	var args []string
	for _, a := range tinySearch(dir, "c", "--config", cfg, "--json", "--population", "3") {
		if a == "--hidden" || a == "8" {
			continue // from the file
		}
		args = append(args, a)
	}
	code, out, errs := run(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"method":"random"`) || !strings.Contains(out, `"generations":2`) {
		// --generations 2 on the command line wins over the file's 3.
		t.Errorf("output %s", out)
	}
	code, out, _ = run(t, "search", "show", "--json", "--db", filepath.Join(dir, "s.db"), "c")
	if code != 0 || !strings.Contains(out, `"population":3`) || !strings.Contains(out, `"hidden":[4]`) ||
		!strings.Contains(out, `"batch_interval":40`) || !strings.Contains(out, `"seed":12345678901234`) {
		t.Errorf("stored config: %s", out)
	}
	os.WriteFile(cfg, []byte(`{"popsize": 3}`), 0o644)
	if code, _, errs := run(t, tinySearch(dir, "d", "--config", cfg)...); code != 2 || !strings.Contains(errs, `unknown flag "popsize"`) {
		t.Errorf("unknown key: exit %d: %s", code, errs)
	}
}

// TestSearchKill9Resume kills a ga search with SIGKILL in its third
// generation, reruns the same command, and checks it against an
// uninterrupted run: the configured generations, no duplicate candidate,
// the same best fitness and the same policy.
func TestSearchKill9Resume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	args := func(db, out string) []string {
		return []string{"search", "--name", "k", "--method", "ga", "--db", db, "--out", out,
			"--generations", "5", "--population", "6", "--workers", "1", "--heldout-tasks", "2", "--json"}
	}
	killedDB, fullDB := filepath.Join(dir, "killed.db"), filepath.Join(dir, "full.db")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SYNRL_TEST_MAIN="+strings.Join(args(killedDB, filepath.Join(dir, "killed.json")), "\x1f"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var st *results.Store
	deadline := time.Now().Add(60 * time.Second)
	stored := 0
	for stored < 2 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child never stored its second generation")
		}
		time.Sleep(3 * time.Millisecond)
		if st == nil {
			if _, err := os.Stat(killedDB); err != nil {
				continue
			}
			var err error
			if st, err = results.Open(killedDB); err != nil {
				continue
			}
			defer st.Close()
		}
		if sr, err := st.SearchByName(ctx, "k"); err == nil {
			gs, _ := st.Generations(ctx, sr.ID)
			stored = len(gs)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	sr, _ := st.SearchByName(ctx, "k")
	gs, _ := st.Generations(ctx, sr.ID)
	t.Logf("killed with status %s after %d stored generations", sr.Status, len(gs))
	if sr.Status != results.StatusRunning || len(gs) >= 5 {
		t.Fatalf("killed search: status %s, %d generations", sr.Status, len(gs))
	}

	code, out, errs := run(t, args(killedDB, filepath.Join(dir, "killed.json"))...)
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, errs)
	}
	resumed := lastJSON(t, out)
	code, out, errs = run(t, args(fullDB, filepath.Join(dir, "full.json"))...)
	if code != 0 {
		t.Fatalf("uninterrupted: exit %d: %s", code, errs)
	}
	full := lastJSON(t, out)
	if resumed["resumed"] != true || resumed["generations"].(float64) != 5 || resumed["best_fitness"] != full["best_fitness"] {
		t.Fatalf("resumed %v\nuninterrupted %v", resumed, full)
	}
	sr, _ = st.SearchByName(ctx, "k")
	cands, err := st.Candidates(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]int]bool{}
	for _, c := range cands {
		if seen[[2]int{c.Generation, c.Index}] {
			t.Fatalf("candidate (%d, %d) stored twice", c.Generation, c.Index)
		}
		seen[[2]int{c.Generation, c.Index}] = true
	}
	if gs, _ := st.Generations(ctx, sr.ID); len(gs) != 5 || len(cands) != 30 {
		t.Fatalf("%d generations, %d candidates; want 5 and 30", len(gs), len(cands))
	}
	a, err := policies.ReadFile(filepath.Join(dir, "killed.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := policies.ReadFile(filepath.Join(dir, "full.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Error("the resumed search wrote another policy than the uninterrupted one")
	}
}
