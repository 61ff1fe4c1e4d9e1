package results_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/synrl/synrl/results"
)

// A training run: start it, append its curve as it goes, finish it, read it
// back.
func Example() {
	dir, err := os.MkdirTemp("", "results-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := results.Open(filepath.Join(dir, "synrl.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	id, err := s.StartRun(ctx, results.RunSpec{
		Task: "boundary:dims=2", Shape: "2-8-2", Activation: "tanh", Trainer: "gd", Seed: 1,
		Params: map[string]any{"lr": 0.05, "iters": 200, "optimizer": "sgd"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for step := 0; step <= 200; step += 100 {
		acc := 0.5 + float64(step)/500
		if err := s.AppendCurve(ctx, id, []results.Point{{Step: step, Metric: "val_acc", Value: acc}}); err != nil {
			log.Fatal(err)
		}
	}
	m := results.Metrics{Iters: 200, Seconds: 0.4, ItersPerSec: 500, ValAcc: 0.9}
	if err := s.FinishRun(ctx, id, results.StatusDone, m, "", nil); err != nil {
		log.Fatal(err)
	}

	runs, err := s.Runs(ctx, results.RunFilter{Task: "boundary"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Printf("run %d %s %s val_acc=%.2f lr=%v\n", r.ID, r.Status, r.Task, r.ValAcc, r.Params["lr"])
	}
	curve, err := s.Curve(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range curve {
		fmt.Println(p.Metric, p.Step, p.Value)
	}
	// Output:
	// run 1 done boundary:dims=2 val_acc=0.90 lr=0.05
	// val_acc 0 0.5
	// val_acc 100 0.7
	// val_acc 200 0.9
}
