package reports

import (
	"math"
	"sort"

	"github.com/synrl/synrl/results"
)

// RunCurve is a stored run with its learning curve.
type RunCurve struct {
	Run   results.Run
	Curve []results.Point // as returned by Store.Curve: by metric, then step
}

// Arm is one arm of a comparison (a way of training the network, e.g.
// "adaptive", "static:builtin:wsls" or "gd") with its runs, one per seed.
type Arm struct {
	Name string
	Runs []RunCurve
}

// Curve metrics stored by synrl's trainers.
const (
	MetricBatchLoss  = "batch_loss"  // loss on the current minibatch
	MetricValLoss    = "val_loss"    // loss on the validation set
	MetricValAcc     = "val_acc"     // accuracy on the validation set
	MetricRewardRate = "reward_rate" // synaptic runs: fraction of rewarded steps
	MetricMoveRate   = "move_rate"   // synaptic runs: fraction of actions that moved a weight
)

// metricLabel is the axis label, with units, of a curve metric.
func metricLabel(metric string) string {
	switch metric {
	case MetricBatchLoss:
		return "minibatch loss (cross-entropy, nats)"
	case MetricValLoss:
		return "validation loss (cross-entropy, nats)"
	case MetricValAcc:
		return "validation accuracy (fraction)"
	case MetricRewardRate:
		return "reward rate (fraction of steps rewarded)"
	case MetricMoveRate:
		return "move rate (fraction of actions not keep)"
	}
	return metric
}

// metricName is the short name of a curve metric for titles.
func metricName(metric string) string {
	switch metric {
	case MetricBatchLoss:
		return "minibatch loss"
	case MetricValLoss:
		return "validation loss"
	case MetricValAcc:
		return "validation accuracy"
	case MetricRewardRate:
		return "reward rate"
	case MetricMoveRate:
		return "move rate"
	}
	return metric
}

// isLoss reports whether smaller values of metric are better (curves that
// fall, whose legend goes at the top).
func isLoss(metric string) bool {
	return metric == MetricBatchLoss || metric == MetricValLoss
}

// series returns the values of one metric of a curve by step.
func series(curve []results.Point, metric string) map[int]float64 {
	m := map[int]float64{}
	for _, p := range curve {
		if p.Metric == metric {
			m[p.Step] = p.Value
		}
	}
	return m
}

// band is a curve summarised over seeds: at each step the median and the
// lowest and highest value of the seeds.
type band struct {
	steps, median, low, high []float64
	seeds                    int // runs that have the metric at all
}

// bandOf aligns the runs' curves of metric by step and summarises them. The
// steps are those every run with the metric has; when they share none (the
// runs used different evaluation grids) every step of any run is used, over
// the runs that have it. Non-finite values (a diverged run) are left out of
// a step; a step without a finite value is left out.
func bandOf(runs []RunCurve, metric string) band {
	var ss []map[int]float64
	for _, r := range runs {
		if s := series(r.Curve, metric); len(s) > 0 {
			ss = append(ss, s)
		}
	}
	b := band{seeds: len(ss)}
	if len(ss) == 0 {
		return b
	}
	count := map[int]int{}
	for _, s := range ss {
		for step := range s {
			count[step]++
		}
	}
	var steps []int
	for step, n := range count {
		if n == len(ss) {
			steps = append(steps, step)
		}
	}
	if len(steps) == 0 {
		for step := range count {
			steps = append(steps, step)
		}
	}
	sort.Ints(steps)
	for _, step := range steps {
		var vals []float64
		for _, s := range ss {
			if v, ok := s[step]; ok && finite(v) {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			continue
		}
		sort.Float64s(vals)
		b.steps = append(b.steps, float64(step))
		b.median = append(b.median, median(vals))
		b.low = append(b.low, vals[0])
		b.high = append(b.high, vals[len(vals)-1])
	}
	return b
}

// median returns the median of sorted, non-empty values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// spread is the mean and sample standard deviation (n-1) of the finite
// values of a sample; Mean is NaN when N is 0 and Std when N < 2.
type spread struct {
	Mean, Std float64
	N         int
}

func spreadOf(xs []float64) spread {
	var sum float64
	var n int
	for _, x := range xs {
		if finite(x) {
			sum += x
			n++
		}
	}
	s := spread{Mean: math.NaN(), Std: math.NaN(), N: n}
	if n == 0 {
		return s
	}
	s.Mean = sum / float64(n)
	if n < 2 {
		return s
	}
	var ss float64
	for _, x := range xs {
		if finite(x) {
			ss += (x - s.Mean) * (x - s.Mean)
		}
	}
	s.Std = math.Sqrt(ss / float64(n-1))
	return s
}

// armStats are the per-arm numbers of a comparison table, over the arm's
// runs that finished (status done).
type armStats struct {
	Runs, Done                         int
	ValAcc, TestAcc, ValLoss, TestLoss spread
	Seconds, ItersPerSec               spread
}

// doneRuns returns the runs with status done.
func doneRuns(runs []RunCurve) []RunCurve {
	var out []RunCurve
	for _, r := range runs {
		if r.Run.Status == results.StatusDone {
			out = append(out, r)
		}
	}
	return out
}

func statsOf(a Arm) armStats {
	done := doneRuns(a.Runs)
	metric := func(f func(results.Run) float64) spread {
		xs := make([]float64, len(done))
		for i, r := range done {
			xs[i] = f(r.Run)
		}
		return spreadOf(xs)
	}
	return armStats{
		Runs:        len(a.Runs),
		Done:        len(done),
		ValAcc:      metric(func(r results.Run) float64 { return r.ValAcc }),
		TestAcc:     metric(func(r results.Run) float64 { return r.TestAcc }),
		ValLoss:     metric(func(r results.Run) float64 { return r.ValLoss }),
		TestLoss:    metric(func(r results.Run) float64 { return r.TestLoss }),
		Seconds:     metric(func(r results.Run) float64 { return r.Seconds }),
		ItersPerSec: metric(func(r results.Run) float64 { return r.ItersPerSec }),
	}
}

// curveRuns returns the runs whose curves an arm's figures show: the
// finished ones, or all of them while none has finished, so that a running
// comparison still shows its progress.
func curveRuns(runs []RunCurve) []RunCurve {
	if done := doneRuns(runs); len(done) > 0 {
		return done
	}
	return runs
}
