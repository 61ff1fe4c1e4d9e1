package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synrl/synrl/results"
)

func TestTrainBoundaryLearnsAndIsReproducible(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	args := []string{"train", "--task", "boundary", "--json", "--db", db}
	code, out, stderr := run(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"run_id", "iters", "seconds", "iters_per_sec", "train_loss", "val_loss", "val_acc", "test_acc"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	// Default boundary task: 2 balanced-ish classes; chance is the majority
	// class, at most ~0.55 on this task (checked in inner's tests).
	if acc := m["val_acc"].(float64); acc < 0.7 {
		t.Errorf("val_acc %.3f: not well above chance", acc)
	}
	_, out2, _ := run(t, args...)
	m2 := lastJSON(t, out2)
	for _, k := range []string{"train_loss", "val_loss", "val_acc", "test_acc", "iters"} {
		if m[k] != m2[k] {
			t.Errorf("same seed, different %s: %v vs %v", k, m[k], m2[k])
		}
	}
	if m["run_id"] == m2["run_id"] {
		t.Error("second run reused the first run's id")
	}
	// Both runs and their curves are in the database.
	s, err := results.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, _ := s.Runs(context.Background(), results.RunFilter{})
	if len(runs) != 2 || runs[0].Status != results.StatusDone {
		t.Fatalf("runs: %+v", runs)
	}
	curve, _ := s.Curve(context.Background(), runs[0].ID)
	if len(curve) < 20 {
		t.Errorf("curve has %d points", len(curve))
	}
	// And queryable from the sqlite3 shell, as a user would.
	if _, err := exec.LookPath("sqlite3"); err == nil {
		out, err := exec.Command("sqlite3", db, "select count(*) from curves where run_id=1 and metric='val_acc'; select status from runs where id=1;").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "done") {
			t.Errorf("sqlite3: %v %s", err, out)
		}
	}
}

func TestTrainAdaptiveSavesPolicy(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "learned.json")
	code, _, stderr := run(t, "train", "--task", "boundary", "--adaptive", "--policy", "builtin:zero", "--iters", "300",
		"--save-policy", out, "--db", filepath.Join(dir, "s.db"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, show, stderr := run(t, "policy", "show", out)
	if code != 0 || !strings.Contains(show, "greedy actions:") {
		t.Fatalf("policy show of the saved table: exit %d %s %s", code, show, stderr)
	}
	if code, _, stderr := run(t, "policy", "validate", out); code != 0 {
		t.Fatalf("validate: %s", stderr)
	}
}

// writeIDX writes an IDX images file with n images of 2x2 pixels, cut short
// by cut bytes.
func writeIDX(t *testing.T, path string, n, cut int) {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, []uint32{0x803, uint32(n), 2, 2})
	b.Write(make([]byte, 4*n-cut))
	os.WriteFile(path, b.Bytes(), 0o644)
}

