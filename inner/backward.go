package inner

import "math"

// backprop computes the mean cross-entropy gradient of a network over a
// minibatch by backpropagation through the same forward pass the evaluator
// uses: forward fills the per-layer activations of the batch, and the
// backward pass reads them (the derivative of a hidden activation is taken
// from its output).
//
// The work is split over workers in two phases, each deterministic whatever
// the number of workers:
//   - rows: each worker runs the forward pass on its share of the batch's
//     rows and propagates the error terms of those rows back through the
//     layers (a row's error terms depend on that row only);
//   - units: each worker sums the weight and bias gradients of its share of
//     the output units of every layer, over all rows of the batch in batch
//     order.
//
// No sum ever crosses a worker boundary, so the gradient is bit-identical
// for any worker count and there are no per-worker gradient buffers to
// reduce. All buffers are allocated once.
type backprop struct {
	net   *Net
	d     *Dataset // the training set
	batch int      // rows per minibatch (fixed)
	// acts[l] and deltas[l] hold, for every row of the batch, the outputs
	// of layer l and dLoss/d(pre-activation) of layer l: batch rows of
	// Sizes[l+1].
	acts, deltas [][]float32
	views        []*workspace // per worker: its rows of acts, for forward
	rowLo        []int        // worker w owns batch rows rowLo[w]..rowLo[w+1]
	unitLo       []int        // worker w owns units unitLo[w]..unitLo[w+1]
	units        []unit       // every output unit of every layer
	loss         []float64
	correct      []bool
	// grad is the mean gradient, laid out as Net.Params.
	grad []float32
	rows []int32 // the minibatch being processed
}

// unit is output unit k of layer l.
type unit struct{ l, k int32 }

// newBackprop prepares gradient computation for minibatches of batch rows
// of d split over workers goroutines (the caller runs the phases).
func newBackprop(net *Net, d *Dataset, batch, workers int) *backprop {
	L := net.NumLayers()
	b := &backprop{
		net: net, d: d, batch: batch,
		acts: make([][]float32, L), deltas: make([][]float32, L),
		loss: make([]float64, batch), correct: make([]bool, batch),
		grad: make([]float32, len(net.Params)),
	}
	for l := range L {
		b.acts[l] = make([]float32, batch*net.Sizes[l+1])
		b.deltas[l] = make([]float32, batch*net.Sizes[l+1])
	}
	// Rows: an even split.
	b.rowLo = make([]int, workers+1)
	for w := range workers + 1 {
		b.rowLo[w] = w * batch / workers
	}
	for w := range workers {
		lo := b.rowLo[w]
		ws := &workspace{acts: make([][]float32, L)}
		for l := range L {
			ws.acts[l] = b.acts[l][lo*net.Sizes[l+1]:]
		}
		b.views = append(b.views, ws)
	}
	// Units: a split balanced by cost, the values each unit's gradient
	// reads per row (the non-zeros per row for a sparse first layer).
	var cost []float64
	total := 0.0
	for l := range L {
		c := float64(net.Sizes[l] + 1)
		if l == 0 && d.Sparse() && d.N > 0 {
			c = float64(len(d.col))/float64(d.N) + 1
		}
		for k := range net.Sizes[l+1] {
			b.units = append(b.units, unit{int32(l), int32(k)})
			total += c
			cost = append(cost, total)
		}
	}
	b.unitLo = make([]int, workers+1)
	u := 0
	for w := 1; w < workers; w++ {
		target := total * float64(w) / float64(workers)
		for u < len(cost) && cost[u] <= target {
			u++
		}
		b.unitLo[w] = u
	}
	b.unitLo[workers] = len(b.units)
	return b
}

// Phases of the gradient computation, run by every worker in turn.
const (
	phaseRows = iota
	phaseUnits
)

// run does worker w's share of a phase for the minibatch in b.rows.
func (b *backprop) run(phase, w int) {
	switch phase {
	case phaseRows:
		b.rowsPhase(w)
	case phaseUnits:
		for _, u := range b.units[b.unitLo[w]:b.unitLo[w+1]] {
			b.unitGrad(int(u.l), int(u.k))
		}
	}
}

