// The register tile of the AVX2 and AVX-512 kernels: ROWS rows x 2 vectors of C held in registers
// while kc steps of A (broadcast, one row at a time) and B (two vector loads) stream past. Included
// by gemm-avx2.cc and gemm-avx512.cc inside a region compiled for their instruction set, with `Ops`
// the vector type and its operations, so the same loop becomes ymm or zmm code.
#pragma once
#include "gemm-kernels.h"

namespace nns {

template <class Ops, int ROWS>
struct SimdTile {
  static void run(const TileArgs& t) {
    using V = typename Ops::V;
    constexpr int W = Ops::LANES;
    long off[ROWS];  // kept in registers for the whole loop
    V acc[ROWS][2];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) off[r] = t.rowOffset[r];
    if (t.accumulate) {
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        acc[r][0] = Ops::load(t.c + (size_t)r * t.ldc);
        acc[r][1] = Ops::load(t.c + (size_t)r * t.ldc + W);
      }
    } else {
      const V b0 = t.bias ? Ops::load(t.bias) : Ops::zero();
      const V b1 = t.bias ? Ops::load(t.bias + W) : Ops::zero();
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) acc[r][0] = b0, acc[r][1] = b1;
    }
    const float* a = t.a;
    const float* b = t.b;
    for (int p = 0; p < t.kc; p++, a += t.aStep, b += t.bStep) {
      const V b0 = Ops::load(b), b1 = Ops::load(b + W);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        const V ar = Ops::broadcast(a + off[r]);
        acc[r][0] = Ops::fma(ar, b0, acc[r][0]);
        acc[r][1] = Ops::fma(ar, b1, acc[r][1]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      Ops::store(t.c + (size_t)r * t.ldc, acc[r][0]);
      Ops::store(t.c + (size_t)r * t.ldc + W, acc[r][1]);
    }
  }
};

// 12 chains: more than an FMA's latency times the FMA pipes (4 x 2) on current x86 cores.
template <class Ops>
float simdFmaChains(float seed, long steps) {
  constexpr int CHAINS = 12;
  using V = typename Ops::V;
  V acc[CHAINS];
  const float mul = 0.999999f, add = 1e-7f;
  const V m = Ops::broadcast(&mul), c = Ops::broadcast(&add);
#pragma GCC unroll 16
  for (int i = 0; i < CHAINS; i++) {
    const float start = seed + i;
    acc[i] = Ops::broadcast(&start);
  }
  for (long s = 0; s < steps; s++)
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = Ops::fma(acc[i], m, c);
  alignas(64) float lanes[Ops::LANES];
  float total = 0;
  for (int i = 0; i < CHAINS; i++) {
    Ops::store(lanes, acc[i]);
    total += lanes[0] + lanes[Ops::LANES - 1];
  }
  return total;
}

template <class Ops>
constexpr PeakLoop simdPeakLoop() {
  return PeakLoop{&simdFmaChains<Ops>, 12 * 2 * Ops::LANES};
}

}  // namespace nns
