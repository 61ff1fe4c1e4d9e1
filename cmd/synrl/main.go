// Command synrl searches for synapse-level learning policies: it trains
// networks whose every synapse follows one shared Q table, searches for that
// table, compares it with adaptive Q-learning and gradient descent, and
// reports from an SQLite database. Run `synrl help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/synrl/synrl/cmd/synrl/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.StdEnv())
	stop()
	os.Exit(code)
}
