// Package inner trains one multi-layer perceptron on one task: the network
// (float32 weights in contiguous rows with the bias last), the synaptic
// trainer of Bhargava, Rezaei & Lankarany (arXiv:2105.14383), the
// gradient-descent baseline, and the tasks (data sets) they learn.
//
// inner knows nothing of outer loops, storage or reports: it reports progress
// through a callback and returns plain result values.
package inner
