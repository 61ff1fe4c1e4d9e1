package inner

import "sync"

// workerPool runs one function on n goroutines at once, without allocating:
// callers create their job functions once and pass them to run, which
// reads its per-call inputs from the caller's fields. With n == 1 the job
// runs on the calling goroutine and no goroutine is started. Close stops
// the goroutines.
type workerPool struct {
	n    int
	jobs []chan func(w int)
	wg   sync.WaitGroup
}

func newWorkerPool(n int) *workerPool {
	p := &workerPool{n: max(1, n)}
	if p.n == 1 {
		return p
	}
	p.jobs = make([]chan func(int), p.n-1)
	for i := range p.jobs {
		ch := make(chan func(int))
		p.jobs[i] = ch
		go func(w int) {
			for f := range ch {
				f(w)
				p.wg.Done()
			}
		}(i + 1)
	}
	return p
}

// run calls f(w) for w in [0, n), worker 0 on the calling goroutine, and
// returns when all have returned.
func (p *workerPool) run(f func(w int)) {
	p.wg.Add(len(p.jobs))
	for _, ch := range p.jobs {
		ch <- f
	}
	f(0)
	p.wg.Wait()
}

// span returns worker w's share [lo, hi) of n items.
func (p *workerPool) span(w, n int) (lo, hi int) {
	per := (n + p.n - 1) / p.n
	return min(n, w*per), min(n, (w+1)*per)
}

// close stops the goroutines; the pool must not be used afterwards.
func (p *workerPool) close() {
	for _, ch := range p.jobs {
		close(ch)
	}
	p.jobs = nil
}
