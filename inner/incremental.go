package inner

// firstLayerCache keeps the first-layer pre-activations Z = X W0^T of the
// current minibatch and updates them from each step's weight changes
// instead of recomputing them: the minibatch is fixed for batch-interval
// steps, and image inputs are sparse.
//
// A step's change of the first-layer weights, dW_t, is written as
// c*dW_{t-1} + D with c in {-1, 0, 1} chosen to make D sparsest: policies
// that repeat or reverse their last action (win-stay/lose-shift and most
// learned tables) make D hold little more than the exploring synapses.
// Then dZ_t = c*dZ_{t-1} + X D^T and Z_t = Z_{t-1} + dZ_t, which costs in
// proportion to the synapses in D rather than to the whole layer. When D
// is dense the layer is recomputed instead. Z is recomputed from scratch
// at every new minibatch, so float32 rounding cannot accumulate for more
// than batch-interval steps; the losses agree with a full forward pass to
// about 1e-6 relative (tested).
type firstLayerCache struct {
	net     *Net
	d       *Dataset
	rows    []int32
	in, h   int
	workers int

	// The minibatch's features by column (CSC): entries colPtr[j] to
	// colPtr[j+1] of cscRow (position in the batch) and cscVal.
	colPtr []int32
	cscRow []int32
	cscVal []float32

	// z and dz hold the pre-activations and their last change unit-major
	// (z[k*m+r] for unit k and batch row r), so that the update of one
	// unit writes within one short row.
	z, dz   []float32
	tmp     []float32 // m x h scratch, row-major
	dzValid bool      // dz holds the change of the last step
	prevAct []uint8   // last action of every first-layer parameter
	prevEps [2]float32
	pairs   [3][3]int // (previous action, action) counts of the step
	cursor  []int32   // scratch for building the CSC view
	dw      []float32 // this step's D, per first-layer parameter

	ws      []*workspace
	loss    []float64
	correct []bool

	pool *workerPool
	// Jobs, made once so that running them allocates nothing; cf is the
	// update's coefficient.
	recomputeJob, updateJob, lossJob func(w int)
	cf                               float32
}

// maxSparseFraction is the share of first-layer parameters in D above which
// recomputing the layer is cheaper than updating it.
const maxSparseFraction = 0.4

func newFirstLayerCache(net *Net, d *Dataset, batch, workers int) *firstLayerCache {
	in, h := net.Sizes[0], net.Sizes[1]
	m := min(batch, d.N)
	c := &firstLayerCache{
		net: net, d: d, in: in, h: h, workers: max(1, workers),
		colPtr:  make([]int32, in+1),
		cursor:  make([]int32, in),
		z:       make([]float32, m*h),
		dz:      make([]float32, m*h),
		tmp:     make([]float32, m*h),
		prevAct: make([]uint8, len(net.Layer(0))),
		dw:      make([]float32, len(net.Layer(0))),
		loss:    make([]float64, m),
		correct: make([]bool, m),
	}
	for i := range c.prevAct {
		c.prevAct[i] = 1 // keep: no change before the first step
	}
	for range c.workers {
		c.ws = append(c.ws, newWorkspace(net))
	}
	c.pool = newWorkerPool(c.workers)
	c.recomputeJob = func(w int) { c.recomputeRows(c.pool.span(w, len(c.rows))) }
	c.updateJob = func(w int) { c.updateUnits(c.pool.span(w, c.h)) }
	c.lossJob = func(w int) {
		lo, hi := c.pool.span(w, len(c.rows))
		c.lossRows(c.ws[w], lo, hi)
	}
	return c
}

// close stops the cache's goroutines.
func (c *firstLayerCache) close() { c.pool.close() }

// reset starts a new minibatch: builds its CSC view and computes Z.
func (c *firstLayerCache) reset(rows []int32) {
	c.rows = rows
	d := c.d
	clear(c.colPtr)
	for _, r := range rows {
		for _, j := range d.col[d.rowPtr[r]:d.rowPtr[r+1]] {
			c.colPtr[j+1]++
		}
	}
	for j := range c.in {
		c.colPtr[j+1] += c.colPtr[j]
	}
	nnz := int(c.colPtr[c.in])
	if cap(c.cscRow) < nnz {
		c.cscRow = make([]int32, nnz)
		c.cscVal = make([]float32, nnz)
	}
	c.cscRow, c.cscVal = c.cscRow[:nnz], c.cscVal[:nnz]
	cursor := c.cursor
	copy(cursor, c.colPtr[:c.in])
	for pos, r := range rows {
		lo, hi := d.rowPtr[r], d.rowPtr[r+1]
		for p := lo; p < hi; p++ {
			j := d.col[p]
			c.cscRow[cursor[j]] = int32(pos)
			c.cscVal[cursor[j]] = d.val[p]
			cursor[j]++
		}
	}
	c.recompute()
	c.dzValid = false
}

