#include "fma-peak.h"

#include <chrono>

#if NNS_X86_KERNELS
#include <immintrin.h>
#endif

namespace nns {
namespace {

// 12 independent chains: more than latency x FMA pipes (4 x 2) on current x86 cores.
constexpr int CHAINS = 12;
constexpr long STEPS = 1 << 20;

#if NNS_X86_KERNELS
__attribute__((target("avx512f,fma"))) float run512(float x) {
  __m512 acc[CHAINS];
  const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps(x + c);
  for (long s = 0; s < STEPS; s++)
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], mul, add);
  float total = 0;
  for (int c = 0; c < CHAINS; c++) total += _mm512_reduce_add_ps(acc[c]);
  return total;
}

__attribute__((target("avx2,fma"))) float run256(float x) {
  __m256 acc[CHAINS];
  const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
  for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps(x + c);
  for (long s = 0; s < STEPS; s++)
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
  float total = 0, lanes[8];
  for (int c = 0; c < CHAINS; c++) {
    _mm256_storeu_ps(lanes, acc[c]);
    total += lanes[0] + lanes[7];
  }
  return total;
}
#endif

// No FMA assumed: a multiply and an add per lane, counted as the 2 flops of one FMA.
float runPortable(float x) {
  typedef float v4 __attribute__((vector_size(16)));
  v4 acc[CHAINS];
  const v4 mul = {0.999999f, 0.999999f, 0.999999f, 0.999999f}, add = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
  for (int c = 0; c < CHAINS; c++) acc[c] = v4{x, x, x, x} + (float)c;
  for (long s = 0; s < STEPS; s++)
    for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * mul + add;
  float total = 0;
  for (int c = 0; c < CHAINS; c++) total += acc[c][0] + acc[c][3];
  return total;
}

}  // namespace

double fmaPeakGflops(Isa isa, double seconds) {
  using clock = std::chrono::steady_clock;
  int lanes = 4;
  float (*run)(float) = runPortable;
#if NNS_X86_KERNELS
  if (isa == Isa::Avx512) run = run512, lanes = 16;
  if (isa == Isa::Avx2) run = run256, lanes = 8;
#endif
  volatile float sink = run(1.0f);  // warm-up: clock ramp, wide-vector power state
  long rounds = 0;
  double elapsed = 0;
  auto t0 = clock::now();
  do {
    sink = sink + run((float)rounds);
    rounds++;
    elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  } while (elapsed < seconds);
  return 2.0 * lanes * CHAINS * STEPS * rounds / elapsed / 1e9;
}

}  // namespace nns
