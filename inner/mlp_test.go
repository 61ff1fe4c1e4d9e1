package inner

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refForward computes the mean cross-entropy of net on rows of d in float64,
// straight from the definition.
func refForward(net *Net, d *Dataset) (float64, float64) {
	total, hits := 0.0, 0
	for i := range d.N {
		x := make([]float64, d.Dim)
		for j, v := range d.Row(i) {
			x[j] = float64(v)
		}
		for l := range net.NumLayers() {
			in, out := net.Sizes[l], net.Sizes[l+1]
			w := net.Layer(l)
			y := make([]float64, out)
			for k := range out {
				y[k] = float64(w[k*(in+1)+in])
				for j := range in {
					y[k] += float64(w[k*(in+1)+j]) * x[j]
				}
				if l < net.NumLayers()-1 {
					switch net.Act {
					case ReLU:
						y[k] = math.Max(0, y[k])
					case Tanh:
						y[k] = math.Tanh(y[k])
					case Sigmoid:
						y[k] = 1 / (1 + math.Exp(-y[k]))
					}
				}
			}
			x = y
		}
		mx, best := x[0], 0
		for k, v := range x {
			if v > mx {
				mx, best = v, k
			}
		}
		sum := 0.0
		for _, v := range x {
			sum += math.Exp(v - mx)
		}
		total += math.Log(sum) - (x[d.Y[i]] - mx)
		if best == int(d.Y[i]) {
			hits++
		}
	}
	return total / float64(d.N), float64(hits) / float64(d.N)
}

// randomData returns n samples of dim features, zeroFrac of them zero.
func randomData(t *testing.T, n, dim, classes int, zeroFrac float64, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*dim)
	for i := range x {
		if rng.Float64() >= zeroFrac {
			x[i] = float32(rng.Float64())
		}
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(classes))
	}
	d, err := NewDataset(x, y, dim, classes)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestForwardMatchesReference(t *testing.T) {
	for _, act := range []Activation{ReLU, Tanh, Sigmoid} {
		for _, zero := range []float64{0, 0.8} { // dense and sparse first layer
			d := randomData(t, 300, 37, 5, zero, 1)
			if got := d.Sparse(); got != (zero > 0.5) {
				t.Fatalf("Sparse() = %v with %.0f%% zeros", got, 100*zero)
			}
			net, _ := NewInitNet([]int{37, 13, 9, 5}, act, 0.5, 2)
			for i := range net.Params {
				if net.IsBias(i) {
					net.Params[i] = 0.1 * float32(i%7)
				}
			}
			want, wantAcc := refForward(net, d)
			for _, workers := range []int{1, 2, 3} {
				loss, acc := NewEvaluator(net, workers).Eval(d, nil)
				if math.Abs(loss-want) > 1e-5*math.Max(1, want) || acc != wantAcc {
					t.Errorf("%s zeros=%.1f workers=%d: loss %v acc %v, reference %v %v", act, zero, workers, loss, acc, want, wantAcc)
				}
			}
		}
	}
}

func TestParseHiddenAndActivation(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int
		ok   bool
	}{{"", nil, true}, {"0", nil, true}, {"32", []int{32}, true}, {"64,32", []int{64, 32}, true},
		{"-3", nil, false}, {"a", nil, false}, {"32,0", nil, false}, {"1.5", nil, false}} {
		got, err := ParseHidden(c.in)
		if (err == nil) != c.ok || len(got) != len(c.want) {
			t.Errorf("ParseHidden(%q) = %v, %v", c.in, got, err)
		}
	}
	if _, err := ParseActivation("softplus"); err == nil {
		t.Error("unknown activation accepted")
	}
}

func TestParseTask(t *testing.T) {
	good := []string{"boundary", "boundary:dims=4,classes=3,hidden=16,samples=2000,seed=7", "mnist", "mnist:train=100", "fashion", "idx:/x", "folder:/y", "csv:/z.csv"}
	for _, s := range good {
		if _, err := ParseTask(s); err != nil {
			t.Errorf("ParseTask(%q): %v", s, err)
		}
	}
	bad := map[string]string{
		"cifar":                  "unknown task",
		"boundary:dims":          "not key=value",
		"boundary:dims=-1":       "not a positive integer",
		"boundary:colour=2":      "unknown option",
		"boundary:dims=2,dims=3": "given twice",
		"folder:":                "needs a path",
		"mnist:train=x":          "not a positive integer",
		"boundary:classes=1.5":   "not a positive integer",
	}
	for s, want := range bad {
		_, err := ParseTask(s)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseTask(%q) = %v, want an error with %q", s, err, want)
		}
	}
	spec, _ := ParseTask("boundary:classes=1")
	if _, err := NewLoader().Load(spec, 1); err == nil {
		t.Error("boundary with 1 class accepted")
	}
}

func TestBoundaryTask(t *testing.T) {
	p := BoundaryParams{Dims: 3, Classes: 3, Hidden: 8, Samples: 3000, Seed: 5}
	a, err := p.Data(1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Data(1)
	c, _ := p.Data(2)
	if a.Train.N+a.Val.N+a.Test.N != 3000 || a.Dim() != 3 || a.Classes() != 3 {
		t.Fatalf("sizes %d/%d/%d dim %d classes %d", a.Train.N, a.Val.N, a.Test.N, a.Dim(), a.Classes())
	}
	for i := range a.Train.X {
		if a.Train.X[i] != b.Train.X[i] {
			t.Fatal("same seed, different split")
		}
	}
	same := true
	for i := range a.Train.X {
		same = same && a.Train.X[i] == c.Train.X[i]
	}
	if same {
		t.Error("different seeds, same split")
	}
	// Balanced enough that chance is far from 1.
	if m := a.Train.Majority(); m > 0.6 {
		t.Errorf("majority class holds %.2f of samples", m)
	}
}
