// The machine's measured single-precision peak: independent FMA chains in registers, no memory
// traffic, on the calling thread. The benchmark reports the trainer's GFLOP/s as a share of it.
#pragma once
#include "isa.h"

namespace nns {

// GFLOP/s of one thread running `isa`'s widest FMA for about `seconds`.
double fmaPeakGflops(Isa isa, double seconds);

}  // namespace nns
