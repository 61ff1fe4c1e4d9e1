package results

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStartSearchCreatesThenResumes(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	fakeClock(s, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))

	sr, resumed, err := s.StartSearch(ctx, "ga-1", "ga", []byte(`{ "sigma": 0.5, "pop": 10, "tasks": ["a<b"] }`), 3, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if resumed || sr.ID == 0 || sr.Name != "ga-1" || sr.Method != "ga" || sr.Seed != 3 || sr.Status != StatusRunning || sr.Version != "v1" {
		t.Errorf("new search = %+v, resumed %v", sr, resumed)
	}
	if want := `{"pop":10,"sigma":0.5,"tasks":["a<b"]}`; string(sr.Config) != want {
		t.Errorf("Config = %s, want normalised %s", sr.Config, want)
	}
	if !math.IsNaN(sr.BestFitness) || !sr.Ended.IsZero() {
		t.Errorf("running search: best %v ended %v", sr.BestFitness, sr.Ended)
	}
	// clock: start at t0, finish at t0+1s, resume at t0+2s, finish at t0+4s.
	if err := s.FinishSearch(ctx, sr.ID, StatusInterrupted, 0.7, []byte(`{"p":1}`), nil, ""); err != nil {
		t.Fatal(err)
	}
	again, resumed, err := s.StartSearch(ctx, "ga-1", "ga", []byte(`{"tasks":["a<b"],"pop":10,"sigma":0.5}`), 3, "v2")
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !resumed || again.ID != sr.ID || again.Status != StatusRunning || !again.Ended.IsZero() ||
		again.Resumes != 1 || again.Version != "v2" || !again.Started.Equal(sr.Started) {
		t.Errorf("resumed search = %+v, resumed %v", again, resumed)
	}
	s.now() // let one more second pass in this session
	if err := s.FinishSearch(ctx, sr.ID, StatusDone, 0.9, []byte(`{"p":2}`), []byte(`{"held":0.85}`), ""); err != nil {
		t.Fatal(err)
	}
	done, err := s.SearchByName(ctx, "ga-1")
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != StatusDone || done.BestFitness != 0.9 || string(done.BestPolicyJSON) != `{"p":2}` ||
		string(done.HeldOutJSON) != `{"held":0.85}` || done.WallSeconds != 3 || done.Ended.IsZero() {
		t.Errorf("finished search = %+v (want wall 1+2 = 3 s)", done)
	}
	err = s.FinishSearch(ctx, sr.ID, StatusFailed, 0, nil, nil, "late")
	if !errors.Is(err, ErrNotRunning) {
		t.Errorf("second FinishSearch = %v, want ErrNotRunning", err)
	}
	if err := s.FinishSearch(ctx, 999, StatusDone, 0, nil, nil, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("FinishSearch(999) = %v, want ErrNotFound", err)
	}
}

