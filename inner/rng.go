package inner

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Seed streams: every random part of a run draws from its own stream derived
// from the run seed, so changing one part (say the batch size) does not
// change the initial weights.
const (
	streamInit    = 1
	streamBatch   = 2
	streamExplore = 3
)

// SubSeed derives an independent seed for one stream of a run (splitmix64).
func SubSeed(seed, stream uint64) uint64 {
	z := seed + stream*0x9e3779b97f4a7c15 + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// NewRand returns a PCG generator for one stream of a run.
func NewRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(SubSeed(seed, stream), stream))
}

// fastRand is wyrand: a tiny, fast generator for the per-synapse hot loop.
type fastRand struct{ s uint64 }

func (r *fastRand) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// float returns a uniform float64 in (0, 1].
func (r *fastRand) float() float64 { return float64(r.next()>>11+1) * (1.0 / (1 << 53)) }

// action returns a uniform action in {0, 1, 2}.
func (r *fastRand) action() uint8 {
	hi, _ := bits.Mul64(r.next(), 3)
	return uint8(hi)
}

// geometric returns the number of failures before the first success of
// Bernoulli(p) trials: the count of greedy synapses before the next one that
// explores. Drawing gaps instead of one number per synapse makes exploration
// cost proportional to the synapses that explore.
func (r *fastRand) geometric(p float64) int {
	switch {
	case p <= 0:
		return math.MaxInt
	case p >= 1:
		return 0
	}
	g := math.Floor(math.Log(r.float()) / math.Log1p(-p))
	if g > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(g)
}
