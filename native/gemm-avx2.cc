// AVX2 kernel: 6 rows x 16 columns (12 ymm accumulators, 2 for the B step, 1 broadcast of A): two
// FMA pipes with a 4-cycle latency need at least 8 independent chains, and 16 registers allow 12.
// A packed B panel of kc = 256 steps is 16 KB, half of L1.
#include "gemm-kernels.h"

#if NNS_X86_KERNELS
#include <immintrin.h>

namespace nns {
namespace {

constexpr int MR = 6, NR = 16;

template <int ROWS>
struct Kernel {
  __attribute__((target("avx2,fma"))) static void run(const TileArgs& t) {
    long off[ROWS];  // kept in registers for the whole loop
    __m256 acc[ROWS][2];
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) off[r] = t.rowOffset[r];
    if (t.accumulate) {
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        acc[r][0] = _mm256_loadu_ps(t.c + (size_t)r * t.ldc);
        acc[r][1] = _mm256_loadu_ps(t.c + (size_t)r * t.ldc + 8);
      }
    } else {
      const __m256 b0 = t.bias ? _mm256_loadu_ps(t.bias) : _mm256_setzero_ps();
      const __m256 b1 = t.bias ? _mm256_loadu_ps(t.bias + 8) : _mm256_setzero_ps();
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) acc[r][0] = b0, acc[r][1] = b1;
    }
    const float* a = t.a;
    const float* b = t.b;
    for (int p = 0; p < t.kc; p++, a += t.aStep, b += t.bStep) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; r++) {
        const __m256 ar = _mm256_broadcast_ss(a + off[r]);
        acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; r++) {
      _mm256_storeu_ps(t.c + (size_t)r * t.ldc, acc[r][0]);
      _mm256_storeu_ps(t.c + (size_t)r * t.ldc + 8, acc[r][1]);
    }
  }
};

}  // namespace

const KernelSet& avx2Kernels() {
  static const KernelSet set = kernelSet<Kernel>(MR, NR, 256, 240, 4096, std::make_integer_sequence<int, MR>());
  return set;
}

}  // namespace nns
#endif
