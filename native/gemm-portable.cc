// Portable kernel: plain loops over a 4 x 8 tile that any compiler vectorizes for the baseline
// (SSE2 on x86-64, NEON on arm64), multiply then add (no FMA is assumed).
#include "gemm-kernels.h"

namespace nns {
namespace {

constexpr int MR = 4, NR = 8;

template <int ROWS>
struct Kernel {
  static void run(const TileArgs& t) {
    long off[ROWS];
    float acc[ROWS][NR];
    for (int r = 0; r < ROWS; r++) {
      off[r] = t.rowOffset[r];
      for (int c = 0; c < NR; c++) acc[r][c] = t.accumulate ? t.c[(size_t)r * t.ldc + c] : t.bias ? t.bias[c] : 0.0f;
    }
    const float* a = t.a;
    const float* b = t.b;
    for (int p = 0; p < t.kc; p++, a += t.aStep, b += t.bStep)
      for (int r = 0; r < ROWS; r++) {
        const float ar = a[off[r]];
        for (int c = 0; c < NR; c++) acc[r][c] += ar * b[c];
      }
    for (int r = 0; r < ROWS; r++)
      for (int c = 0; c < NR; c++) t.c[(size_t)r * t.ldc + c] = acc[r][c];
  }
};

// 12 chains of 4 lanes (what SSE2 or NEON holds), a multiply then an add: counted as the 2 flops of
// one FMA, as the tile above does its arithmetic.
float portableChains(float seed, long steps) {
  float acc[12][4];
  for (int i = 0; i < 12; i++)
    for (int l = 0; l < 4; l++) acc[i][l] = seed + i + l;
  for (long s = 0; s < steps; s++)
    for (int i = 0; i < 12; i++)
      for (int l = 0; l < 4; l++) acc[i][l] = acc[i][l] * 0.999999f + 1e-7f;
  float total = 0;
  for (int i = 0; i < 12; i++) total += acc[i][0] + acc[i][3];
  return total;
}

}  // namespace

// No narrow tiles: an 8-wide tile is narrow already.
const KernelSet& portableKernels() {
  static const KernelSet set = kernelSet<Kernel>(MR, NR, 256, 128, 4096, std::make_integer_sequence<int, MR>(), PeakLoop{&portableChains, 12 * 2 * 4});
  return set;
}

}  // namespace nns
