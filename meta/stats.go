package meta

import (
	"encoding/json"
	"fmt"
	"math"
)

// Spread is the mean and sample standard deviation of a set of values.
type Spread struct {
	// N is the number of values.
	N int
	// Mean is their mean (NaN when N is 0).
	Mean float64
	// Std is the sample standard deviation, with N-1 in the denominator
	// (NaN when N < 2: one value says nothing about the spread).
	Std float64
}

// SpreadOf returns the mean and sample standard deviation of xs.
func SpreadOf(xs []float64) Spread {
	s := Spread{N: len(xs), Mean: math.NaN(), Std: math.NaN()}
	if len(xs) == 0 {
		return s
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	s.Mean = sum / float64(len(xs))
	if len(xs) < 2 {
		return s
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - s.Mean) * (x - s.Mean)
	}
	s.Std = math.Sqrt(ss / float64(len(xs)-1))
	return s
}

// Scale returns s with mean and standard deviation multiplied by k (e.g.
// 100 to turn fractions into percentage points).
func (s Spread) Scale(k float64) Spread {
	s.Mean *= k
	s.Std *= k
	return s
}

// MarshalJSON writes {"n":..,"mean":..,"std":..} with null for a value that
// is not finite.
func (s Spread) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N    int      `json:"n"`
		Mean *float64 `json:"mean"`
		Std  *float64 `json:"std"`
	}{s.N, finiteOrNil(s.Mean), finiteOrNil(s.Std)})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (s *Spread) UnmarshalJSON(b []byte) error {
	var v struct {
		N    int      `json:"n"`
		Mean *float64 `json:"mean"`
		Std  *float64 `json:"std"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Spread{N: v.N, Mean: nanIfNil(v.Mean), Std: nanIfNil(v.Std)}
	return nil
}

// PairedDiff is the mean of paired differences x[i] - ref[i] (the same seed
// in two arms) with its standard error.
type PairedDiff struct {
	// N is the number of pairs.
	N int
	// Mean is the mean difference.
	Mean float64
	// SE is the standard error of the mean difference: the sample standard
	// deviation of the differences over sqrt(N) (NaN when N < 2).
	SE float64
}

// PairedDiffOf returns the mean paired difference x[i] - ref[i] and its
// standard error. x and ref must be equally long: pair i is one seed.
func PairedDiffOf(x, ref []float64) (PairedDiff, error) {
	if len(x) != len(ref) {
		return PairedDiff{}, fmt.Errorf("paired difference of %d and %d values: need one pair per seed", len(x), len(ref))
	}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - ref[i]
	}
	s := SpreadOf(d)
	return PairedDiff{N: s.N, Mean: s.Mean, SE: s.Std / math.Sqrt(float64(s.N))}, nil
}

// Scale returns p with mean and standard error multiplied by k.
func (p PairedDiff) Scale(k float64) PairedDiff {
	p.Mean *= k
	p.SE *= k
	return p
}

// MarshalJSON writes {"n":..,"mean":..,"se":..} with null for a value that
// is not finite.
func (p PairedDiff) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N    int      `json:"n"`
		Mean *float64 `json:"mean"`
		SE   *float64 `json:"se"`
	}{p.N, finiteOrNil(p.Mean), finiteOrNil(p.SE)})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (p *PairedDiff) UnmarshalJSON(b []byte) error {
	var v struct {
		N    int      `json:"n"`
		Mean *float64 `json:"mean"`
		SE   *float64 `json:"se"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = PairedDiff{N: v.N, Mean: nanIfNil(v.Mean), SE: nanIfNil(v.SE)}
	return nil
}

func nanIfNil(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

func finiteOrNil(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
