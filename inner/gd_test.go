package inner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// gradTestData returns n samples of dim features and classes labels; when
// sparse, about 70% of the features are zero so the dataset keeps its
// sparse view.
func gradTestData(t *testing.T, n, dim, classes int, sparse bool, seed uint64) *Dataset {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n*dim)
	for i := range x {
		if sparse && rng.Float64() < 0.7 {
			continue
		}
		x[i] = float32(2*rng.Float64() - 1)
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(classes))
	}
	d, err := NewDataset(x, y, dim, classes)
	if err != nil {
		t.Fatal(err)
	}
	if d.Sparse() != sparse {
		t.Fatalf("dataset sparse = %v, want %v", d.Sparse(), sparse)
	}
	return d
}

// refLoss is an independent float64 forward pass: the mean cross-entropy of
// the network with parameters p over rows of d.
func refLoss(n *Net, p []float64, d *Dataset, rows []int32) float64 {
	total := 0.0
	for _, row := range rows {
		x := make([]float64, d.Dim)
		for j, v := range d.Row(int(row)) {
			x[j] = float64(v)
		}
		off := 0
		for l := 0; l < n.NumLayers(); l++ {
			in, out := n.Sizes[l], n.Sizes[l+1]
			y := make([]float64, out)
			for k := range out {
				w := p[off+k*(in+1) : off+(k+1)*(in+1)]
				s := w[in]
				for j := range in {
					s += w[j] * x[j]
				}
				if l < n.NumLayers()-1 {
					switch n.Act {
					case ReLU:
						s = math.Max(0, s)
					case Tanh:
						s = math.Tanh(s)
					case Sigmoid:
						s = 1 / (1 + math.Exp(-s))
					}
				}
				y[k] = s
			}
			off += out * (in + 1)
			x = y
		}
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, v)
		}
		sum := 0.0
		for _, v := range x {
			sum += math.Exp(v - mx)
		}
		total += math.Log(sum) - (x[d.Y[row]] - mx)
	}
	return total / float64(len(rows))
}

// TestGDGradientCheck compares the backpropagated gradient with central
// finite differences of an independent float64 forward pass, for every
// activation, with dense and sparse inputs, on a net with two hidden layers
// (so errors propagate through a hidden layer into another), and checks that
// the gradient does not depend on the number of workers.
func TestGDGradientCheck(t *testing.T) {
	for _, act := range []Activation{ReLU, Tanh, Sigmoid} {
		for _, sparse := range []bool{false, true} {
			name := act.String() + "/dense"
			if sparse {
				name = act.String() + "/sparse"
			}
			t.Run(name, func(t *testing.T) {
				d := gradTestData(t, 16, 7, 3, sparse, uint64(act)+1)
				net, err := NewInitNet([]int{7, 6, 5, 3}, act, 0.7, 3)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(9, 9))
				for i := range net.Params {
					if net.IsBias(i) {
						net.Params[i] = float32(rng.Float64() - 0.5)
					}
				}
				rows := []int32{0, 2, 3, 5, 8, 9, 11, 12, 13, 15}
				cfg := DefaultGD()
				tr := newGDTrainer(net, d, len(rows), cfg)
				loss := tr.gradient(rows)
				grad := append([]float32(nil), tr.bp.grad...)
				tr.close()

				p := make([]float64, len(net.Params))
				for i, v := range net.Params {
					p[i] = float64(v)
				}
				if ref := refLoss(net, p, d, rows); math.Abs(ref-loss) > 1e-5 {
					t.Fatalf("loss %v, float64 reference %v", loss, ref)
				}
				const h = 1e-5
				worst := 0.0
				for i := range p {
					old := p[i]
					p[i] = old + h
					up := refLoss(net, p, d, rows)
					p[i] = old - h
					down := refLoss(net, p, d, rows)
					p[i] = old
					num := (up - down) / (2 * h)
					diff := math.Abs(float64(grad[i]) - num)
					if diff > 1e-5+1e-3*math.Abs(num) {
						t.Errorf("param %d (bias %v): gradient %.8g, finite differences %.8g", i, net.IsBias(i), grad[i], num)
					}
					worst = max(worst, diff)
				}
				t.Logf("%d params, largest |backprop - finite differences| = %.2g", len(p), worst)

				for _, workers := range []int{2, 3, 7} {
					cfg.Workers = workers
					tr := newGDTrainer(net, d, len(rows), cfg)
					if l := tr.gradient(rows); l != loss {
						t.Errorf("%d workers: loss %v, 1 worker %v", workers, l, loss)
					}
					for i, g := range tr.bp.grad {
						if g != grad[i] {
							t.Fatalf("%d workers: gradient[%d] = %v, 1 worker %v", workers, i, g, grad[i])
						}
					}
					tr.close()
				}
			})
		}
	}
}

