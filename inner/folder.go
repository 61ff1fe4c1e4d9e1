package inner

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	// Image formats a folder task decodes.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
)

// folderBadFraction is the fraction of undecodable files a folder task
// tolerates (notMNIST_small holds a couple of corrupt PNGs).
const folderBadFraction = 0.01

// loadFolder loads a folder:DIR task: one sub-folder of images per class.
func (l *Loader) loadFolder(spec TaskSpec, seed uint64) (*Data, error) {
	return l.loadPooled(spec, seed, readFolder)
}

// folderImage is one decoded image (or the reason it could not be).
type folderImage struct {
	path  string
	class int32
	w, h  int
	pix   []float32
	err   error
}

// readFolder reads one sub-folder of same-size images per class (classes in
// sorted order of the sub-folder names) as grayscale values in [0,1].
// Hidden entries (names starting with '.') are ignored.
func readFolder(dir string) (*Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", dir, err)
	}
	var classes []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.IsDir() {
			classes = append(classes, e.Name()) // ReadDir sorts by name
		}
	}
	if len(classes) < 2 {
		return nil, fmt.Errorf("folder %s: %d class sub-folder(s), need at least 2 (one sub-folder of images per class)", dir, len(classes))
	}
	var imgs []folderImage
	for c, name := range classes {
		sub := filepath.Join(dir, name)
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("folder %s: %w", dir, err)
		}
		n := 0
		for _, f := range files {
			if strings.HasPrefix(f.Name(), ".") || !f.Type().IsRegular() && f.Type()&os.ModeSymlink == 0 {
				continue
			}
			imgs = append(imgs, folderImage{path: filepath.Join(sub, f.Name()), class: int32(c)})
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("folder %s: class sub-folder %s holds no files", dir, name)
		}
	}
	decodeAll(imgs)

	var first *folderImage
	var firstBad *folderImage
	bad := 0
	for i := range imgs {
		im := &imgs[i]
		if im.err != nil {
			bad++
			if firstBad == nil {
				firstBad = im
			}
			continue
		}
		if first == nil {
			first = im
		} else if im.w != first.w || im.h != first.h {
			return nil, fmt.Errorf("folder %s: image %s is %dx%d but %s (the first image) is %dx%d; all images must have the same size",
				dir, im.path, im.w, im.h, first.path, first.w, first.h)
		}
	}
	if float64(bad) > folderBadFraction*float64(len(imgs)) || first == nil {
		return nil, fmt.Errorf("folder %s: %d of %d files are not readable images (more than %g%%), e.g. %w",
			dir, bad, len(imgs), 100*folderBadFraction, firstBad.err)
	}
	dim := first.w * first.h
	x := make([]float32, 0, (len(imgs)-bad)*dim)
	y := make([]int32, 0, len(imgs)-bad)
	for _, im := range imgs {
		if im.err == nil {
			x = append(x, im.pix...)
			y = append(y, im.class)
		}
	}
	d, err := NewDataset(x, y, dim, len(classes))
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", dir, err)
	}
	return d, nil
}

// decodeAll decodes the images in parallel, filling each one's pixels or
// error.
func decodeAll(imgs []folderImage) {
	workers := min(runtime.GOMAXPROCS(0), len(imgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				im := &imgs[i]
				im.pix, im.w, im.h, im.err = decodeGray(im.path)
			}
		})
	}
	for i := range imgs {
		next <- i
	}
	close(next)
	wg.Wait()
}

// decodeGray decodes an image file as grayscale values in [0,1], row-major.
func decodeGray(path string) (pix []float32, w, h int, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return nil, 0, 0, fmt.Errorf("%s: empty image", path)
	}
	pix = make([]float32, 0, w*h)
	if g, ok := img.(*image.Gray); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			off := g.PixOffset(b.Min.X, y)
			for _, v := range g.Pix[off : off+w] {
				pix = append(pix, float32(v)/255)
			}
		}
		return pix, w, h, nil
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			pix = append(pix, float32(color.Gray16Model.Convert(img.At(x, y)).(color.Gray16).Y)/65535)
		}
	}
	return pix, w, h, nil
}