// recompute computes Z from scratch, and dZ as its change if Z was valid.
func (c *firstLayerCache) recompute() { c.pool.run(c.recomputeJob) }

func (c *firstLayerCache) recomputeRows(lo, hi int) {
	m := len(c.rows)
	sparseLayer(c.d, c.rows[lo:hi], c.net.Layer(0), c.in, c.h, c.tmp[lo*c.h:hi*c.h])
	for r := lo; r < hi; r++ {
		for k, v := range c.tmp[r*c.h : (r+1)*c.h] {
			i := k*m + r
			c.z[i], c.dz[i] = v, v-c.z[i]
		}
	}
}

// update brings Z to the current weights after a step: actOf[hist[i]] is
// the action first-layer parameter i just took, with weight step eps and
// bias step biasEps; pairs counts the step's (previous action, action)
// pairs over all synapses, from which the coefficient c is chosen.
func (c *firstLayerCache) update(hist []uint8, actOf *[256]uint8, eps, biasEps float32, pairs [3][3]int) {
	c.pairs = pairs
	// Choose c: the coefficient under which the most synapses need no
	// correction.
	best, bestN := 0, -1
	for _, k := range []int{0, 1, -1} {
		n := 0
		for pa := range 3 {
			for a := range 3 {
				if a-1 == k*(pa-1) {
					n += c.pairs[pa][a]
				}
			}
		}
		if n > bestN {
			best, bestN = k, n
		}
	}
	if !c.dzValid || c.prevEps != [2]float32{eps, biasEps} {
		best = 0
	}
	cf := float32(best)
	stride := c.in + 1
	hist = hist[:len(c.dw)]
	nnz := 0
	for k := range c.h {
		hs := hist[k*stride : (k+1)*stride]
		pas := c.prevAct[k*stride : (k+1)*stride]
		dws := c.dw[k*stride : (k+1)*stride]
		pas, dws = pas[:len(hs)], dws[:len(hs)]
		e, pe := eps, c.prevEps[0]
		for i, hv := range hs {
			if i == c.in {
				e, pe = biasEps, c.prevEps[1]
			}
			a := int(actOf[hv])
			pa := int(pas[i])
			pas[i] = uint8(a)
			dw := float32(a-1)*e - cf*float32(pa-1)*pe
			dws[i] = dw
			if dw != 0 {
				nnz++
			}
		}
	}
	c.prevEps = [2]float32{eps, biasEps}
	if !c.dzValid || float64(nnz) > maxSparseFraction*float64(len(c.dw)) {
		c.recompute()
		c.dzValid = true
		return
	}
	// dZ = c*dZ + X D^T, unit by unit (units split over the workers, so
	// every entry is summed in the same order whatever their number).
	c.cf = cf
	c.pool.run(c.updateJob)
}

func (c *firstLayerCache) updateUnits(k0, k1 int) {
	m := len(c.rows)
	stride := c.in + 1
	cf := c.cf
	for k := k0; k < k1; k++ {
		dz, z := c.dz[k*m:(k+1)*m], c.z[k*m:(k+1)*m]
		z = z[:len(dz)]
		for r := range dz {
			dz[r] *= cf
		}
		row := c.dw[k*stride : (k+1)*stride]
		for j, dw := range row[:c.in] {
			if dw == 0 {
				continue
			}
			lo, hi := c.colPtr[j], c.colPtr[j+1]
			rs, vs := c.cscRow[lo:hi], c.cscVal[lo:hi]
			vs = vs[:len(rs)]
			for p, r := range rs {
				dz[r] += dw * vs[p]
			}
		}
		if b := row[c.in]; b != 0 {
			for r := range dz {
				dz[r] += b
			}
		}
		for r, v := range dz {
			z[r] += v
		}
	}
}

// batchLoss returns the mean loss of the minibatch from Z.
func (c *firstLayerCache) batchLoss() float64 {
	m := len(c.rows)
	c.pool.run(c.lossJob)
	total := 0.0
	for _, l := range c.loss[:m] {
		total += l
	}
	return total / float64(m)
}

func (c *firstLayerCache) lossRows(ws *workspace, lo, hi int) {
	m := len(c.rows)
	for clo := lo; clo < hi; clo += chunkRows {
		chi := min(hi, clo+chunkRows)
		a := ws.acts[0]
		for r := clo; r < chi; r++ {
			out := a[(r-clo)*c.h : (r-clo+1)*c.h]
			for k := range out {
				out[k] = c.z[k*m+r]
			}
		}
		c.net.forwardFrom(ws, c.d, c.rows[clo:chi], c.loss[clo:chi], c.correct[clo:chi])
	}
}
