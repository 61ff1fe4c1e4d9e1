// Package meta holds synrl's outer loops and experiments: one logged
// training run (Trial), the search for a synaptic policy (Q-learning across
// episodes, evolution with eaopt, CMA-ES, random search) over a task
// distribution, held-out evaluation, and comparisons of policies against
// gradient descent. Everything it runs is written through package results.
package meta
