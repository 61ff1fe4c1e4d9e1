package inner

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
)

// IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
const (
	idxImageMagic = 0x00000803
	idxLabelMagic = 0x00000801
)

// idxMaxPixels bounds rows*cols of one IDX image, so that a corrupt header
// gives an error instead of a huge allocation.
const idxMaxPixels = 1 << 24

// openIDX opens an IDX file, gzip-compressed or plain (recognised by its
// content, not its name). The returned closer closes the file.
func openIDX(path string) (io.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: bad gzip stream: %w", path, err)
		}
		return zr, f, nil
	}
	return br, f, nil
}

// readIDXHeader reads the magic number and dims big-endian uint32 sizes.
func readIDXHeader(path string, r io.Reader, magic uint32, what string, dims int) ([]int, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, idxReadErr(path, "header", err)
	}
	if m := binary.BigEndian.Uint32(hdr[:]); m != magic {
		return nil, fmt.Errorf("%s: bad magic number 0x%08x, want 0x%08x (IDX %s)", path, m, magic, what)
	}
	sizes := make([]int, dims)
	for i := range sizes {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, idxReadErr(path, "header", err)
		}
		sizes[i] = int(binary.BigEndian.Uint32(hdr[:]))
	}
	return sizes, nil
}

// idxReadErr turns an early end of file into a "truncated" error.
func idxReadErr(path, part string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: truncated file: it ends inside the %s", path, part)
	}
	return fmt.Errorf("%s: reading the %s: %w", path, part, err)
}

// readBody reads exactly n bytes, growing its buffer as data arrives so a
// lying header cannot force a huge allocation up front.
func readBody(path string, r io.Reader, n int64, what string) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<26))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		end := min(int64(cap(buf)), n)
		m, err := io.ReadFull(r, buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%s: truncated file: the header promises %d bytes of %s, the file holds %d", path, n, what, len(buf))
			}
			return nil, fmt.Errorf("%s: reading %s: %w", path, what, err)
		}
	}
	return buf, nil
}

// readIDXImages reads an IDX image file (magic 0x00000803) and returns its
// pixels scaled to [0,1], row-major, with the image count and size.
func readIDXImages(path string) (x []float32, n, rows, cols int, err error) {
	r, c, err := openIDX(path)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	defer c.Close()
	sizes, err := readIDXHeader(path, r, idxImageMagic, "images", 3)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	n, rows, cols = sizes[0], sizes[1], sizes[2]
	if rows == 0 || cols == 0 || rows*cols > idxMaxPixels {
		return nil, 0, 0, 0, fmt.Errorf("%s: implausible image size %dx%d", path, rows, cols)
	}
	raw, err := readBody(path, r, int64(n)*int64(rows)*int64(cols), fmt.Sprintf("pixels (%d images of %dx%d)", n, rows, cols))
	if err != nil {
		return nil, 0, 0, 0, err
	}
	x = make([]float32, len(raw))
	for i, v := range raw {
		x[i] = float32(v) / 255
	}
	return x, n, rows, cols, nil
}

