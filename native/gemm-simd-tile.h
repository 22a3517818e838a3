// The register tile of the AVX2 and AVX-512 kernels: ROWS rows x VECS vectors of C held in registers
// while kc steps of A (broadcast, one row at a time) and B (VECS vector loads) stream past. Included
// by gemm-avx2.cc and gemm-avx512.cc inside a region compiled for their instruction set, with `Ops`
// the vector type and its operations, so the same loop becomes ymm or zmm code.
#pragma once
#include "gemm-kernels.h"

namespace nns {

template <class Ops, int VECS, int ROWS>
struct SimdTile {
  static void run(const TileArgs& t) {
    using V = typename Ops::V;
    constexpr int W = Ops::LANES;
    long off[ROWS];  // kept in registers for the whole loop
    V acc[ROWS][VECS];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) off[r] = t.rowOffset[r];
    if (t.accumulate) {
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++)
#pragma GCC unroll 4
        for (int v = 0; v < VECS; v++) acc[r][v] = Ops::load(t.c + (size_t)r * t.ldc + v * W);
    } else {
      V init[VECS];
#pragma GCC unroll 4
      for (int v = 0; v < VECS; v++) init[v] = t.bias ? Ops::load(t.bias + v * W) : Ops::zero();
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++)
#pragma GCC unroll 4
        for (int v = 0; v < VECS; v++) acc[r][v] = init[v];
    }
    const float* a = t.a;
    const float* b = t.b;
    for (int p = 0; p < t.kc; p++, a += t.aStep, b += t.bStep) {
      V bv[VECS];
#pragma GCC unroll 4
      for (int v = 0; v < VECS; v++) bv[v] = Ops::load(b + v * W);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        const V ar = Ops::broadcast(a + off[r]);
#pragma GCC unroll 4
        for (int v = 0; v < VECS; v++) acc[r][v] = Ops::fma(ar, bv[v], acc[r][v]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++)
#pragma GCC unroll 4
      for (int v = 0; v < VECS; v++) Ops::store(t.c + (size_t)r * t.ldc + v * W, acc[r][v]);
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

// One instruction set's kernel table: MR x (2 vectors) tiles, MR x (1 vector) narrow tiles, its
// FMA peak loop, and the cache blocks given.
template <class Ops>
struct SimdKernels {
  template <int ROWS>
  using Wide = SimdTile<Ops, 2, ROWS>;
  template <int ROWS>
  using Narrow = SimdTile<Ops, 1, ROWS>;

  template <int MR>
  static constexpr KernelSet set(int kc, int mc, int nc) {
    return kernelSet<Wide, Narrow>(MR, 2 * Ops::LANES, kc, mc, nc, std::make_integer_sequence<int, MR>(),
                                   PeakLoop{&simdFmaChains<Ops>, 12 * 2 * Ops::LANES});
  }
};

}  // namespace nns
