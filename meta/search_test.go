package meta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/synrl/synrl/policies"
	"github.com/synrl/synrl/results"
)

func openTestStore(t testing.TB, path string) *results.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "synrl.db")
	}
	st, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func smallSettings(store *results.Store, name string, seed uint64) SearchSettings {
	return SearchSettings{
		Generations: 3, Population: 4, Workers: 2, Seed: seed, Store: store, Name: name,
		HeldOut: HeldOutConfig{Tasks: 2, Seeds: 1, Baselines: []string{"wsls", "zero"}},
	}
}

// checkStored checks the stored search: done, the expected generations,
// every candidate present once, and the best policy among them.
func checkStored(t *testing.T, st *results.Store, name string, gens, perGen int, res *SearchResult) {
	t.Helper()
	ctx := context.Background()
	sr, err := st.SearchByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if sr.Status != results.StatusDone {
		t.Errorf("%s: status %s, want done", name, sr.Status)
	}
	gs, err := st.Generations(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != gens {
		t.Fatalf("%s: %d generations stored, want %d", name, len(gs), gens)
	}
	for i, g := range gs {
		if g.Generation != i {
			t.Fatalf("%s: generation %d stored as %d", name, i, g.Generation)
		}
	}
	cands, err := st.Candidates(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != gens*perGen {
		t.Fatalf("%s: %d candidates stored, want %d x %d", name, len(cands), gens, perGen)
	}
	seen := map[[2]int]bool{}
	hashes := map[string]bool{}
	for _, c := range cands {
		k := [2]int{c.Generation, c.Index}
		if seen[k] {
			t.Fatalf("%s: candidate (%d, %d) stored twice", name, c.Generation, c.Index)
		}
		seen[k] = true
		p, err := policies.Parse(c.PolicyJSON)
		if err != nil {
			t.Fatalf("%s: candidate (%d, %d): %v", name, c.Generation, c.Index, err)
		}
		if p.Hash() != c.Hash {
			t.Fatalf("%s: candidate (%d, %d): hash %s of a table hashing %s", name, c.Generation, c.Index, c.Hash, p.Hash())
		}
		hashes[c.Hash] = true
	}
	if res.Best == nil || !hashes[res.Best.Hash()] {
		t.Fatalf("%s: best policy is not among the candidates", name)
	}
	if sr.BestFitness != res.BestFitness.Score {
		t.Errorf("%s: stored best fitness %v, result %v", name, sr.BestFitness, res.BestFitness.Score)
	}
	if len(sr.HeldOutJSON) == 0 {
		t.Errorf("%s: no held-out results stored", name)
	}
}

func TestMethodsEndToEnd(t *testing.T) {
	st := openTestStore(t, "")
	for _, m := range []Method{DefaultQLearn(), DefaultGA(), GA{Genome: GenomeQ, Elite: 1, Tournament: 2, Crossover: 0.5, Mutation: 0.1, Sigma: 0.3}, DefaultCMAES(), Random{Range: 1}} {
		name := m.Name()
		if ga, ok := m.(GA); ok {
			name += "-" + ga.Genome
		}
		t.Run(name, func(t *testing.T) {
			s := smallSettings(st, name, 1)
			var reports []GenerationReport
			s.Progress = func(g GenerationReport) { reports = append(reports, g) }
			res, err := Search(context.Background(), tinyProblem(), s, m)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusGenerations || res.Generations != 3 || len(reports) != 3 {
				t.Fatalf("status %s, %d generations, %d reports; want generations, 3, 3", res.Status, res.Generations, len(reports))
			}
			if err := res.Best.Validate(); err != nil {
				t.Fatal(err)
			}
			perGen := s.Population
			if m.Name() == "qlearn" {
				perGen = 1
				if res.Episodes != 3*s.Population {
					t.Errorf("%d episodes, want %d", res.Episodes, 3*s.Population)
				}
			}
			checkStored(t, st, name, 3, perGen, res)
			if res.HeldOut == nil || len(res.HeldOut.Policies) != 3 || res.HeldOut.Policies[0].Name != "best" {
				t.Fatalf("held-out report %+v: want best, wsls, zero", res.HeldOut)
			}
			for _, p := range res.HeldOut.Policies {
				if len(p.Runs) != 2 {
					t.Errorf("held-out %s: %d runs, want 2", p.Name, len(p.Runs))
				}
			}
			// The policy file round trip.
			path := filepath.Join(t.TempDir(), "best.json")
			if err := policies.WriteFile(path, res.Best); err != nil {
				t.Fatal(err)
			}
			back, err := policies.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if back.Hash() != res.Best.Hash() {
				t.Error("policy file round trip changed the table")
			}
		})
	}
}

func TestSearchWithoutStore(t *testing.T) {
	s := smallSettings(nil, "", 2)
	s.HeldOut.Tasks = 0
	res, err := Search(context.Background(), tinyProblem(), s, Random{})
	if err != nil {
		t.Fatal(err)
	}
	if res.SearchID != 0 || res.HeldOut != nil || res.Best == nil || res.Generations != 3 {
		t.Fatalf("result %+v", res)
	}
}

// TestSearchDeterministic runs ga and cmaes twice with different worker
// counts: the stored candidates must be identical.
func TestSearchDeterministic(t *testing.T) {
	for _, m := range []Method{DefaultGA(), DefaultCMAES()} {
		t.Run(m.Name(), func(t *testing.T) {
			var runs [2][]results.Candidate
			for i, workers := range []int{1, 2} {
				st := openTestStore(t, "")
				s := smallSettings(st, "d", 5)
				s.Workers, s.HeldOut.Tasks = workers, 0
				res, err := Search(context.Background(), tinyProblem(), s, m)
				if err != nil {
					t.Fatal(err)
				}
				if runs[i], err = st.Candidates(context.Background(), res.SearchID); err != nil {
					t.Fatal(err)
				}
			}
			if len(runs[0]) != len(runs[1]) {
				t.Fatalf("%d vs %d candidates", len(runs[0]), len(runs[1]))
			}
			for i := range runs[0] {
				a, b := runs[0][i], runs[1][i]
				if a.Hash != b.Hash || a.Fitness != b.Fitness {
					t.Fatalf("candidate %d/%d differs between 1 and 2 workers: %s %v vs %s %v",
						a.Generation, a.Index, a.Hash[:8], a.Fitness, b.Hash[:8], b.Fitness)
				}
			}
		})
	}
}

func TestSearchInputErrors(t *testing.T) {
	st := openTestStore(t, "")
	ctx := context.Background()
	badProblem := tinyProblem()
	badProblem.Iters = 0
	for _, tc := range []struct {
		name   string
		p      Problem
		s      SearchSettings
		m      Method
		expect string
	}{
		{"ga population", tinyProblem(), func() SearchSettings { s := smallSettings(st, "x1", 1); s.Population = 2; return s }(), DefaultGA(), "--population=2"},
		{"cmaes population", tinyProblem(), func() SearchSettings { s := smallSettings(st, "x2", 1); s.Population = 1; return s }(), DefaultCMAES(), "--population=1"},
		{"ga genome", tinyProblem(), smallSettings(st, "x3", 1), GA{Genome: "bits", Tournament: 2}, "--genome"},
		{"iters", badProblem, smallSettings(st, "x4", 1), Random{}, "--iters"},
		{"no name", tinyProblem(), smallSettings(st, "", 1), Random{}, "--name"},
		{"qlearn init", tinyProblem(), smallSettings(st, "x5", 1), QLearn{Init: "builtin:nosuch"}, "--init"},
		{"task", func() Problem { p := tinyProblem(); p.Tasks = "boundary:dims=0"; return p }(), smallSettings(st, "x6", 1), Random{}, "--task"},
	} {
		_, err := Search(ctx, tc.p, tc.s, tc.m)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.expect) {
			t.Errorf("%s: error %v, want an InputError mentioning %q", tc.name, err, tc.expect)
		}
	}
	srs, err := st.Searches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(srs) != 0 {
		t.Errorf("bad input stored %d searches", len(srs))
	}
}

func TestSearchConfigMismatch(t *testing.T) {
	st := openTestStore(t, "")
	ctx := context.Background()
	s := smallSettings(st, "m", 1)
	s.Generations, s.HeldOut.Tasks = 2, 0
	if _, err := Search(ctx, tinyProblem(), s, Random{}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.SearchByName(ctx, "m")
	p := tinyProblem()
	p.Iters = 99
	_, err := Search(ctx, p, s, Random{})
	var ie *InputError
	if !errors.As(err, &ie) || !errors.Is(err, results.ErrConfigMismatch) || !strings.Contains(err.Error(), "iters: old 120 new 99") {
		t.Fatalf("error %v: want an InputError wrapping ErrConfigMismatch naming iters", err)
	}
	if _, err := Search(ctx, tinyProblem(), s, DefaultGA()); !errors.Is(err, results.ErrConfigMismatch) || !strings.Contains(err.Error(), "method") {
		t.Fatalf("other method: error %v", err)
	}
	after, _ := st.SearchByName(ctx, "m")
	if string(after.Config) != string(before.Config) || after.Status != before.Status || after.Resumes != before.Resumes {
		t.Fatalf("a refused resume changed the search: %+v -> %+v", before, after)
	}
	// The same configuration resumes, from the cache.
	res, err := Search(ctx, tinyProblem(), s, Random{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.Evaluations != 0 || res.CacheHits != 2*s.Population {
		t.Fatalf("resume of a finished search: resumed %v, %d trained, %d cached; want true, 0, %d",
			res.Resumed, res.Evaluations, res.CacheHits, 2*s.Population)
	}
}

// gaResumeSettings is the configuration of the resume tests: a ga of 5
// generations of 6 on the default problem (slow enough to be killed mid
// generation).
func gaResumeSettings(st *results.Store) (Problem, SearchSettings, Method) {
	s := SearchSettings{Generations: 5, Population: 6, Workers: 2, Seed: 11, Store: st, Name: "resume"}
	return DefaultProblem(), s, DefaultGA()
}

// compareRuns checks that two stores hold the same search, candidate by
// candidate.
func compareRuns(t *testing.T, want, got *results.Store, gens, pop int) {
	t.Helper()
	ctx := context.Background()
	var cands [2][]results.Candidate
	for i, st := range []*results.Store{want, got} {
		sr, err := st.SearchByName(ctx, "resume")
		if err != nil {
			t.Fatal(err)
		}
		if sr.Status != results.StatusDone {
			t.Fatalf("status %s", sr.Status)
		}
		gs, _ := st.Generations(ctx, sr.ID)
		if len(gs) != gens {
			t.Fatalf("%d generations, want %d", len(gs), gens)
		}
		cands[i], _ = st.Candidates(ctx, sr.ID)
		if len(cands[i]) != gens*pop {
			t.Fatalf("%d candidates, want %d", len(cands[i]), gens*pop)
		}
	}
	for i := range cands[0] {
		a, b := cands[0][i], cands[1][i]
		if a.Generation != b.Generation || a.Index != b.Index || a.Hash != b.Hash || a.Fitness != b.Fitness {
			t.Fatalf("candidate %d: uninterrupted (%d, %d) %s %v, resumed (%d, %d) %s %v", i,
				a.Generation, a.Index, a.Hash[:8], a.Fitness, b.Generation, b.Index, b.Hash[:8], b.Fitness)
		}
	}
}

func TestGAResumeAfterCancel(t *testing.T) {
	ctx := context.Background()
	full := openTestStore(t, "")
	p, s, m := gaResumeSettings(full)
	want, err := Search(ctx, p, s, m)
	if err != nil {
		t.Fatal(err)
	}

	st := openTestStore(t, "")
	p, s, m = gaResumeSettings(st)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.Progress = func(g GenerationReport) {
		if g.Generation == 1 {
			time.AfterFunc(30*time.Millisecond, cancel) // in the third generation
		}
	}
	part, err := Search(cctx, p, s, m)
	if !errors.Is(err, context.Canceled) || part == nil || part.Status != StatusInterrupted {
		t.Fatalf("cancelled search: %v, %+v", err, part)
	}
	sr, _ := st.SearchByName(ctx, "resume")
	if sr.Status != results.StatusInterrupted {
		t.Fatalf("status %s, want interrupted", sr.Status)
	}
	t.Logf("cancelled after %d generations", part.Generations)

	s.Progress = nil
	got, err := Search(ctx, p, s, m)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Resumed || got.Generations != s.Generations {
		t.Fatalf("resumed %v, %d generations", got.Resumed, got.Generations)
	}
	if got.BestFitness.Score != want.BestFitness.Score || got.Best.Hash() != want.Best.Hash() {
		t.Fatalf("resumed best %v, uninterrupted %v", got.BestFitness.Score, want.BestFitness.Score)
	}
	compareRuns(t, full, st, s.Generations, s.Population)
}

// TestGAKillChild is the process TestGAResumeAfterKill kills; it runs only
// when that test starts it.
func TestGAKillChild(t *testing.T) {
	db, marker := os.Getenv("SYNRL_TEST_KILL_DB"), os.Getenv("SYNRL_TEST_KILL_MARKER")
	if db == "" {
		t.Skip("started by TestGAResumeAfterKill")
	}
	st := openTestStore(t, db)
	p, s, m := gaResumeSettings(st)
	s.Workers = 1 // slower: more time to be killed in the third generation
	s.Progress = func(g GenerationReport) {
		if g.Generation == 1 {
			os.WriteFile(marker, nil, 0o644)
		}
	}
	Search(context.Background(), p, s, m)
}

// TestGAResumeAfterKill kills a ga search with SIGKILL in its third
// generation, reruns it and compares with an uninterrupted run.
func TestGAResumeAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	db, marker := filepath.Join(dir, "killed.db"), filepath.Join(dir, "marker")
	cmd := exec.Command(os.Args[0], "-test.run=^TestGAKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SYNRL_TEST_KILL_DB="+db, "SYNRL_TEST_KILL_MARKER="+marker)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child never finished its second generation")
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(40 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	ctx := context.Background()
	st := openTestStore(t, db)
	sr, err := st.SearchByName(ctx, "resume")
	if err != nil {
		t.Fatal(err)
	}
	gs, _ := st.Generations(ctx, sr.ID)
	t.Logf("killed with status %s after %d stored generations", sr.Status, len(gs))
	if sr.Status != results.StatusRunning || len(gs) < 2 || len(gs) >= 5 {
		t.Fatalf("killed search: status %s, %d generations; want running, 2 to 4", sr.Status, len(gs))
	}

	p, s, m := gaResumeSettings(st)
	got, err := Search(ctx, p, s, m)
	if err != nil {
		t.Fatal(err)
	}
	full := openTestStore(t, "")
	p, s, m = gaResumeSettings(full)
	want, err := Search(ctx, p, s, m)
	if err != nil {
		t.Fatal(err)
	}
	if got.Generations != s.Generations || got.BestFitness.Score != want.BestFitness.Score {
		t.Fatalf("resumed: %d generations, best %v; uninterrupted best %v", got.Generations, got.BestFitness.Score, want.BestFitness.Score)
	}
	compareRuns(t, full, st, s.Generations, s.Population)
}

func TestQLearnResume(t *testing.T) {
	ctx := context.Background()
	run := func(st *results.Store, cctx context.Context, progress func(GenerationReport)) (*SearchResult, error) {
		s := smallSettings(st, "q", 3)
		s.Generations, s.HeldOut.Tasks, s.Progress = 4, 0, progress
		return Search(cctx, tinyProblem(), s, DefaultQLearn())
	}
	want, err := run(openTestStore(t, ""), ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, "")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, err := run(st, cctx, func(g GenerationReport) {
		if g.Generation == 1 {
			cancel()
		}
	}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled qlearn: %v", err)
	}
	got, err := run(st, ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Best.Hash() != want.Best.Hash() || got.BestFitness.Score != want.BestFitness.Score {
		t.Fatalf("resumed qlearn ends with %s (%v), uninterrupted %s (%v)",
			got.Best.Hash()[:8], got.BestFitness.Score, want.Best.Hash()[:8], want.BestFitness.Score)
	}
	if got.Episodes != 2*4 {
		t.Errorf("resume ran %d episodes, want the 2 remaining generations x 4", got.Episodes)
	}
	sr, _ := st.SearchByName(ctx, "q")
	gs, _ := st.Generations(ctx, sr.ID)
	if len(gs) != 4 {
		t.Fatalf("%d generations stored, want 4", len(gs))
	}
}

func BenchmarkEvaluations(b *testing.B) {
	p := DefaultProblem()
	set, err := p.EvalSet(1)
	if err != nil {
		b.Fatal(err)
	}
	key := p.EvalKey(set)
	tables := make([]*policies.Table, 8)
	for i := range tables {
		tables[i], _ = policies.Builtin(fmt.Sprintf("random:%d", i+1), p.History, 0)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			n := 0
			for b.Loop() {
				ev := newEvaluator(&p, nil, workers) // no memory of earlier loops
				if _, err := ev.evaluateAll(context.Background(), tables, set, key); err != nil {
					b.Fatal(err)
				}
				n += len(tables)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "evals/s")
		})
	}
}

// TestConcurrentSearchesOneDatabase runs two searches at once, each with
// its own connection to one database file.
func TestConcurrentSearchesOneDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	errs := make(chan error, 2)
	for i, m := range []Method{DefaultGA(), Random{}} {
		st := openTestStore(t, path)
		go func() {
			s := smallSettings(st, fmt.Sprintf("c%d", i), uint64(i))
			_, err := Search(context.Background(), tinyProblem(), s, m)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := openTestStore(t, path)
	srs, err := st.Searches(context.Background())
	if err != nil || len(srs) != 2 {
		t.Fatalf("%d searches stored (%v), want 2", len(srs), err)
	}
	for _, sr := range srs {
		if sr.Status != results.StatusDone {
			t.Errorf("search %s: status %s", sr.Name, sr.Status)
		}
	}
}