// readIDXLabels reads an IDX label file (magic 0x00000801).
func readIDXLabels(path string) ([]int32, error) {
	r, c, err := openIDX(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sizes, err := readIDXHeader(path, r, idxLabelMagic, "labels", 1)
	if err != nil {
		return nil, err
	}
	raw, err := readBody(path, r, int64(sizes[0]), fmt.Sprintf("labels (%d)", sizes[0]))
	if err != nil {
		return nil, err
	}
	y := make([]int32, len(raw))
	for i, v := range raw {
		y[i] = int32(v)
	}
	return y, nil
}

// idxPair is the raw content of one images file and its labels file.
type idxPair struct {
	x          []float32
	y          []int32
	rows, cols int
}

// readIDXPair reads an images file and its labels file and checks that they
// describe the same number of samples.
func readIDXPair(images, labels string) (*idxPair, error) {
	x, n, rows, cols, err := readIDXImages(images)
	if err != nil {
		return nil, err
	}
	y, err := readIDXLabels(labels)
	if err != nil {
		return nil, err
	}
	if len(y) != n {
		return nil, fmt.Errorf("count mismatch: %s holds %d images but %s holds %d labels", images, n, labels, len(y))
	}
	return &idxPair{x: x, y: y, rows: rows, cols: cols}, nil
}

// findIDX returns the path of prefix's images or labels file in dir, trying
// the usual spellings, plain before gzip-compressed; "" if none exists.
func findIDX(dir, prefix, what string) string {
	var names []string
	switch what {
	case "images":
		names = []string{prefix + "-images-idx3-ubyte", prefix + "-images.idx3-ubyte"}
	case "labels":
		names = []string{prefix + "-labels-idx1-ubyte", prefix + "-labels.idx1-ubyte"}
	}
	for _, suffix := range []string{"", ".gz"} {
		for _, name := range names {
			p := filepath.Join(dir, name+suffix)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// readIDXDir reads DIR/train-* and, when present, DIR/t10k-*. It returns
// one dataset (the train files) or two (train, then t10k), sharing Dim and
// Classes (the largest label seen plus one, at least 2).
func readIDXDir(dir string) ([]*Dataset, error) {
	trainImg, trainLbl := findIDX(dir, "train", "images"), findIDX(dir, "train", "labels")
	testImg, testLbl := findIDX(dir, "t10k", "images"), findIDX(dir, "t10k", "labels")
	switch {
	case trainImg == "":
		return nil, fmt.Errorf("%s: no train-images-idx3-ubyte[.gz] file", dir)
	case trainLbl == "":
		return nil, fmt.Errorf("%s: %s has no train-labels-idx1-ubyte[.gz] beside it", dir, filepath.Base(trainImg))
	case testImg != "" && testLbl == "":
		return nil, fmt.Errorf("%s: %s has no t10k-labels-idx1-ubyte[.gz] beside it", dir, filepath.Base(testImg))
	case testImg == "" && testLbl != "":
		return nil, fmt.Errorf("%s: %s has no t10k-images-idx3-ubyte[.gz] beside it", dir, filepath.Base(testLbl))
	}
	// The train and test files are decompressed concurrently.
	var (
		test    *idxPair
		testErr error
		wg      sync.WaitGroup
	)
	if testImg != "" {
		wg.Go(func() { test, testErr = readIDXPair(testImg, testLbl) })
	}
	train, err := readIDXPair(trainImg, trainLbl)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	pairs := []*idxPair{train}
	if testImg != "" {
		if testErr != nil {
			return nil, testErr
		}
		if test.rows != train.rows || test.cols != train.cols {
			return nil, fmt.Errorf("%s holds %dx%d images but %s holds %dx%d", testImg, test.rows, test.cols, trainImg, train.rows, train.cols)
		}
		pairs = append(pairs, test)
	}
	classes := 2
	for _, p := range pairs {
		for _, c := range p.y {
			classes = max(classes, int(c)+1)
		}
	}
	sets := make([]*Dataset, len(pairs))
	for i, p := range pairs {
		sets[i] = poolDataset(p.x, p.y, p.rows*p.cols, classes)
	}
	return sets, nil
}

// poolDataset wraps checked data (labels in [0, classes), len(x) ==
// len(y)*dim) as a Dataset without the sparse view NewDataset builds: the
// cached pools of IDX files are only read through Subset, which builds the
// view of the sets it returns, so building it for a whole file (most of the
// parse time of MNIST) would be wasted.
func poolDataset(x []float32, y []int32, dim, classes int) *Dataset {
	return &Dataset{X: x, Y: y, N: len(y), Dim: dim, Classes: classes}
}

// loadIDXSets reads an IDX directory through the Loader's cache.
func (l *Loader) loadIDXSets(dir string) ([]*Dataset, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return l.cached("idx:"+abs, func() ([]*Dataset, error) { return readIDXDir(abs) })
}

// loadIDXDir loads an idx:DIR task.
func (l *Loader) loadIDXDir(spec TaskSpec, seed uint64) (*Data, error) {
	sets, err := l.loadIDXSets(spec.Path)
	if err != nil {
		return nil, err
	}
	return splitIDX(spec.String(), sets, seed, [3]int{})
}

// Streams of the seeded generators that draw size-limited subsets.
const (
	subsetStreamTrain = 0x5b5e7000 + iota
	subsetStreamVal
	subsetStreamTest
)

// splitIDX splits IDX data into train, validation and test sets. With a
// single (train) set the data are pooled and split by splitPooled. With a
// train and a test set, the test set is kept and a seeded random sixth of
// the train set becomes the validation set (60000 -> 50000 + 10000, as
// MNIST is usually split). limits, when positive, cap the sizes of the
// train, validation and test sets by seeded random subsets.
func splitIDX(name string, sets []*Dataset, seed uint64, limits [3]int) (*Data, error) {
	if len(sets) == 1 {
		d, err := splitPooled(name, sets[0], seed)
		if err != nil {
			return nil, err
		}
		d.Train = limitRows(d.Train, limits[0], seed, subsetStreamTrain)
		d.Val = limitRows(d.Val, limits[1], seed, subsetStreamVal)
		d.Test = limitRows(d.Test, limits[2], seed, subsetStreamTest)
		return d, nil
	}
	train, test := sets[0], sets[1]
	if train.N < 2 || test.N < 1 {
		return nil, fmt.Errorf("%s: %d train and %d test samples, need at least 2 and 1", name, train.N, test.N)
	}
	perm := permutation(train.N, seed)
	nVal := max(1, train.N/6)
	valRows, trainRows := perm[:nVal], perm[nVal:]
	// perm is random, so its prefixes are seeded random subsets.
	if n := limits[0]; n > 0 && n < len(trainRows) {
		trainRows = trainRows[:n]
	}
	if n := limits[1]; n > 0 && n < len(valRows) {
		valRows = valRows[:n]
	}
	var testRows []int
	if n := limits[2]; n > 0 && n < test.N {
		testRows = subsetRows(test.N, n, seed, subsetStreamTest)
	} else {
		testRows = make([]int, test.N)
		for i := range testRows {
			testRows[i] = i
		}
	}
	return &Data{
		Name:  name,
		Train: train.Subset(trainRows),
		Val:   train.Subset(valRows),
		Test:  test.Subset(testRows),
	}, nil
}

// subsetRows returns k of the rows 0..n-1, chosen at random with seed and
// stream, in increasing order.
func subsetRows(n, k int, seed, stream uint64) []int {
	rng := rand.New(rand.NewPCG(seed, stream))
	// Selection sampling (Knuth's algorithm S): in order, exactly k rows.
	rows := make([]int, 0, k)
	for i := 0; i < n && len(rows) < k; i++ {
		if rng.IntN(n-i) < k-len(rows) {
			rows = append(rows, i)
		}
	}
	return rows
}

// limitRows returns d, or a seeded random subset of k of its rows when
// 0 < k < d.N.
func limitRows(d *Dataset, k int, seed, stream uint64) *Dataset {
	if k <= 0 || k >= d.N {
		return d
	}
	return d.Subset(subsetRows(d.N, k, seed, stream))
}
