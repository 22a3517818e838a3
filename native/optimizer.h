// The optimizers' weight updates (sgd, adam, adamax, adagrad, rmsprop, adadelta), Keras formulas.
#pragma once
#include <cstddef>

#include "isa.h"
#include "mlp.h"

namespace nns {

// w -= the step of optimizer `o` for gradient g at iteration t (1-based) and learning rate `rate`;
// slots are the optimizer's per-weight state (up to 3 arrays of n floats, as the optimizer needs).
// Vectorized with AVX2 where the active instruction set is AVX2 or AVX-512, else with the build's
// baseline (SSE2 on x86-64); the result does not depend on it.
void optimizerStep(const OptimizerConfig& o, float* w, const float* g, size_t n, float* const slots[3], double rate, long t);

// The instruction set optimizerStep uses now.
Isa optimizerIsa();

}  // namespace nns
