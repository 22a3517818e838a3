// The register-blocked inner kernels behind gemm() (gemm.cc), one set per instruction set, and the
// block sizes that fit each to the caches.
#pragma once
#include <cstddef>
#include <utility>

#include "isa.h"

namespace nns {

// One tile of C, at most MR x NR: C[rows x NR] (+)= A[rows x kc] * B[kc x NR].
//   A: element (r, p) is a[rowOffset[r] + p * aStep]: a packed panel (offsets 0..MR-1, step MR),
//      X^T read in place (offsets 0..MR-1, step ld) or row-major rows in place (offsets r * ld, step 1)
//   B: step p is the NR floats at b + p * bStep: a packed, zero-padded panel (step NR) or the rows of
//      a row-major matrix in place (step ld)
//   C: row stride ldc; accumulate: C += A B, else C = A B (+ bias[NR] on every row when not null)
struct TileArgs {
  int kc;
  const float* a;
  const long* rowOffset;
  long aStep;
  const float* b;
  long bStep;
  float* c;
  int ldc;
  const float* bias;
  bool accumulate;
};

using TileKernel = void (*)(const TileArgs& t);

// Independent multiply-add chains in registers, no memory traffic: the ceiling a tile kernel runs
// under, timed by fma-peak.cc. Runs `steps` steps of `flopsPerStep` flops; the result depends on
// every chain so that nothing is optimized away.
struct PeakLoop {
  float (*run)(float seed, long steps);
  int flopsPerStep;
};

struct KernelSet {
  int mr, nr;      // register tile
  int kc, mc, nc;  // cache blocks: kc-deep sums, an mc x kc block of A in L2, kc x nc of B in L3
  TileKernel tile[17];  // tile[rows] for rows = 1..mr: exact row counts, so edge tiles do no wasted work
  // Tiles half as wide (NR / 2 columns), for a right edge that narrow (a 10-class output layer):
  // half the wasted lanes. Null where the set has none.
  TileKernel narrow[17];
  PeakLoop peak;
};

// The table of one instruction set's kernels: Kernel<ROWS>::run (and Narrow<ROWS>::run) for ROWS = 1..MR.
template <template <int> class Kernel, template <int> class Narrow, int... R>
constexpr KernelSet kernelSet(int mr, int nr, int kc, int mc, int nc, std::integer_sequence<int, R...>, PeakLoop peak) {
  return KernelSet{mr, nr, kc, mc, nc, {nullptr, &Kernel<R + 1>::run...}, {nullptr, &Narrow<R + 1>::run...}, peak};
}
template <template <int> class Kernel, int... R>
constexpr KernelSet kernelSet(int mr, int nr, int kc, int mc, int nc, std::integer_sequence<int, R...>, PeakLoop peak) {
  return KernelSet{mr, nr, kc, mc, nc, {nullptr, &Kernel<R + 1>::run...}, {}, peak};
}

// The kernels of a supported instruction set.
const KernelSet& kernelsFor(Isa isa);

const KernelSet& portableKernels();
#if NNS_X86_KERNELS
const KernelSet& avx2Kernels();
const KernelSet& avx512Kernels();
#endif

}  // namespace nns
