// Package policies holds the synaptic policy table shared by every synapse of
// a network, its JSON file format (synrl.policy/v1) and the built-in policies.
//
// A policy for history H has 3^(2H) states and 3 actions (0 dec, 1 keep,
// 2 inc). The state of a synapse is the digits a[t-1], ..., a[t-H],
// r[t-1], ..., r[t-H] read as a base-3 number, first digit most significant;
// action digits are 0 dec, 1 keep, 2 inc and reward digits 0 penalised,
// 1 none yet, 2 rewarded. Since the rewards are global, a state index splits
// into an action part (per synapse) and a reward part (shared):
// state = actionPart*3^H + rewardPart.
package policies