func TestTrainBadInputExitsTwoAndLeavesNoRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	malformed := filepath.Join(dir, "malformed.json")
	os.WriteFile(malformed, []byte(`{"format": "synrl.policy/v1", "history": 2, "q": [[0,0,`), 0o644)
	rows := filepath.Join(dir, "rows.json")
	os.WriteFile(rows, []byte(`{"format": "synrl.policy/v1", "history": 2, "q": [[0,0,1],[1,0,0]]}`), 0o644)
	// A folder task with images of two sizes.
	mixed := filepath.Join(dir, "mixed")
	for i, size := range []int{4, 4, 5} {
		cls := filepath.Join(mixed, []string{"a", "b", "b"}[i])
		os.MkdirAll(cls, 0o755)
		img := image.NewGray(image.Rect(0, 0, size, size))
		img.Set(1, 1, color.Gray{200})
		f, _ := os.Create(filepath.Join(cls, []string{"x.png", "y.png", "z.png"}[i]))
		png.Encode(f, img)
		f.Close()
	}
	// An IDX folder whose image file is truncated.
	idx := filepath.Join(dir, "idx")
	os.MkdirAll(idx, 0o755)
	writeIDX(t, filepath.Join(idx, "train-images-idx3-ubyte"), 10, 3)
	lab := []byte{0, 0, 8, 1, 0, 0, 0, 10, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	os.WriteFile(filepath.Join(idx, "train-labels-idx1-ubyte"), lab, 0o644)
	gz := filepath.Join(dir, "gz")
	os.MkdirAll(gz, 0o755)
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(lab)
	zw.Close()
	os.WriteFile(filepath.Join(gz, "train-labels-idx1-ubyte.gz"), zb.Bytes()[:zb.Len()/2], 0o644)
	writeIDX(t, filepath.Join(gz, "train-images-idx3-ubyte"), 10, 0)

	cases := []struct {
		name string
		args []string
		want string // must appear in the error
	}{
		{"missing policy file", []string{"--policy", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"malformed policy file", []string{"--policy", malformed}, "malformed.json"},
		{"wrong row count", []string{"--policy", rows}, "q has 2 rows, history 2 needs 81"},
		{"unknown builtin", []string{"--policy", "builtin:magic"}, "magic"},
		{"unknown task", []string{"--task", "cifar"}, "unknown task"},
		{"malformed task options", []string{"--task", "boundary:dims=two"}, "dims=two"},
		{"unknown task option", []string{"--task", "boundary:size=3"}, "size"},
		{"hidden not positive", []string{"--hidden", "32,-1"}, "--hidden"},
		{"hidden not a number", []string{"--hidden", "wide"}, "--hidden"},
		{"activation", []string{"--activation", "gelu"}, "--activation"},
		{"mixed image sizes", []string{"--task", "folder:" + mixed}, "z.png"},
		{"truncated IDX", []string{"--task", "idx:" + idx}, "truncated"},
		{"truncated gzip IDX", []string{"--task", "idx:" + gz}, "train-labels-idx1-ubyte.gz"},
		{"bad epsilon", []string{"--epsilon", "-1"}, "--epsilon"},
		{"bad explore", []string{"--explore", "2"}, "--explore"},
		{"unknown flag", []string{"--colour", "red"}, "colour"},
		{"bad trainer", []string{"--trainer", "sgd"}, "--trainer"},
		{"history out of range", []string{"--history", "5"}, "--history"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, append([]string{"train", "--db", db, "--iters", "5"}, c.args...)...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", c.name, code, stderr)
		}
		if !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%s: error %q should be one line naming %q", c.name, stderr, c.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		s, err := results.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if runs, _ := s.Runs(context.Background(), results.RunFilter{}); len(runs) != 0 {
			t.Errorf("bad input left %d run rows", len(runs))
		}
	}
	// An unwritable database path.
	code, _, stderr := run(t, "train", "--iters", "5", "--db", filepath.Join(dir, "no", "such", "dir", "s.db"))
	if code != 2 || !strings.Contains(stderr, "s.db") {
		t.Errorf("unwritable db: exit %d, %q", code, stderr)
	}
}

func TestTrainDivergenceClosesRunAsFailed(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	code, _, stderr := run(t, "train", "--db", db, "--epsilon", "1e37", "--policy", "builtin:random:3", "--explore", "0.5", "--iters", "200")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (%s)", code, stderr)
	}
	s, _ := results.Open(db)
	defer s.Close()
	runs, _ := s.Runs(context.Background(), results.RunFilter{})
	if len(runs) != 1 || runs[0].Status != results.StatusFailed || !strings.Contains(runs[0].Error, "NaN") {
		t.Fatalf("runs: %+v", runs)
	}
}

func TestTrainCtrlCClosesRunAsInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	db := filepath.Join(t.TempDir(), "s.db")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SYNRL_TEST_MAIN="+strings.Join([]string{"train", "--db", db, "--iters", "100000000", "--eval-every", "100"}, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the run is in the database and has written curve points.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("run never started")
		}
		if s, err := results.Open(db); err == nil {
			runs, _ := s.Runs(context.Background(), results.RunFilter{})
			var n int
			if len(runs) == 1 {
				c, _ := s.Curve(context.Background(), runs[0].ID)
				n = len(c)
			}
			s.Close()
			if n > 3 {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v (%s)", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say interrupted: %s", stderr.String())
	}
	s, _ := results.Open(db)
	defer s.Close()
	runs, _ := s.Runs(context.Background(), results.RunFilter{})
	if runs[0].Status != results.StatusInterrupted || runs[0].Iters == 0 || runs[0].Ended.IsZero() {
		t.Fatalf("run after Ctrl-C: %+v", runs[0])
	}
}
