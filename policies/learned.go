package policies

import (
	_ "embed"
	"errors"
	"fmt"
)

//go:embed learned.json
var learnedJSON []byte

// Learned returns builtin:learned, the policy found by synrl's own search and
// shipped with the program. Its meta records how it was found.
func Learned() (*Table, error) {
	if len(learnedJSON) == 0 {
		return nil, errors.New("builtin:learned is not shipped in this build")
	}
	t, err := Parse(learnedJSON)
	if err != nil {
		return nil, fmt.Errorf("builtin:learned: %w", err)
	}
	t.Name = "learned"
	return t, nil
}
