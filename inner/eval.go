package inner

import "sync"

// Evaluator computes the mean loss and accuracy of a network on sets of
// samples, splitting the work over a fixed number of goroutines. Results do
// not depend on the number of workers: per-sample losses are summed in
// sample order. An Evaluator is not safe for concurrent use.
type Evaluator struct {
	net     *Net
	workers int
	ws      []*workspace
	loss    []float64
	correct []bool
	all     map[*Dataset][]int32
}

// NewEvaluator returns an evaluator for net using workers goroutines
// (at least 1).
func NewEvaluator(net *Net, workers int) *Evaluator {
	workers = max(1, workers)
	e := &Evaluator{net: net, workers: workers, all: map[*Dataset][]int32{}}
	for range workers {
		e.ws = append(e.ws, newWorkspace(net))
	}
	return e
}

// Eval returns the mean cross-entropy loss and accuracy of the network on
// the given rows of d (all rows when rows is nil).
func (e *Evaluator) Eval(d *Dataset, rows []int32) (loss, acc float64) {
	if rows == nil {
		rows = e.allRows(d)
	}
	m := len(rows)
	if m == 0 {
		return 0, 0
	}
	if cap(e.loss) < m {
		e.loss = make([]float64, m)
		e.correct = make([]bool, m)
	}
	losses, correct := e.loss[:m], e.correct[:m]
	if e.workers == 1 || m < 2*chunkRows/4 {
		e.run(e.ws[0], d, rows, losses, correct)
	} else {
		var wg sync.WaitGroup
		per := (m + e.workers - 1) / e.workers
		for w := 0; w < e.workers; w++ {
			lo, hi := w*per, min(m, (w+1)*per)
			if lo >= hi {
				break
			}
			wg.Add(1)
			go func(ws *workspace, lo, hi int) {
				defer wg.Done()
				e.run(ws, d, rows[lo:hi], losses[lo:hi], correct[lo:hi])
			}(e.ws[w], lo, hi)
		}
		wg.Wait()
	}
	hits := 0
	for i, l := range losses {
		loss += l
		if correct[i] {
			hits++
		}
	}
	return loss / float64(m), float64(hits) / float64(m)
}

func (e *Evaluator) run(ws *workspace, d *Dataset, rows []int32, loss []float64, correct []bool) {
	for lo := 0; lo < len(rows); lo += chunkRows {
		hi := min(len(rows), lo+chunkRows)
		e.net.forward(ws, d, rows[lo:hi], loss[lo:hi], correct[lo:hi])
	}
}

func (e *Evaluator) allRows(d *Dataset) []int32 {
	if r, ok := e.all[d]; ok {
		return r
	}
	r := make([]int32, d.N)
	for i := range r {
		r[i] = int32(i)
	}
	e.all[d] = r
	return r
}
