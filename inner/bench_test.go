package inner

import (
	"context"
	"sync"
	"testing"

	"github.com/synrl/synrl/policies"
)

// benchData loads a 5000-sample MNIST subset once per test binary.
var benchData = sync.OnceValues(func() (*Data, error) {
	spec, _ := ParseTask("mnist:train=5000,val=1000,test=1000")
	return NewLoader().Load(spec, 1)
})

var benchShapes = []struct {
	name   string
	hidden []int
}{{"784-10", nil}, {"784-32-10", []int{32}}}

func benchSetup(b *testing.B, hidden []int, workers int) (*Net, *Data, *synState, *Evaluator, []int32) {
	b.Helper()
	data, err := benchData()
	if err != nil {
		b.Skip("MNIST not available:", err)
	}
	sizes := append(append([]int{784}, hidden...), 10)
	net, err := NewInitNet(sizes, ReLU, 0.1, 1)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := policies.Builtin("wsls", 2, 1)
	cfg := DefaultSynaptic()
	cfg.Workers = workers
	st := newSynState(net, p, cfg)
	ev := NewEvaluator(net, workers)
	rows := newBatcher(data.Train.N, 1000, NewRand(1, streamBatch)).draw()
	return net, data, st, ev, rows
}

// BenchmarkForward measures the forward pass and loss on a minibatch of
// 1000 MNIST images, single-threaded and on two goroutines.
func BenchmarkForward(b *testing.B) {
	for _, s := range benchShapes {
		for _, w := range []int{1, 2} {
			b.Run(s.name+"/workers="+string(rune('0'+w)), func(b *testing.B) {
				_, data, _, ev, rows := benchSetup(b, s.hidden, w)
				b.ReportAllocs()
				for b.Loop() {
					ev.Eval(data.Train, rows)
				}
			})
		}
	}
}

// BenchmarkPolicyStep measures one policy step: every synapse chooses and
// applies an action (with 10% exploration) and the Q update of the
// adaptive policy.
func BenchmarkPolicyStep(b *testing.B) {
	for _, s := range benchShapes {
		for _, adaptive := range []bool{false, true} {
			name := s.name + "/static"
			if adaptive {
				name = s.name + "/adaptive"
			}
			b.Run(name, func(b *testing.B) {
				_, _, st, _, _ := benchSetup(b, s.hidden, 1)
				st.cfg.Adaptive = adaptive
				st.q = st.q.Clone()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					st.act(0.001, 0.002)
					st.learn(policies.Penalised + 2*(i&1))
					i++
				}
			})
		}
	}
}

// BenchmarkSynapticStep measures whole training steps (policy step, forward
// pass, reward, Q update) on MNIST with batch 1000, and reports steps/s:
// with the incremental first layer (the default) and with a full forward
// pass at every step.
func BenchmarkSynapticStep(b *testing.B) {
	for _, s := range benchShapes {
		for _, full := range []bool{false, true} {
			for _, w := range []int{1, 2} {
				name := s.name + "/incremental"
				if full {
					name = s.name + "/full"
				}
				b.Run(name+"/workers="+string(rune('0'+w)), func(b *testing.B) {
					net, data, _, _, _ := benchSetup(b, s.hidden, w)
					p, _ := policies.Builtin("wsls", 2, 1)
					cfg := DefaultSynaptic()
					cfg.Workers, cfg.FullForward = w, full
					cfg.Iters = b.N
					cfg.EvalEvery = b.N + 1 // only the final point
					// Validation and final evaluation are excluded: tiny sets.
					small := &Data{Train: data.Train, Val: data.Val.Subset([]int{0}), Test: data.Test.Subset([]int{0})}
					b.ReportAllocs()
					b.ResetTimer()
					res, _, err := TrainSynaptic(context.Background(), net, small, p, cfg, nil)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(res.Iters)/res.Seconds, "steps/s")
				})
			}
		}
	}
}