func boundaryData(t *testing.T, seed uint64) *Data {
	t.Helper()
	data, err := DefaultBoundary().Data(seed)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGDLossFalls trains a small net on the boundary task with every
// optimizer: the validation loss falls and accuracy beats the majority class.
func TestGDLossFalls(t *testing.T) {
	data := boundaryData(t, 1)
	for _, c := range []struct {
		opt string
		lr  float64
	}{{OptSGD, 0.5}, {OptMomentum, 0.05}, {OptAdam, 0.01}} {
		t.Run(c.opt, func(t *testing.T) {
			net, err := NewInitNet([]int{2, 16, 2}, Tanh, 0.5, 1)
			if err != nil {
				t.Fatal(err)
			}
			cfg := DefaultGD()
			cfg.Optimizer, cfg.LR, cfg.Iters, cfg.Batch, cfg.Seed = c.opt, c.lr, 1500, 50, 1
			var points int
			res, err := TrainGD(context.Background(), net, data, cfg, func(Progress) { points++ })
			if err != nil {
				t.Fatal(err)
			}
			maj := data.Val.Majority()
			t.Logf("%s lr %g: val loss %.3f -> %.3f, val acc %.3f (majority %.3f), test acc %.3f, %.0f it/s",
				c.opt, c.lr, res.InitialValLoss, res.ValLoss, res.ValAcc, maj, res.TestAcc, res.ItersPerSec)
			if res.Iters != cfg.Iters || points != 21 || len(res.Curve) != 21 {
				t.Errorf("iters %d, %d points, curve %d; want %d, 21, 21", res.Iters, points, len(res.Curve), cfg.Iters)
			}
			if !(res.ValLoss < 0.6*res.InitialValLoss) {
				t.Errorf("val loss %v did not fall enough from %v", res.ValLoss, res.InitialValLoss)
			}
			if !(res.ValAcc > maj+0.15) {
				t.Errorf("val acc %v, majority %v", res.ValAcc, maj)
			}
		})
	}
}

// TestGDWorkersDeterministic trains the same run on 1 and 3 workers and
// expects bit-identical weights and curves.
func TestGDWorkersDeterministic(t *testing.T) {
	data := boundaryData(t, 2)
	var ref *Net
	var refRes *Result
	for _, workers := range []int{1, 3} {
		net, err := NewInitNet([]int{2, 8, 8, 2}, ReLU, 0.5, 2)
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultGD()
		cfg.Optimizer, cfg.LR, cfg.Iters, cfg.Workers, cfg.Seed = OptAdam, 0.01, 200, workers, 2
		res, err := TrainGD(context.Background(), net, data, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ref == nil {
			ref, refRes = net, res
			continue
		}
		for i, v := range net.Params {
			if v != ref.Params[i] {
				t.Fatalf("%d workers: param %d = %v, 1 worker %v", workers, i, v, ref.Params[i])
			}
		}
		if res.ValLoss != refRes.ValLoss || res.TestAcc != refRes.TestAcc {
			t.Errorf("%d workers: val loss %v test acc %v; 1 worker %v %v", workers, res.ValLoss, res.TestAcc, refRes.ValLoss, refRes.TestAcc)
		}
	}
}

// TestGDStepNoAlloc checks that a training step allocates nothing, with one
// and with several workers.
func TestGDStepNoAlloc(t *testing.T) {
	d := gradTestData(t, 300, 20, 4, true, 5)
	for _, workers := range []int{1, 2} {
		for _, opt := range []string{OptSGD, OptMomentum, OptAdam} {
			net, err := NewInitNet([]int{20, 16, 4}, ReLU, 0.1, 1)
			if err != nil {
				t.Fatal(err)
			}
			cfg := DefaultGD()
			cfg.Optimizer, cfg.Workers = opt, workers
			bat := newBatcher(d.N, 100, NewRand(1, streamBatch))
			tr := newGDTrainer(net, d, 100, cfg)
			tr.step(bat.draw())
			if a := testing.AllocsPerRun(50, func() { tr.step(bat.draw()) }); a != 0 {
				t.Errorf("%s, %d workers: %v allocations per step", opt, workers, a)
			}
			tr.close()
		}
	}
}

func TestGDValidate(t *testing.T) {
	if err := DefaultGD().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, c := range []struct {
		flag string
		set  func(*GDConfig)
	}{
		{"--iters", func(c *GDConfig) { c.Iters = 0 }},
		{"--optimizer", func(c *GDConfig) { c.Optimizer = "rmsprop" }},
		{"--lr", func(c *GDConfig) { c.LR = 0 }},
		{"--lr", func(c *GDConfig) { c.LR = math.NaN() }},
		{"--momentum", func(c *GDConfig) { c.Optimizer, c.Momentum = OptMomentum, 1 }},
		{"--beta1", func(c *GDConfig) { c.Optimizer, c.Beta1 = OptAdam, -0.1 }},
		{"--beta2", func(c *GDConfig) { c.Optimizer, c.Beta2 = OptAdam, 1 }},
		{"--adam-eps", func(c *GDConfig) { c.Optimizer, c.AdamEps = OptAdam, 0 }},
		{"--batch", func(c *GDConfig) { c.Batch = 0 }},
		{"--eval-every", func(c *GDConfig) { c.EvalEvery = -1 }},
	} {
		cfg := DefaultGD()
		c.set(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.flag+"=") {
			t.Errorf("want an error naming %s, got %v", c.flag, err)
		}
	}
	// Knobs of other optimizers are not checked.
	cfg := DefaultGD()
	cfg.Momentum, cfg.Beta1 = 5, 5
	if err := cfg.Validate(); err != nil {
		t.Errorf("sgd with unused momentum and beta1: %v", err)
	}
}

func TestGDInterruptAndDivergence(t *testing.T) {
	data := boundaryData(t, 3)
	net, _ := NewInitNet([]int{2, 8, 2}, ReLU, 0.1, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := DefaultGD()
	cfg.Iters = 1000
	res, err := TrainGD(ctx, net, data, cfg, func(p Progress) {
		if p.Step >= 100 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || res == nil || res.Iters != 100 || math.IsNaN(res.TestAcc) {
		t.Errorf("cancelled at step 100: iters %v, err %v", res, err)
	}

	net, _ = NewInitNet([]int{2, 8, 2}, ReLU, 0.1, 3)
	cfg.LR = 1e30
	res, err = TrainGD(context.Background(), net, data, cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "diverged") || res == nil {
		t.Errorf("lr 1e30: err %v", err)
	}

	bad, _ := NewInitNet([]int{3, 2}, ReLU, 0.1, 3)
	if _, err := TrainGD(context.Background(), bad, data, DefaultGD(), nil); err == nil {
		t.Error("a 3-input net on a 2-feature task: no error")
	}
}

// trainMNIST trains a net of the given hidden sizes with SGD lr 0.1, batch
// 100 for iters steps on the task and returns the result.
func trainMNIST(t *testing.T, task string, hidden []int, iters int) *Result {
	t.Helper()
	spec, err := ParseTask(task)
	if err != nil {
		t.Fatal(err)
	}
	data, err := NewLoader().Load(spec, 1)
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	sizes := append(append([]int{data.Dim()}, hidden...), data.Classes())
	net, err := NewInitNet(sizes, ReLU, 0.1, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultGD()
	cfg.Iters, cfg.Seed, cfg.Workers = iters, 1, 2
	res, err := TrainGD(context.Background(), net, data, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s sgd lr 0.1 batch 100, %d steps: val acc %.4f, test acc %.4f (loss %.4f), %.1f s, %.0f it/s",
		task, net.Shape(), iters, res.ValAcc, res.TestAcc, res.TestLoss, res.Seconds, res.ItersPerSec)
	return res
}

// TestGDMNISTSubset trains 784-10 on a small MNIST subset: well above chance.
func TestGDMNISTSubset(t *testing.T) {
	res := trainMNIST(t, "mnist:train=2000,val=500,test=500", nil, 1000)
	if res.TestAcc <= 0.80 {
		t.Errorf("test acc %.4f, want > 0.80", res.TestAcc)
	}
}

// TestGDMNISTFull is the acceptance check of the baseline on full MNIST:
// 784-10 and 784-32-10, SGD lr 0.1, batch 100, 3000 steps reach test
// accuracy above 0.90 and 0.93. It runs with SYNRL_LONG=1.
func TestGDMNISTFull(t *testing.T) {
	if os.Getenv("SYNRL_LONG") != "1" {
		t.Skip("set SYNRL_LONG=1 to train on full MNIST")
	}
	for _, c := range []struct {
		hidden []int
		want   float64
	}{{nil, 0.90}, {[]int{32}, 0.93}} {
		res := trainMNIST(t, "mnist", c.hidden, 3000)
		if res.TestAcc <= c.want {
			t.Errorf("hidden %v: test acc %.4f, want > %.2f", c.hidden, res.TestAcc, c.want)
		}
	}
}

// BenchmarkGDStep measures one SGD step (forward, backward, update) of
// 784-32-10 on a batch of 100 MNIST-like sparse samples.
func BenchmarkGDStep(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			n, dim := 1000, 784
			x := make([]float32, n*dim)
			for i := range x {
				if rng.Float64() < 0.19 { // MNIST: about 19% of pixels are non-zero
					x[i] = float32(rng.Float64())
				}
			}
			y := make([]int32, n)
			for i := range y {
				y[i] = int32(rng.IntN(10))
			}
			d, err := NewDataset(x, y, dim, 10)
			if err != nil {
				b.Fatal(err)
			}
			net, _ := NewInitNet([]int{dim, 32, 10}, ReLU, 0.1, 1)
			cfg := DefaultGD()
			cfg.Workers = workers
			bat := newBatcher(n, 100, NewRand(1, streamBatch))
			tr := newGDTrainer(net, d, 100, cfg)
			defer tr.close()
			b.ReportAllocs()
			for b.Loop() {
				tr.step(bat.draw())
			}
		})
	}
}
