package inner

import (
	"fmt"
	"math/rand/v2"
)

// Dataset is a set of labelled samples with float32 features, row-major.
// Build one with NewDataset, which also builds the sparse view used by the
// forward pass when most features are zero (as in images).
type Dataset struct {
	// X holds N rows of Dim features.
	X []float32
	// Y holds N labels in [0, Classes).
	Y []int32
	// N, Dim and Classes are the sample count, feature count and class count.
	N, Dim, Classes int

	// Sparse view (CSR), nil when the data is mostly non-zero.
	rowPtr []int32
	col    []int32
	val    []float32
}

// sparseThreshold is the fraction of zero features above which a dataset
// keeps a sparse view for the first layer of the forward pass.
const sparseThreshold = 0.5

// NewDataset wraps x (n rows of dim features) and labels y, checking sizes
// and labels, and builds the sparse view when more than half of x is zero.
func NewDataset(x []float32, y []int32, dim, classes int) (*Dataset, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("dataset: %d features", dim)
	}
	if classes < 2 {
		return nil, fmt.Errorf("dataset: %d classes, need at least 2", classes)
	}
	if len(x) != len(y)*dim {
		return nil, fmt.Errorf("dataset: %d values for %d samples of %d features", len(x), len(y), dim)
	}
	for i, c := range y {
		if c < 0 || int(c) >= classes {
			return nil, fmt.Errorf("dataset: sample %d has label %d outside [0, %d)", i, c, classes)
		}
	}
	d := &Dataset{X: x, Y: y, N: len(y), Dim: dim, Classes: classes}
	zeros := 0
	for _, v := range x {
		if v == 0 {
			zeros++
		}
	}
	if len(x) > 0 && float64(zeros) > sparseThreshold*float64(len(x)) {
		d.buildSparse(len(x) - zeros)
	}
	return d, nil
}

func (d *Dataset) buildSparse(nnz int) {
	d.rowPtr = make([]int32, d.N+1)
	d.col = make([]int32, 0, nnz)
	d.val = make([]float32, 0, nnz)
	for i := range d.N {
		row := d.X[i*d.Dim : (i+1)*d.Dim]
		for j, v := range row {
			if v != 0 {
				d.col = append(d.col, int32(j))
				d.val = append(d.val, v)
			}
		}
		d.rowPtr[i+1] = int32(len(d.col))
	}
}

// Sparse reports whether the dataset keeps a sparse view.
func (d *Dataset) Sparse() bool { return d.rowPtr != nil }

// Row returns the features of sample i (a slice into X).
func (d *Dataset) Row(i int) []float32 { return d.X[i*d.Dim : (i+1)*d.Dim] }

// Subset returns a new dataset made of the given rows, in order.
func (d *Dataset) Subset(rows []int) *Dataset {
	x := make([]float32, 0, len(rows)*d.Dim)
	y := make([]int32, 0, len(rows))
	for _, r := range rows {
		x = append(x, d.Row(r)...)
		y = append(y, d.Y[r])
	}
	s, err := NewDataset(x, y, d.Dim, d.Classes)
	if err != nil {
		panic(err) // rows of a valid dataset form a valid dataset
	}
	return s
}

// ClassFractions returns the fraction of samples in each class.
func (d *Dataset) ClassFractions() []float64 {
	f := make([]float64, d.Classes)
	for _, c := range d.Y {
		f[c]++
	}
	for i := range f {
		if d.N > 0 {
			f[i] /= float64(d.N)
		}
	}
	return f
}

// Majority returns the accuracy of always predicting the most common class:
// the chance level a learner must beat.
func (d *Dataset) Majority() float64 {
	best := 0.0
	for _, f := range d.ClassFractions() {
		best = max(best, f)
	}
	return best
}

// Data is a task split into training, validation and test sets.
type Data struct {
	// Name is the task specification the data was loaded from.
	Name string
	// Train, Val and Test share Dim and Classes.
	Train, Val, Test *Dataset
}

// Dim returns the number of input features.
func (d *Data) Dim() int { return d.Train.Dim }

// Classes returns the number of classes.
func (d *Data) Classes() int { return d.Train.Classes }

// SplitFractions splits pooled data (train, validation, test fractions) when
// a task has no split of its own.
var splitFractions = [3]float64{0.70, 0.15, 0.15}

// splitPooled shuffles the rows of d with seed and cuts them into train,
// validation and test sets by splitFractions.
func splitPooled(name string, d *Dataset, seed uint64) (*Data, error) {
	if d.N < 3 {
		return nil, fmt.Errorf("%s: %d samples, need at least 3 to split", name, d.N)
	}
	perm := permutation(d.N, seed)
	nVal := max(1, int(float64(d.N)*splitFractions[1]))
	nTest := max(1, int(float64(d.N)*splitFractions[2]))
	nTrain := d.N - nVal - nTest
	return &Data{
		Name:  name,
		Train: d.Subset(perm[:nTrain]),
		Val:   d.Subset(perm[nTrain : nTrain+nVal]),
		Test:  d.Subset(perm[nTrain+nVal:]),
	}, nil
}

// permutation returns a seeded permutation of 0..n-1.
func permutation(n int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0xda7a5117))
	return rng.Perm(n)
}
