package inner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Activation is the nonlinearity of the hidden layers. The output layer is
// always linear, followed by softmax cross-entropy.
type Activation int

// Hidden-layer activations.
const (
	ReLU Activation = iota
	Tanh
	Sigmoid
)

// String returns "relu", "tanh" or "sigmoid".
func (a Activation) String() string {
	switch a {
	case ReLU:
		return "relu"
	case Tanh:
		return "tanh"
	case Sigmoid:
		return "sigmoid"
	}
	return "activation(" + strconv.Itoa(int(a)) + ")"
}

// ParseActivation parses "relu", "tanh" or "sigmoid".
func ParseActivation(s string) (Activation, error) {
	switch strings.ToLower(s) {
	case "relu":
		return ReLU, nil
	case "tanh":
		return Tanh, nil
	case "sigmoid":
		return Sigmoid, nil
	}
	return 0, fmt.Errorf("unknown activation %q (want relu, tanh or sigmoid)", s)
}

// ParseHidden parses hidden layer sizes: "32", "64,32", and "" or "0" for
// none. Every size must be a positive integer.
func ParseHidden(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return nil, nil
	}
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("hidden layer size %q is not a positive integer (want e.g. 32 or 64,32; 0 or empty for none)", f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// Net is a multi-layer perceptron. All parameters live in one float32 slice:
// layer l is a block of Sizes[l+1] rows of Sizes[l]+1 values, the weights of
// one output unit followed by its bias.
type Net struct {
	// Sizes are the layer widths: input, hidden..., output.
	Sizes []int
	// Act is the hidden-layer activation.
	Act Activation
	// Params holds every weight and bias, layer after layer.
	Params []float32
	// offsets[l] is where layer l starts in Params; offsets[L] = len(Params).
	offsets []int
}

// NewNet returns a network with the given layer sizes (input, hidden...,
// output) and all parameters zero.
func NewNet(sizes []int, act Activation) (*Net, error) {
	if len(sizes) < 2 {
		return nil, fmt.Errorf("network needs an input and an output layer, got sizes %v", sizes)
	}
	for _, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("layer sizes must be positive, got %v", sizes)
		}
	}
	if sizes[len(sizes)-1] < 2 {
		return nil, fmt.Errorf("output layer needs at least 2 classes, got %v", sizes)
	}
	n := &Net{Sizes: append([]int(nil), sizes...), Act: act}
	off := 0
	for l := 0; l+1 < len(sizes); l++ {
		n.offsets = append(n.offsets, off)
		off += sizes[l+1] * (sizes[l] + 1)
	}
	n.offsets = append(n.offsets, off)
	n.Params = make([]float32, off)
	return n, nil
}

// NumLayers returns the number of weight layers.
func (n *Net) NumLayers() int { return len(n.Sizes) - 1 }

// Layer returns the parameters of layer l: Sizes[l+1] rows of Sizes[l]+1.
func (n *Net) Layer(l int) []float32 { return n.Params[n.offsets[l]:n.offsets[l+1]] }

// Shape returns the sizes joined by dashes, e.g. "784-32-10".
func (n *Net) Shape() string {
	parts := make([]string, len(n.Sizes))
	for i, s := range n.Sizes {
		parts[i] = strconv.Itoa(s)
	}
	return strings.Join(parts, "-")
}

// IsBias reports whether parameter i is a bias.
func (n *Net) IsBias(i int) bool {
	for l := 0; l < n.NumLayers(); l++ {
		if i < n.offsets[l+1] {
			return (i-n.offsets[l])%(n.Sizes[l]+1) == n.Sizes[l]
		}
	}
	return false
}

// Init sets every weight uniform in [-r, r] and every bias to zero.
func (n *Net) Init(rng *rand.Rand, r float64) {
	for l := 0; l < n.NumLayers(); l++ {
		in := n.Sizes[l]
		w := n.Layer(l)
		for i := range w {
			if i%(in+1) == in {
				w[i] = 0
			} else {
				w[i] = float32((2*rng.Float64() - 1) * r)
			}
		}
	}
}

