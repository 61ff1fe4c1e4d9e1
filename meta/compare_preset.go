package meta

import (
	"fmt"
	"strings"

	"github.com/synrl/synrl/inner"
	"github.com/synrl/synrl/policies"
)

// PaperBudget is the length of the paper preset's runs.
type PaperBudget struct {
	// Name is small, medium or full.
	Name string
	// Doc says what the budget is for and how long it takes.
	Doc string
	// Task is the MNIST task specification.
	Task string
	// Seeds is the default number of seeds.
	Seeds int
	// Iters is the number of steps of every run, synaptic and gd alike.
	Iters int
	// Epsilon, Batch and BatchInterval configure the synaptic arms.
	Epsilon       float64
	Batch         int
	BatchInterval int
}

// PaperBudgets returns the budgets of the paper preset, shortest first.
// Times are for 2 cores (--workers 2).
func PaperBudgets() []PaperBudget {
	return []PaperBudget{
		{
			Name: "small", Task: "mnist", Seeds: 3, Iters: 3000, Epsilon: 0.003, Batch: 1000, BatchInterval: 500,
			Doc: "3 seeds x 3000 steps, epsilon 0.003 (short runs need a larger step), batch 1000: ~3 min",
		},
		{
			Name: "medium", Task: "mnist", Seeds: 5, Iters: 20000, Epsilon: 0.001, Batch: 1000, BatchInterval: 500,
			Doc: "5 seeds x 20000 steps, the reference's epsilon 0.001 and batch 1000: ~30 min",
		},
		{
			Name: "full", Task: "mnist", Seeds: 5, Iters: 100000, Epsilon: 0.0001, Batch: 5000, BatchInterval: 500,
			Doc: "5 seeds x 100000 steps, the paper's long runs' epsilon 1e-4 and batch 5000: 4-8 hours",
		},
	}
}

// PaperStaticPolicy is the first static arm's policy in the paper preset:
// builtin:learned when this build ships it, else builtin:wsls.
func PaperStaticPolicy() string {
	if _, err := policies.Learned(); err == nil {
		return "builtin:learned"
	}
	return "builtin:wsls"
}

// PaperAdaptiveAlpha is the Q-learning rate of the preset's adaptive arm.
// Every synapse's transition is one update, so a step applies thousands of
// them to the shared table (7,850 on 784-10): the reference's 0.01 would
// overwrite the visited entries at every step (see the README).
const PaperAdaptiveAlpha = 1e-5

// PaperPreset returns the comparisons that reproduce the paper's experiment
// on MNIST with the named budget: a 784-10 and a 784-32-10 ReLU network
// (weights uniform in +-0.1), each trained by static policies
// (PaperStaticPolicy and builtin:wsls), adaptive Q-learning from
// builtin:zero with PaperAdaptiveAlpha, and gradient descent (SGD, learning rate 0.1, batch 100, the same number of steps),
// with gd as the reference. seeds overrides the budget's seed count when
// positive; seeds are 1..S.
func PaperPreset(budget string, seeds int) ([]CompareConfig, error) {
	var b *PaperBudget
	budgets := PaperBudgets()
	names := make([]string, len(budgets))
	for i := range budgets {
		names[i] = budgets[i].Name
		if budgets[i].Name == budget {
			b = &budgets[i]
		}
	}
	if b == nil {
		return nil, fmt.Errorf("--budget=%q: want %s", budget, strings.Join(names, ", "))
	}
	if seeds <= 0 {
		seeds = b.Seeds
	}
	seedList := make([]uint64, seeds)
	for i := range seedList {
		seedList[i] = uint64(i + 1)
	}
	syn := inner.DefaultSynaptic()
	syn.Iters, syn.Epsilon, syn.Batch, syn.BatchInterval = b.Iters, b.Epsilon, b.Batch, b.BatchInterval
	gd := inner.DefaultGD()
	gd.Iters = b.Iters
	syn.Alpha = PaperAdaptiveAlpha
	static := PaperStaticPolicy()
	arms := []CompareArm{{Name: "static:" + static, Kind: ArmStatic, Policy: static}}
	if static != "builtin:wsls" {
		arms = append(arms, CompareArm{Name: "static:builtin:wsls", Kind: ArmStatic, Policy: "builtin:wsls"})
	}
	arms = append(arms,
		CompareArm{Name: "adaptive:" + DefaultAdaptiveStart, Kind: ArmAdaptive, Policy: DefaultAdaptiveStart},
		CompareArm{Name: "gd:sgd:0.1", Kind: ArmGD, Optimizer: inner.OptSGD, LR: 0.1},
	)
	var out []CompareConfig
	for _, hidden := range [][]int{nil, {32}} {
		shape := "784-10"
		if hidden != nil {
			shape = "784-32-10"
		}
		out = append(out, CompareConfig{
			Name: fmt.Sprintf("paper %s %s", shape, b.Name), Task: b.Task, Hidden: hidden,
			Activation: inner.ReLU, InitRange: 0.1, History: 2,
			Arms: append([]CompareArm(nil), arms...), Seeds: seedList, Reference: "gd:sgd:0.1",
			Synaptic: syn, GD: gd,
		})
	}
	return out, nil
}
