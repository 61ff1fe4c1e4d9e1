package results

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestComparisonRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	fakeClock(s, time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))

	config := []byte(`{"seeds":[1,2],"arms":["adaptive","static","gd"]}`)
	id, err := s.StartComparison(ctx, "cmp", config, "v1")
	if err != nil {
		t.Fatal(err)
	}
	var runs []int64
	for i := 0; i < 3; i++ {
		r, err := s.StartRun(ctx, RunSpec{Task: "mnist", Seed: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	links := []ComparisonRun{
		{id, runs[0], "static", 2},
		{id, runs[1], "adaptive", 2},
		{id, runs[2], "adaptive", 1},
	}
	for _, l := range links {
		if err := s.AddComparisonRun(ctx, l.ComparisonID, l.RunID, l.Arm, l.Seed); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddComparisonRun(ctx, id, runs[0], "static", 2); err == nil {
		t.Error("linking a run twice accepted")
	}
	if err := s.AddComparisonRun(ctx, id, 999, "gd", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run = %v, want ErrNotFound", err)
	}
	if err := s.AddComparisonRun(ctx, id+1, runs[0], "gd", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown comparison = %v, want ErrNotFound", err)
	}
	got, err := s.ComparisonRuns(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ComparisonRun{links[2], links[1], links[0]}; !reflect.DeepEqual(got, want) {
		t.Errorf("ComparisonRuns = %v, want %v (by arm, seed)", got, want)
	}

	result := []byte(`{"adaptive":{"mean":0.9}}`)
	if err := s.FinishComparison(ctx, id, StatusDone, result); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishComparison(ctx, id, StatusDone, result); !errors.Is(err, ErrNotRunning) {
		t.Errorf("second finish = %v, want ErrNotRunning", err)
	}
	if err := s.FinishComparison(ctx, id+1, StatusDone, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("finish of unknown comparison = %v, want ErrNotFound", err)
	}
	id2, err := s.StartComparison(ctx, "cmp", nil, "v2") // names may repeat
	if err != nil {
		t.Fatal(err)
	}
	cs, err := s.Comparisons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != id2 || cs[1].ID != id {
		t.Fatalf("Comparisons = %+v, want ids %d, %d", cs, id2, id)
	}
	c := cs[1]
	if c.Name != "cmp" || string(c.Config) != string(config) || c.Status != StatusDone || c.Version != "v1" ||
		string(c.ResultJSON) != string(result) || !c.Ended.After(c.Started) {
		t.Errorf("comparison = %+v", c)
	}
	if one, err := s.Comparison(ctx, id); err != nil || !reflect.DeepEqual(one, c) {
		t.Errorf("Comparison(%d) = %+v, %v", id, one, err)
	}
	if cs[0].Status != StatusRunning || !cs[0].Ended.IsZero() || cs[0].Config != nil {
		t.Errorf("running comparison = %+v", cs[0])
	}
	if _, err := s.ComparisonRuns(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("ComparisonRuns(999) = %v", err)
	}
}