// Clone returns a deep copy of n.
func (n *Net) Clone() *Net {
	c := *n
	c.Sizes = append([]int(nil), n.Sizes...)
	c.Params = append([]float32(nil), n.Params...)
	c.offsets = append([]int(nil), n.offsets...)
	return &c
}

// chunkRows is how many samples one forward call processes at a time.
const chunkRows = 256

// workspace holds the activations of one chunk of samples. acts[l] are the
// outputs of layer l (post-activation for hidden layers, logits for the
// last), chunkRows rows of Sizes[l+1].
type workspace struct {
	acts [][]float32
}

func newWorkspace(n *Net) *workspace {
	ws := &workspace{acts: make([][]float32, n.NumLayers())}
	for l := range ws.acts {
		ws.acts[l] = make([]float32, chunkRows*n.Sizes[l+1])
	}
	return ws
}

// forward computes the activations of rows (at most chunkRows) of d into
// ws, and writes each sample's cross-entropy loss and whether the argmax
// was right into loss and correct.
func (n *Net) forward(ws *workspace, d *Dataset, rows []int32, loss []float64, correct []bool) {
	m := len(rows)
	in, out := n.Sizes[0], n.Sizes[1]
	w := n.Layer(0)
	y := ws.acts[0][:m*out]
	if d.Sparse() {
		sparseLayer(d, rows, w, in, out, y)
	} else {
		for r, row := range rows {
			denseRow(d.X[int(row)*in:int(row+1)*in], w, in, out, y[r*out:(r+1)*out])
		}
	}
	n.forwardFrom(ws, d, rows, loss, correct)
}

// forwardFrom finishes the forward pass of rows whose first-layer
// pre-activations are already in ws.acts[0]: it applies the activation,
// computes the other layers, and writes the losses and hits.
func (n *Net) forwardFrom(ws *workspace, d *Dataset, rows []int32, loss []float64, correct []bool) {
	m := len(rows)
	L := n.NumLayers()
	for l := range L {
		in, out := n.Sizes[l], n.Sizes[l+1]
		y := ws.acts[l][:m*out]
		if l > 0 {
			w := n.Layer(l)
			x := ws.acts[l-1][:m*in]
			for r := range m {
				denseRow(x[r*in:(r+1)*in], w, in, out, y[r*out:(r+1)*out])
			}
		}
		if l < L-1 {
			activate(n.Act, y)
		}
	}
	classes := n.Sizes[L]
	logits := ws.acts[L-1]
	for r, row := range rows {
		z := logits[r*classes : (r+1)*classes]
		loss[r], correct[r] = softmaxCE(z, int(d.Y[row]))
	}
}

// softmaxCE returns -log softmax(z)[y] and whether argmax z (ties to the
// lowest index) is y.
func softmaxCE(z []float32, y int) (float64, bool) {
	best := 0
	mx := z[0]
	for k := 1; k < len(z); k++ {
		if z[k] > mx {
			mx, best = z[k], k
		}
	}
	sum := 0.0
	for _, v := range z {
		sum += math.Exp(float64(v - mx))
	}
	return math.Log(sum) - float64(z[y]-mx), best == y
}