// meanLoss returns the mean loss of the minibatch after phaseRows.
func (b *backprop) meanLoss() float64 {
	s := 0.0
	for _, l := range b.loss[:len(b.rows)] {
		s += l
	}
	return s / float64(len(b.rows))
}

// rowsPhase runs the forward pass on worker w's rows of the batch and
// propagates their error terms down to the first layer.
func (b *backprop) rowsPhase(w int) {
	lo, hi := b.rowLo[w], min(b.rowLo[w+1], len(b.rows))
	if lo >= hi {
		return
	}
	n := b.net
	L := n.NumLayers()
	n.forward(b.views[w], b.d, b.rows[lo:hi], b.loss[lo:hi], b.correct[lo:hi])

	// Output layer: d(mean CE)/dz = (softmax(z) - onehot(y)) / batch.
	classes := n.Sizes[L]
	inv := 1 / float64(len(b.rows))
	logits, dOut := b.acts[L-1], b.deltas[L-1]
	for r := lo; r < hi; r++ {
		z := logits[r*classes : (r+1)*classes]
		d := dOut[r*classes : (r+1)*classes]
		mx := z[0]
		for _, v := range z[1:] {
			mx = max(mx, v)
		}
		sum := 0.0
		for _, v := range z {
			sum += math.Exp(float64(v - mx))
		}
		y := int(b.d.Y[b.rows[r]])
		for k, v := range z {
			p := math.Exp(float64(v-mx)) / sum
			if k == y {
				p--
			}
			d[k] = float32(p * inv)
		}
	}

	// Hidden layers: delta[l-1] = (W_l^T delta[l]) * act'(out[l-1]).
	for l := L - 1; l >= 1; l-- {
		in, out := n.Sizes[l], n.Sizes[l+1]
		stride := in + 1
		w := n.Layer(l)
		for r := lo; r < hi; r++ {
			d := b.deltas[l][r*out : (r+1)*out]
			dp := b.deltas[l-1][r*in : (r+1)*in]
			clear(dp)
			for k, dk := range d {
				if dk != 0 {
					axpy(dp, dk, w[k*stride:k*stride+in])
				}
			}
			derivMul(n.Act, dp, b.acts[l-1][r*in:(r+1)*in])
		}
	}
}

// unitGrad writes the gradient of output unit k of layer l (its weights,
// then its bias) into b.grad, summing over the batch's rows in order.
func (b *backprop) unitGrad(l, k int) {
	n := b.net
	in, out := n.Sizes[l], n.Sizes[l+1]
	stride := in + 1
	off := n.offsets[l] + k*stride
	g := b.grad[off : off+stride]
	clear(g)
	gw := g[:in]
	bias := float32(0)
	delta := b.deltas[l]
	switch {
	case l == 0 && b.d.Sparse():
		d := b.d
		for r, row := range b.rows {
			dk := delta[r*out+k]
			if dk == 0 {
				continue
			}
			bias += dk
			lo, hi := d.rowPtr[row], d.rowPtr[row+1]
			cols := d.col[lo:hi]
			vals := d.val[lo:hi]
			vals = vals[:len(cols)]
			for p, c := range cols {
				gw[c] += dk * vals[p]
			}
		}
	case l == 0:
		for r, row := range b.rows {
			if dk := delta[r*out+k]; dk != 0 {
				bias += dk
				axpy(gw, dk, b.d.X[int(row)*in:int(row+1)*in])
			}
		}
	default:
		x := b.acts[l-1]
		for r := range b.rows {
			if dk := delta[r*out+k]; dk != 0 {
				bias += dk
				axpy(gw, dk, x[r*in:(r+1)*in])
			}
		}
	}
	g[in] = bias
}

// derivMul multiplies each error term d[j] by the derivative of the
// activation at the unit whose output is y[j]: relu' = [y > 0],
// tanh' = 1 - y^2, sigmoid' = y (1 - y).
func derivMul(a Activation, d, y []float32) {
	y = y[:len(d)]
	switch a {
	case ReLU:
		for j, v := range y {
			if v <= 0 {
				d[j] = 0
			}
		}
	case Tanh:
		for j, v := range y {
			d[j] *= 1 - v*v
		}
	case Sigmoid:
		for j, v := range y {
			d[j] *= v * (1 - v)
		}
	}
}

// axpy adds a*x to y (equally long vectors).
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}
