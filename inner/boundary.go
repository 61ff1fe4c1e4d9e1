package inner

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// BoundaryParams describes a "decision boundary matching" task: a random
// teacher MLP labels points drawn uniformly from [-1,1]^Dims and the student
// learns the labels. Every field is part of the task's identity; the same
// parameters always give the same samples.
type BoundaryParams struct {
	Dims    int    // input dimensions (default 2)
	Classes int    // classes (default 2)
	Hidden  int    // tanh units in the teacher's hidden layer (default 8)
	Samples int    // samples in all (default 4000)
	Seed    uint64 // teacher and sample seed (default 1)
}

// DefaultBoundary returns the default boundary task parameters.
func DefaultBoundary() BoundaryParams {
	return BoundaryParams{Dims: 2, Classes: 2, Hidden: 8, Samples: 4000, Seed: 1}
}

// Spec returns the task specification of p.
func (p BoundaryParams) Spec() TaskSpec {
	return TaskSpec{Kind: "boundary", Opts: map[string]string{
		"dims": fmt.Sprint(p.Dims), "classes": fmt.Sprint(p.Classes), "hidden": fmt.Sprint(p.Hidden),
		"samples": fmt.Sprint(p.Samples), "seed": fmt.Sprint(p.Seed),
	}}
}

func boundaryParams(spec TaskSpec) (BoundaryParams, error) {
	d := DefaultBoundary()
	p := BoundaryParams{
		Dims:    spec.intOpt("dims", d.Dims),
		Classes: spec.intOpt("classes", d.Classes),
		Hidden:  spec.intOpt("hidden", d.Hidden),
		Samples: spec.intOpt("samples", d.Samples),
		Seed:    uint64(spec.intOpt("seed", int(d.Seed))),
	}
	switch {
	case p.Classes < 2:
		return p, fmt.Errorf("classes=%d: need at least 2", p.Classes)
	case p.Samples < 20:
		return p, fmt.Errorf("samples=%d: need at least 20", p.Samples)
	case p.Dims > 1<<16 || p.Hidden > 1<<16 || p.Classes > 1<<10:
		return p, fmt.Errorf("dims, hidden or classes too large")
	}
	return p, nil
}

// Dataset draws the task's samples and labels them with the teacher.
// The teacher's output biases are set so that, over the drawn samples, the
// mean logit of every class is zero: classes are then roughly balanced
// instead of one class taking most of the space.
func (p BoundaryParams) Dataset() (*Dataset, error) {
	rng := rand.New(rand.NewPCG(p.Seed, 0xb0da7))
	// Teacher: Dims -> Hidden tanh -> Classes, Gaussian weights scaled by
	// fan-in so the boundary is curved but not chaotic.
	w1 := make([]float64, p.Hidden*(p.Dims+1))
	for i := range w1 {
		w1[i] = rng.NormFloat64() * 2 / math.Sqrt(float64(p.Dims))
	}
	w2 := make([]float64, p.Classes*p.Hidden)
	for i := range w2 {
		w2[i] = rng.NormFloat64()
	}
	x := make([]float32, p.Samples*p.Dims)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	logits := make([]float64, p.Samples*p.Classes)
	h := make([]float64, p.Hidden)
	for s := range p.Samples {
		xs := x[s*p.Dims : (s+1)*p.Dims]
		for k := range p.Hidden {
			row := w1[k*(p.Dims+1) : (k+1)*(p.Dims+1)]
			z := row[p.Dims]
			for j, v := range xs {
				z += row[j] * float64(v)
			}
			h[k] = math.Tanh(z)
		}
		for c := range p.Classes {
			z := 0.0
			for k, v := range h {
				z += w2[c*p.Hidden+k] * v
			}
			logits[s*p.Classes+c] = z
		}
	}
	mean := make([]float64, p.Classes)
	for s := range p.Samples {
		for c := range p.Classes {
			mean[c] += logits[s*p.Classes+c] / float64(p.Samples)
		}
	}
	y := make([]int32, p.Samples)
	for s := range p.Samples {
		best, bv := 0, math.Inf(-1)
		for c := range p.Classes {
			if v := logits[s*p.Classes+c] - mean[c]; v > bv {
				best, bv = c, v
			}
		}
		y[s] = int32(best)
	}
	return NewDataset(x, y, p.Dims, p.Classes)
}

// Data draws the task and splits it (70/15/15) with seed.
func (p BoundaryParams) Data(seed uint64) (*Data, error) {
	ds, err := p.Dataset()
	if err != nil {
		return nil, err
	}
	return splitPooled(p.Spec().String(), ds, seed)
}