func activate(a Activation, y []float32) {
	switch a {
	case ReLU:
		// Branch-free: signs are close to random, so a branch would be
		// mispredicted half the time. Clearing every bit of a negative
		// number (sign bit set) gives +0.
		for i, v := range y {
			b := math.Float32bits(v)
			y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
		}
	case Tanh:
		for i, v := range y {
			y[i] = float32(math.Tanh(float64(v)))
		}
	case Sigmoid:
		for i, v := range y {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	}
}

// denseRow computes y[k] = bias_k + sum_j x[j] w[k][j] for one sample,
// four output units per pass over x so that each input is loaded once for
// four independent multiply-adds.
func denseRow(x, w []float32, in, out int, y []float32) {
	stride := in + 1
	x = x[:in]
	k := 0
	for ; k+4 <= out; k += 4 {
		w0 := w[k*stride : k*stride+in+1]
		w1 := w[(k+1)*stride : (k+1)*stride+in+1]
		w2 := w[(k+2)*stride : (k+2)*stride+in+1]
		w3 := w[(k+3)*stride : (k+3)*stride+in+1]
		s0, s1, s2, s3 := w0[in], w1[in], w2[in], w3[in]
		w0, w1, w2, w3 = w0[:len(x)], w1[:len(x)], w2[:len(x)], w3[:len(x)]
		for j, v := range x {
			s0 += v * w0[j]
			s1 += v * w1[j]
			s2 += v * w2[j]
			s3 += v * w3[j]
		}
		y[k], y[k+1], y[k+2], y[k+3] = s0, s1, s2, s3
	}
	for ; k < out; k++ {
		wk := w[k*stride : k*stride+stride]
		y[k] = wk[in] + dot(x, wk[:in])
	}
}

// dot returns the inner product of two equally long vectors, with four
// accumulators so the additions pipeline.
func dot(x, w []float32) float32 {
	w = w[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * w[i]
		s1 += x[i+1] * w[i+1]
		s2 += x[i+2] * w[i+2]
		s3 += x[i+3] * w[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * w[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sparseLayer computes the first layer from the sparse view of d: for each
// sample only its non-zero features are read. Eight (then four, then one)
// output units are computed per pass over a sample's non-zeros, so each
// index and value is loaded once for several independent multiply-adds.
func sparseLayer(d *Dataset, rows []int32, w []float32, in, out int, y []float32) {
	stride := in + 1
	for r, row := range rows {
		lo, hi := d.rowPtr[row], d.rowPtr[row+1]
		cols := d.col[lo:hi]
		vals := d.val[lo:hi]
		vals = vals[:len(cols)]
		yr := y[r*out : (r+1)*out]
		k := 0
		for ; k+8 <= out; k += 8 {
			w0 := w[k*stride : k*stride+stride]
			w1 := w[(k+1)*stride : (k+1)*stride+stride]
			w2 := w[(k+2)*stride : (k+2)*stride+stride]
			w3 := w[(k+3)*stride : (k+3)*stride+stride]
			w4 := w[(k+4)*stride : (k+4)*stride+stride]
			w5 := w[(k+5)*stride : (k+5)*stride+stride]
			w6 := w[(k+6)*stride : (k+6)*stride+stride]
			w7 := w[(k+7)*stride : (k+7)*stride+stride]
			s0, s1, s2, s3 := w0[in], w1[in], w2[in], w3[in]
			s4, s5, s6, s7 := w4[in], w5[in], w6[in], w7[in]
			for p, c := range cols {
				v := vals[p]
				s0 += v * w0[c]
				s1 += v * w1[c]
				s2 += v * w2[c]
				s3 += v * w3[c]
				s4 += v * w4[c]
				s5 += v * w5[c]
				s6 += v * w6[c]
				s7 += v * w7[c]
			}
			yr[k], yr[k+1], yr[k+2], yr[k+3] = s0, s1, s2, s3
			yr[k+4], yr[k+5], yr[k+6], yr[k+7] = s4, s5, s6, s7
		}
		for ; k+4 <= out; k += 4 {
			w0 := w[k*stride : k*stride+stride]
			w1 := w[(k+1)*stride : (k+1)*stride+stride]
			w2 := w[(k+2)*stride : (k+2)*stride+stride]
			w3 := w[(k+3)*stride : (k+3)*stride+stride]
			s0, s1, s2, s3 := w0[in], w1[in], w2[in], w3[in]
			for p, c := range cols {
				v := vals[p]
				s0 += v * w0[c]
				s1 += v * w1[c]
				s2 += v * w2[c]
				s3 += v * w3[c]
			}
			yr[k], yr[k+1], yr[k+2], yr[k+3] = s0, s1, s2, s3
		}
		for ; k < out; k++ {
			wk := w[k*stride : k*stride+stride]
			s := wk[in]
			for p, c := range cols {
				s += vals[p] * wk[c]
			}
			yr[k] = s
		}
	}
}
