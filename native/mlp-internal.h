// Pieces of the MLP trainer (mlp.cc) that the Sequential trainer (sequential.cc) shares: the
// activations, their derivatives and the losses / metrics on the logits, so both compute them alike.
#pragma once
#include <vector>

#include "mlp.h"

namespace nns {

// a = act(z) over R rows of U (a may equal z).
void activateRows(Activation act, const float* z, float* a, int R, int U);
// g <- g * act'(z), given z (pre-activation) and a = act(z).
void activationBackward(Activation act, const float* z, const float* a, float* g, int R, int U);
// Loss and metric sums over R rows of logits z against targets t (U columns); with grad != null,
// also dLoss/dlogits of the batch mean. P receives the output activation of z.
Sums lossAndMetricRows(const ModelConfig& cfg, const float* z, const float* t, int R, int U, std::vector<float>& P, std::vector<float>* grad);

}  // namespace nns
