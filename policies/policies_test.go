package policies

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for h := MinHistory; h <= MaxHistory; h++ {
		for s := range NumStates(h) {
			st := Decode(s, h)
			if got := Encode(st.Actions, st.Rewards); got != s {
				t.Fatalf("h=%d: Encode(Decode(%d)) = %d", h, s, got)
			}
		}
	}
	// The contract's digit order: a[t-1], a[t-2], r[t-1], r[t-2], first most significant.
	if got := Encode([]int{Inc, Dec}, []int{Rewarded, NoReward}); got != 2*27+0*9+2*3+1 {
		t.Fatalf("Encode(inc dec, + 0) = %d, want %d", got, 2*27+2*3+1)
	}
}

func TestGreedyTiesGoLow(t *testing.T) {
	for _, c := range []struct {
		a, b, c float64
		want    int
	}{{0, 0, 0, 0}, {1, 1, 0, 0}, {0, 1, 1, 1}, {0, 0, 1, 2}, {-1, 2, 2, 1}} {
		if got := Argmax3(c.a, c.b, c.c); got != c.want {
			t.Errorf("Argmax3(%v, %v, %v) = %d, want %d", c.a, c.b, c.c, got, c.want)
		}
	}
}

func TestFileRoundTripKeepsUnknownFields(t *testing.T) {
	tab, err := Builtin("random:7", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	tab.Meta["notes"] = "hello"
	data, err := Marshal(tab)
	if err != nil {
		t.Fatal(err)
	}
	// Add unknown fields at the top level and in meta.
	data = bytes.Replace(data, []byte(`"history": 2,`), []byte(`"history": 2, "extra": {"x": [1, 2]},`), 1)
	data = bytes.Replace(data, []byte(`"notes": "hello"`), []byte(`"notes": "hello", "custom": 3`), 1)
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != tab.Hash() {
		t.Fatal("Q values changed on round trip")
	}
	again, err := Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"extra"`, `"custom": 3`, `"notes": "hello"`, `"format": "synrl.policy/v1"`} {
		if !bytes.Contains(again, []byte(want)) {
			t.Errorf("re-marshalled file lacks %s:\n%s", want, again)
		}
	}
	// Write and read a file.
	path := filepath.Join(t.TempDir(), "p.json")
	if err := WriteFile(path, back); err != nil {
		t.Fatal(err)
	}
	fromFile, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fromFile.Hash() != tab.Hash() || fromFile.Name != tab.Name {
		t.Fatalf("file round trip changed the table: %q vs %q", fromFile.Name, tab.Name)
	}
}

func TestBadFilesNameTheFileAndProblem(t *testing.T) {
	dir := t.TempDir()
	good, _ := New("x", 1)
	okData, _ := Marshal(good)
	cases := []struct {
		name, content, want string
	}{
		{"notjson", "{nope", "not a JSON object"},
		{"format", strings.Replace(string(okData), Format, "synrl.policy/v9", 1), "unknown format"},
		{"rows", strings.Replace(string(okData), `"history": 1`, `"history": 2`, 1), "q has 9 rows, history 2 needs 81"},
		{"nonfinite", strings.Replace(string(okData), "[0, 0, 0],", "[0, 1e999, 0],", 1), "not a finite number"},
		{"short", strings.Replace(string(okData), "[0, 0, 0],", "[0, 0],", 1), "has 2 values"},
		{"history", strings.Replace(string(okData), `"history": 1`, `"history": 9`, 1), "history 9 out of range"},
		{"noformat", `{"history": 1, "q": []}`, `missing "format"`},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.name+".json")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(path)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q lacks the path or %q", c.name, err, c.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json"), 2, 0); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "nonexistent"), 2, 0); err == nil {
		t.Error("nonexistent file accepted")
	}
	// A valid file of the wrong history for the run.
	path := filepath.Join(dir, "h1.json")
	os.WriteFile(path, okData, 0o644)
	if _, err := Load(path, 2, 0); err == nil || !strings.Contains(err.Error(), "history 1") {
		t.Errorf("history mismatch: %v", err)
	}
}

func TestBuiltins(t *testing.T) {
	for _, name := range BuiltinNames() {
		for h := MinHistory; h <= MaxHistory; h++ {
			tab, err := Builtin(name, h, 3)
			if name == "learned" {
				continue // has one history only; tested below
			}
			if err != nil {
				t.Fatalf("%s h=%d: %v", name, h, err)
			}
			if err := tab.Validate(); err != nil {
				t.Fatalf("%s h=%d: %v", name, h, err)
			}
		}
	}
	if _, err := Builtin("nope", 2, 0); err == nil || !strings.Contains(err.Error(), "wsls") {
		t.Errorf("unknown builtin: %v", err)
	}
	a, _ := Builtin("random", 2, 1)
	b, _ := Builtin("random", 2, 1)
	c, _ := Builtin("random", 2, 2)
	if a.Hash() != b.Hash() || a.Hash() == c.Hash() {
		t.Error("random builtin is not a function of its seed")
	}
	// Win-stay/lose-shift: after a reward repeat, after a penalty reverse.
	w, _ := Builtin("wsls", 2, 0)
	for _, c := range []struct {
		a, r []int
		want int
	}{
		{[]int{Inc, Dec}, []int{Rewarded, Penalised}, Inc},
		{[]int{Inc, Inc}, []int{Penalised, Rewarded}, Dec},
		{[]int{Dec, Keep}, []int{Rewarded, NoReward}, Dec},
		{[]int{Dec, Keep}, []int{Penalised, NoReward}, Inc},
		{[]int{Keep, Keep}, []int{NoReward, NoReward}, Keep},
	} {
		if got := w.Greedy(Encode(c.a, c.r)); got != c.want {
			t.Errorf("wsls(%v, %v) = %s, want %s", c.a, c.r, ActionName(got), ActionName(c.want))
		}
	}
}

func FuzzParse(f *testing.F) {
	tab, _ := New("z", 1)
	data, _ := Marshal(tab)
	f.Add(data)
	f.Add([]byte(`{"format":"synrl.policy/v1","history":1,"q":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		out, err := Marshal(p)
		if err != nil {
			t.Fatalf("parsed table does not marshal: %v", err)
		}
		q, err := Parse(out)
		if err != nil || q.Hash() != p.Hash() {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func TestLearnedIsShippedWithProvenance(t *testing.T) {
	l, err := Builtin("learned", 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"command", "budget", "heldout", "created"} {
		if s, _ := l.Meta[k].(string); s == "" {
			t.Errorf("builtin:learned meta lacks %q", k)
		}
	}
	if _, err := Builtin("learned", 1, 0); err == nil {
		t.Error("builtin:learned accepted history 1")
	}
}
