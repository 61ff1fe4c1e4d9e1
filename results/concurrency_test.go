package results

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
)

// Environment of the helper process that writes as one more writer.
const (
	envWriterDB = "SYNRL_RESULTS_TEST_WRITER_DB"
	envWriterID = "SYNRL_RESULTS_TEST_WRITER_ID"
)

const writesPerWriter = 25

// write is one writer's work: runs with curves, generations of a shared
// search (created by whichever writer comes first) and fitness cache entries.
func write(ctx context.Context, path string, writer int) error {
	s, err := Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	sr, _, err := s.StartSearch(ctx, "shared", "ga", []byte(`{"pop":2}`), 1, "test")
	if err != nil {
		return err
	}
	for i := 0; i < writesPerWriter; i++ {
		id, err := s.StartRun(ctx, RunSpec{Task: "mnist", Seed: int64(writer*1000 + i)})
		if err != nil {
			return err
		}
		pts := []Point{{0, "loss", 1}, {1, "loss", 0.5}, {0, "acc", 0.1}, {1, "acc", 0.6}}
		if err := s.AppendCurve(ctx, id, pts); err != nil {
			return err
		}
		if err := s.FinishRun(ctx, id, StatusDone, Metrics{Iters: 2, ValAcc: 0.6}, "", nil); err != nil {
			return err
		}
		gen := writer*1000 + i
		cands := []Candidate{{Generation: gen, Index: 0, Hash: "x"}, {Generation: gen, Index: 1, Hash: "y"}}
		if err := s.SaveGeneration(ctx, Generation{SearchID: sr.ID, Generation: gen}, cands); err != nil {
			return err
		}
		if err := s.PutFitness(ctx, fmt.Sprintf("w%d-%d", writer, i), "k", 1, nil); err != nil {
			return err
		}
		if err := s.PutFitness(ctx, "common", "k", float64(writer), nil); err != nil {
			return err
		}
	}
	return nil
}

// TestHelperWriter is not a test: TestConcurrentWriters runs the test binary
// again with this test selected and the environment set, to get a writer in
// another process.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(envWriterDB)
	if path == "" {
		t.Skip("helper process for TestConcurrentWriters")
	}
	writer, err := strconv.Atoi(os.Getenv(envWriterID))
	if err != nil {
		t.Fatal(err)
	}
	if err := write(context.Background(), path, writer); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	if os.Getenv(envWriterDB) != "" {
		t.Skip("in a helper process")
	}
	ctx := context.Background()
	path := t.TempDir() + "/shared.db"
	const goroutines, processes = 2, 2
	errs := make(chan error, goroutines+processes)
	var wg sync.WaitGroup
	for p := 0; p < processes; p++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), envWriterDB+"="+path, envWriterID+"="+strconv.Itoa(goroutines+p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("helper process: %v\n%s", err, out)
			}
		}()
	}
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := write(ctx, path, g); err != nil {
				errs <- fmt.Errorf("writer %d: %w", g, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writers := goroutines + processes
	n := writers * writesPerWriter
	for _, c := range []struct {
		query string
		want  int
	}{
		{"SELECT count(*) FROM runs WHERE status = 'done'", n},
		{"SELECT count(*) FROM runs", n},
		{"SELECT count(DISTINCT seed) FROM runs", n},
		{"SELECT count(*) FROM curves", 4 * n},
		{"SELECT count(*) FROM searches", 1},
		{"SELECT resumes FROM searches", writers - 1},
		{"SELECT count(*) FROM generations", n},
		{"SELECT count(*) FROM candidates", 2 * n},
		{"SELECT count(*) FROM fitness_cache", n + 1},
	} {
		var got int
		if err := s.db.QueryRow(c.query).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s = %d, want %d", c.query, got, c.want)
		}
	}
}
