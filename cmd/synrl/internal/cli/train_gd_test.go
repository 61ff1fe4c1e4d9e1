package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synrl/synrl/results"
)

// TestTrainGD trains by gradient descent through Main: the run is logged
// with trainer gd, its optimizer and learning rate, and a curve.
func TestTrainGD(t *testing.T) {
	db := filepath.Join(t.TempDir(), "g.db")
	code, out, stderr := run(t, "train", "--trainer", "gd", "--task", "boundary", "--hidden", "16",
		"--optimizer", "adam", "--lr", "0.01", "--iters", "400", "--batch", "50", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	if m["trainer"] != "gd" || m["iters"] != 400.0 || !(m["val_acc"].(float64) > 0.85) {
		t.Errorf("summary %v", m)
	}
	s, err := results.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	runs, err := s.Runs(ctx, results.RunFilter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	r := runs[0]
	if r.Status != results.StatusDone || r.Trainer != "gd" || r.Params["optimizer"] != "adam" || r.Params["lr"] != 0.01 ||
		r.Params["batch"] != 50.0 || r.Policy != "" {
		t.Errorf("stored run %+v", r)
	}
	curve, err := s.Curve(ctx, r.ID)
	if err != nil || len(curve) != 3*21 {
		t.Errorf("curve of %d points (%v), want batch_loss, val_loss, val_acc at 21 steps", len(curve), err)
	}

	for _, bad := range [][]string{{"--optimizer", "rmsprop"}, {"--lr", "-1"}} {
		args := append([]string{"train", "--trainer", "gd", "--iters", "5", "--db", db}, bad...)
		if code, _, stderr := run(t, args...); code != 2 || !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v: exit %d, %q", bad, code, stderr)
		}
	}
}

// TestTrainGDMNISTSubset trains 784-10 with SGD on a small MNIST subset
// through Main: well above chance.
func TestTrainGDMNISTSubset(t *testing.T) {
	if testing.Short() {
		t.Skip("loads MNIST")
	}
	db := filepath.Join(t.TempDir(), "g.db")
	code, out, stderr := run(t, "train", "--trainer", "gd", "--task", "mnist:train=2000,val=500,test=500",
		"--hidden", "0", "--iters", "1000", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if m := lastJSON(t, out); !(m["test_acc"].(float64) > 0.80) {
		t.Errorf("test acc %v, want > 0.80", m["test_acc"])
	}
}
