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
	// streamExploreGaps draws which synapses explore; streamExplore
	// draws what they do.
	streamExploreGaps = 4
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

// gapSampler draws the gaps between exploring synapses: the number of
// failures before the first success of Bernoulli(p) trials, i.e. the count
// of greedy synapses before the next one that explores. Drawing gaps
// instead of one number per synapse makes exploration cost proportional to
// the synapses that explore, and drawing them 256 at a time in a tight loop
// lets the processor overlap the logarithms. The logarithm is fastLn
// (relative error below 1e-6), so the gaps follow the geometric
// distribution to that precision.
type gapSampler struct {
	rng    fastRand
	p      float64
	invLog float64 // 1/ln(1-p)
	buf    [256]int
	pos    int
}

func newGapSampler(seed uint64, p float64) *gapSampler {
	g := &gapSampler{rng: fastRand{s: seed}, p: p, invLog: 1 / math.Log1p(-p)}
	g.pos = len(g.buf)
	return g
}

// next returns the next gap.
func (g *gapSampler) next() int {
	switch {
	case g.p <= 0:
		return math.MaxInt
	case g.p >= 1:
		return 0
	}
	if g.pos == len(g.buf) {
		for i := range g.buf {
			// ln(u) <= 0 and invLog < 0, so v >= 0 and truncation is floor.
			v := fastLn(g.rng.float()) * g.invLog
			if v < math.MaxInt32 {
				g.buf[i] = int(v)
			} else {
				g.buf[i] = math.MaxInt32
			}
		}
		g.pos = 0
	}
	v := g.buf[g.pos]
	g.pos++
	return v
}

// lnTable[i] = ln(1 + i/256) and invTable[i] = 1/(1 + i/256), for fastLn.
var lnTable, invTable = func() (ln, inv [257]float64) {
	for i := range ln {
		ln[i] = math.Log1p(float64(i) / 256)
		inv[i] = 1 / (1 + float64(i)/256)
	}
	return
}()

// fastLn returns ln(x) for positive normal x (the gaps need x in (0, 1]):
// the exponent from the float's bits, ln of the mantissa's first 8 bits
// from a table, and ln of the remaining factor r in [1, 1+1/256) from
// three terms of its series, whose error is below 1e-10.
func fastLn(x float64) float64 {
	b := math.Float64bits(x)
	e := float64(int((b>>52)&0x7ff) - 1023)
	i := (b >> 44) & 0xff
	m := math.Float64frombits(b&^(0x7ff<<52) | 1023<<52)
	t := m*invTable[i] - 1
	return e*math.Ln2 + lnTable[i] + t*(1-t*(0.5-t*(1.0/3)))
}