func TestStartSearchMismatch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	orig, _, err := s.StartSearch(ctx, "q", "ga", []byte(`{"pop":10,"sigma":0.5,"tasks":["a"]}`), 1, "v1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		method       string
		config       string
		seed         int64
		want, absent []string
	}{
		{"keys", "ga", `{"pop":20,"sigma":0.5,"tasks":["a"],"elite":2}`, 1,
			[]string{"pop: old 10 new 20", "elite: old (absent) new 2"}, []string{"sigma", "tasks", "method", "seed"}},
		{"removed key", "ga", `{"pop":10,"sigma":0.5}`, 1, []string{`tasks: old ["a"] new (absent)`}, []string{"pop"}},
		{"method", "cmaes", `{"pop":10,"sigma":0.5,"tasks":["a"]}`, 1, []string{`method: old "ga" new "cmaes"`}, []string{"pop"}},
		{"seed", "ga", `{"pop":10,"sigma":0.5,"tasks":["a"]}`, 2, []string{"seed: old 1 new 2"}, []string{"pop"}},
		{"not an object", "ga", `[1,2]`, 1, []string{"config: old"}, nil},
	} {
		_, resumed, err := s.StartSearch(ctx, "q", tc.method, []byte(tc.config), tc.seed, "v2")
		if !errors.Is(err, ErrConfigMismatch) || resumed {
			t.Errorf("%s: err %v resumed %v, want ErrConfigMismatch", tc.name, err, resumed)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"q"`) {
			t.Errorf("%s: %q does not name the search", tc.name, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q does not contain %q", tc.name, msg, w)
			}
		}
		for _, a := range tc.absent {
			if strings.Contains(msg, a+":") {
				t.Errorf("%s: %q lists %q, which did not change", tc.name, msg, a)
			}
		}
	}
	// A refused start leaves the search as it was.
	after, err := s.SearchByName(ctx, "q")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after.Config, orig.Config) || after.Version != "v1" || after.Resumes != 0 {
		t.Errorf("search changed by refused starts: %+v", after)
	}
	if _, _, err := s.StartSearch(ctx, "bad", "ga", []byte(`{"pop":`), 1, ""); err == nil {
		t.Error("StartSearch with invalid JSON accepted")
	}
	if _, err := s.SearchByName(ctx, "bad"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SearchByName(bad) = %v, want ErrNotFound", err)
	}
}

func sampleGeneration(searchID int64, gen int) (Generation, []Candidate) {
	g := Generation{SearchID: searchID, Generation: gen, Best: 0.9, Mean: 0.6, Std: math.NaN(),
		Evaluations: 3, WallSeconds: 1.5, StateJSON: []byte(`{"mu":[0.1]}`),
		At: time.Date(2025, 2, 1, 0, 0, gen, 0, time.UTC)}
	var cs []Candidate
	for _, i := range []int{2, 0, 1} {
		cs = append(cs, Candidate{SearchID: searchID, Generation: gen, Index: i,
			Hash: "h" + string(rune('a'+i)), PolicyJSON: []byte(`{"i":1}`), Fitness: float64(i) / 10,
			ScoresJSON: []byte(`{"mnist":0.5}`), WallSeconds: 0.5, Cached: i == 1})
	}
	return g, cs
}

func TestSaveGenerationIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	sr, _, err := s.StartSearch(ctx, "g", "ga", nil, 1, "v7")
	if err != nil {
		t.Fatal(err)
	}
	g0, c0 := sampleGeneration(sr.ID, 0)
	if err := s.SaveGeneration(ctx, g0, c0); err != nil {
		t.Fatal(err)
	}
	// Replay with other values: no error, nothing changes.
	replay, rc := sampleGeneration(sr.ID, 0)
	replay.Best = 0.1
	rc = append(rc, Candidate{Generation: 0, Index: 3, Hash: "extra"})
	if err := s.SaveGeneration(ctx, replay, rc); err != nil {
		t.Fatalf("replay: %v", err)
	}
	g1, c1 := sampleGeneration(sr.ID, 1)
	if err := s.SaveGeneration(ctx, g1, c1); err != nil {
		t.Fatal(err)
	}

	gens, err := s.Generations(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != 2 {
		t.Fatalf("%d generations, want 2", len(gens))
	}
	got := gens[0]
	if got.Best != 0.9 || got.Mean != 0.6 || !math.IsNaN(got.Std) || got.Evaluations != 3 || got.WallSeconds != 1.5 ||
		string(got.StateJSON) != `{"mu":[0.1]}` || got.Version != "v7" || !got.At.Equal(g0.At) || gens[1].Generation != 1 {
		t.Errorf("generation 0 = %+v", got)
	}
	cands, err := s.Candidates(ctx, sr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 6 {
		t.Fatalf("%d candidates, want 6", len(cands))
	}
	for i, c := range cands {
		if c.Generation != i/3 || c.Index != i%3 || c.SearchID != sr.ID {
			t.Errorf("candidate %d is generation %d index %d", i, c.Generation, c.Index)
		}
	}
	want := Candidate{SearchID: sr.ID, Generation: 0, Index: 1, Hash: "hb", PolicyJSON: []byte(`{"i":1}`),
		Fitness: 0.1, ScoresJSON: []byte(`{"mnist":0.5}`), WallSeconds: 0.5, Cached: true}
	if !reflect.DeepEqual(cands[1], want) {
		t.Errorf("candidate = %+v\nwant %+v", cands[1], want)
	}
	var byHash int
	s.db.QueryRow("SELECT count(*) FROM candidates WHERE hash = 'hb'").Scan(&byHash)
	if byHash != 2 {
		t.Errorf("%d candidates with hash hb, want 2", byHash)
	}
}

func TestSaveGenerationIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	sr, _, err := s.StartSearch(ctx, "g", "ga", nil, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	g, cs := sampleGeneration(sr.ID, 0)
	cs = append(cs, cs[0]) // duplicate index: the last insert fails
	if err := s.SaveGeneration(ctx, g, cs); err == nil || !strings.Contains(err.Error(), "search") {
		t.Fatalf("SaveGeneration with a duplicate candidate = %v", err)
	}
	gens, _ := s.Generations(ctx, sr.ID)
	cands, _ := s.Candidates(ctx, sr.ID)
	if len(gens) != 0 || len(cands) != 0 {
		t.Errorf("failed save left %d generations and %d candidates", len(gens), len(cands))
	}
	// With the candidates fixed, the generation can then be saved.
	if err := s.SaveGeneration(ctx, g, cs[:3]); err != nil {
		t.Fatal(err)
	}
}

func TestSaveGenerationRejects(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	sr, _, _ := s.StartSearch(ctx, "g", "ga", nil, 1, "")
	g, cs := sampleGeneration(sr.ID, 4)
	cs[1].Generation = 5
	if err := s.SaveGeneration(ctx, g, cs); err == nil {
		t.Error("candidate of another generation accepted")
	}
	g, cs = sampleGeneration(sr.ID+1, 0)
	if err := s.SaveGeneration(ctx, g, cs); !errors.Is(err, ErrNotFound) {
		t.Errorf("generation of unknown search = %v, want ErrNotFound", err)
	}
	if _, err := s.Generations(ctx, sr.ID+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Generations(unknown) = %v", err)
	}
	if _, err := s.Candidates(ctx, sr.ID+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("Candidates(unknown) = %v", err)
	}
}

func TestSearchesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	fakeClock(s, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))
	for _, name := range []string{"a", "b", "c"} {
		if _, _, err := s.StartSearch(ctx, name, "random", nil, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	srs, err := s.Searches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sr := range srs {
		names = append(names, sr.Name)
	}
	if !reflect.DeepEqual(names, []string{"c", "b", "a"}) {
		t.Errorf("Searches = %v, want c b a", names)
	}
}

func TestFitnessCache(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, _, ok, err := s.CachedFitness(ctx, "p1", "k1"); ok || err != nil {
		t.Fatalf("empty cache: ok %v err %v", ok, err)
	}
	if err := s.PutFitness(ctx, "p1", "k1", 0.75, []byte(`{"mnist":0.75}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFitness(ctx, "p1", "k1", 0.1, nil); err != nil { // ignored: already cached
		t.Fatal(err)
	}
	if err := s.PutFitness(ctx, "p2", "k1", math.NaN(), nil); err != nil {
		t.Fatal(err)
	}
	f, scores, ok, err := s.CachedFitness(ctx, "p1", "k1")
	if err != nil || !ok || f != 0.75 || string(scores) != `{"mnist":0.75}` {
		t.Errorf("hit = %v %s %v %v", f, scores, ok, err)
	}
	if _, _, ok, _ := s.CachedFitness(ctx, "p1", "k2"); ok {
		t.Error("hit under another evaluation key")
	}
	if f, scores, ok, _ := s.CachedFitness(ctx, "p2", "k1"); !ok || !math.IsNaN(f) || scores != nil {
		t.Errorf("NaN entry = %v %s %v", f, scores, ok)
	}
}
