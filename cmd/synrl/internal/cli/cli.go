// Package cli implements synrl's commands. Each command is a function taking
// a context, an Env (its writers) and its arguments; Main dispatches to them
// and maps errors to exit statuses: 0 success, 1 runtime failure, 2 bad
// usage or input.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/term"

	"github.com/synrl/synrl/meta"
	"github.com/synrl/synrl/results"
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	// Progress enables progress bars on Stderr (on when it is a terminal).
	Progress bool
	// LogProgress prints a plain progress line now and then instead (on
	// when Stderr is not a terminal, so that logs show long work moving).
	LogProgress bool
}

// StdEnv returns the process's standard streams.
func StdEnv() *Env {
	tty := term.IsTerminal(int(os.Stderr.Fd()))
	return &Env{Stdout: os.Stdout, Stderr: os.Stderr, Progress: tty, LogProgress: !tty}
}

// command is one synrl subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands lists the subcommands. It is filled once by init functions of
// this package's files and never modified afterwards.
var commands = map[string]command{}

func register(name, summary string, run func(context.Context, *Env, []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// UsageError is bad usage or input: exit status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError with a formatted message.
func usagef(format string, args ...any) error {
	return &UsageError{fmt.Errorf(format, args...)}
}

// ExitCode maps an error to synrl's exit status.
func ExitCode(err error) int {
	var ue *UsageError
	var ie *meta.InputError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue), errors.As(err, &ie),
		errors.Is(err, results.ErrOpen), errors.Is(err, results.ErrCorrupt):
		return 2
	}
	return 1
}

// Main runs the command named by args[0] and returns the exit status.
func Main(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return ExitCode(c.run(ctx, env, []string{"--help"}))
			}
		}
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(env.Stdout, "synrl", meta.Version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "synrl: unknown command %q (run synrl help)\n", args[0])
		return 2
	}
	err := c.run(ctx, env, args[1:])
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(env.Stderr, "synrl %s: %v\n", args[0], err)
	}
	return ExitCode(err)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `synrl searches for synapse-level learning policies: one small Q table, shared
by every synapse of a network, that trains the network without gradients
(Bhargava, Rezaei & Lankarany, arXiv:2105.14383).

Usage: synrl COMMAND [flags]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run 'synrl COMMAND --help' for a command's flags. Exit status: 0 success,
1 runtime failure, 2 bad usage or input.
`)
}

// newFlagSet returns a flag set whose --help prints the synopsis, the
// description and the flags to env.Stdout, and whose parse errors become
// UsageErrors.
func newFlagSet(env *Env, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet(synopsis, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		w := env.Stdout
		fmt.Fprintf(w, "Usage: synrl %s\n\n%s\n\nFlags:\n", synopsis, strings.TrimSpace(description))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, printing help for -h/--help (returning
// flag.ErrHelp) and turning every other error into a UsageError.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return &UsageError{err}
	}
	return nil
}

// noArgs refuses positional arguments after the flags.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags go before arguments; see --help)", fs.Arg(0))
	}
	return nil
}

// openStore opens the database at path; errors name the path and map to
// exit status 2 when the file is unusable.
func openStore(path string) (*results.Store, error) {
	s, err := results.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	return s, nil
}

// commandLine returns the command line for provenance.
func commandLine(name string, args []string) string {
	return strings.Join(append([]string{"synrl", name}, args...), " ")
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments (synrl policy show FILE --history 1), and returns
// the positional arguments. "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
