package inner

// Evaluator computes the mean loss and accuracy of a network on sets of
// samples, splitting the work over a fixed number of goroutines. Results do
// not depend on the number of workers: per-sample losses are summed in
// sample order. An Evaluator is not safe for concurrent use; Close stops
// its goroutines.
type Evaluator struct {
	net     *Net
	pool    *workerPool
	ws      []*workspace
	loss    []float64
	correct []bool
	all     map[*Dataset][]int32
	// The current call's inputs, read by job.
	d    *Dataset
	rows []int32
	job  func(w int)
}

// NewEvaluator returns an evaluator for net using workers goroutines
// (at least 1).
func NewEvaluator(net *Net, workers int) *Evaluator {
	workers = max(1, workers)
	e := &Evaluator{net: net, pool: newWorkerPool(workers), all: map[*Dataset][]int32{}}
	for range workers {
		e.ws = append(e.ws, newWorkspace(net))
	}
	e.job = func(w int) {
		lo, hi := e.pool.span(w, len(e.rows))
		e.run(e.ws[w], e.d, e.rows[lo:hi], e.loss[lo:hi], e.correct[lo:hi])
	}
	return e
}

// Close stops the evaluator's goroutines.
func (e *Evaluator) Close() { e.pool.close() }

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
	e.loss, e.correct = e.loss[:m], e.correct[:m]
	e.d, e.rows = d, rows
	if m < 64 {
		e.run(e.ws[0], d, rows, e.loss, e.correct)
	} else {
		e.pool.run(e.job)
	}
	e.d, e.rows = nil, nil
	hits := 0
	for i, l := range e.loss {
		loss += l
		if e.correct[i] {
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
